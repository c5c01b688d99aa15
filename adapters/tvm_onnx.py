"""ONNX -> Apache TVM: the one-node model of tconv's ``onnxruntime`` entry points as a file
(``adapters.onnx_file``), imported by TVM's Relax ONNX frontend, compiled for the CPU
(``llvm``) and run by the Relax virtual machine.

Stages (apache-tvm 0.27.0.post1, ``tvm/relax/frontend/onnx/onnx_frontend.py``): ``load`` is
``from_onnx(onnx.load_from_string(file))`` (the weights stay constants of the module:
``keep_params_in_input=False``, the default), then ``tvm.compile(module, target="llvm")``
(the default Relax pipeline: LegalizeOps lowers ``relax.nn.conv2d_transpose`` and the other
operators to TIR) and ``relax.VirtualMachine(executable, tvm.cpu())``; ``run`` is
``vm["main"](tvm.runtime.tensor(x)).numpy()``. Threads: TVM's pool reads ``TVM_NUM_THREADS``
when it starts, set from the worker's share (``TCONV_THREADS``).

dtypes: float32, float16 and float64 (probe, apache-tvm 0.27.0.post1, 2026-12-02: each
model compiles and its output has its own element type).
"""

from __future__ import annotations

import os

import numpy as np

from tconv.adapters import onnx_file
from tconv.adapters.declarations import Backend, Framework

DTYPES = ("float32", "float16", "float64")
TARGET = "llvm"


class TvmOnnx(onnx_file.OnnxFile):
    """``relax.frontend.onnx.from_onnx`` -> ``tvm.compile(target='llvm')`` -> Relax VM."""

    parts = ("onnx", "apache-tvm")
    runtime = "tvm"

    def load(self, artefact, dtype):
        threads = os.environ.get("TCONV_THREADS", "")
        if threads and threads != "0":
            os.environ.setdefault("TVM_NUM_THREADS", threads)
        import onnx
        import tvm
        from tvm import relax
        from tvm.relax.frontend.onnx import from_onnx

        module = from_onnx(onnx.load_from_string(artefact))
        return relax.VirtualMachine(tvm.compile(module, target=TARGET), tvm.cpu())

    def execute(self, model, native, x, dtype):
        import tvm

        y = model["main"](tvm.runtime.tensor(np.ascontiguousarray(x).astype(np.dtype(dtype))))
        return np.asarray(y.numpy()).astype(np.float64)

    def _runtime_source(self) -> str:
        return (f"vm = relax.VirtualMachine(tvm.compile(from_onnx(onnx.load('model.onnx')), "
                f"target={TARGET!r}), tvm.cpu()); y = vm['main'](tvm.runtime.tensor(x)).numpy()")

    def _runtime_script(self) -> list[str]:
        return ["import tvm",
                "from tvm import relax",
                "from tvm.relax.frontend.onnx import from_onnx",
                "module = from_onnx(onnx.load('model.onnx'))",
                f"vm = relax.VirtualMachine(tvm.compile(module, target={TARGET!r}), tvm.cpu())",
                "y = vm['main'](tvm.runtime.tensor(feeds['X'])).numpy().astype(np.float64)"]


ENTRY_POINTS = onnx_file.paths(TvmOnnx, "tvm", "tvm.relax.frontend.onnx.from_onnx -> "
                               f"tvm.compile(target={TARGET!r}) -> relax.VirtualMachine(cpu)",
                               DTYPES)

FRAMEWORKS = (Framework(
    name="ONNX -> Apache TVM (Relax ONNX frontend, tvm.compile llvm) -> Relax VM CPU",
    package="apache-tvm", distributions=("apache-tvm",),
    backends=(Backend("tvm", "tvm", packages=("apache-tvm",)),),
    entry_points=tuple((cls, "tvm") for cls in ENTRY_POINTS),
    native_keys=("auto_pad", "pads", "output_padding", "output_shape"),
),)
