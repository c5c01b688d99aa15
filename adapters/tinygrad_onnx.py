"""ONNX -> tinygrad: the one-node model of tconv's ``onnxruntime`` entry points as a file
(``adapters.onnx_file``), run by tinygrad's own ONNX frontend, ``tinygrad.nn.onnx.OnnxRunner``
(tinygrad 0.14.0, ``tinygrad/nn/onnx.py``: "`OnnxRunner` executes an ONNX model using
Tinygrad"; its ``ConvTranspose`` translates the node's attributes into
``Tensor.conv_transpose2d``, the call ``adapters.tinygrad`` judges directly).

Stages: ``load`` is ``OnnxRunner(Tensor(file bytes))`` (the runner takes a path or a tensor of
the file's bytes; the bytes keep the initializers in memory, no temporary file to outlive);
``run`` is ``runner({'X': x})['Y']``, realized as NumPy. The device is the one
``adapters.tinygrad`` chose and why (``DEV=CPU``, kernels compiled by clang), with its kernel
cache.

dtypes: float32, float16 and float64 (probe, tinygrad 0.14.0 on ``CPU``, 2026-12-02: each
model's output has its own element type).
"""

from __future__ import annotations

import numpy as np

from tconv.adapters import onnx_file
from tconv.adapters import tinygrad as tinygrad_adapter
from tconv.adapters.declarations import Backend, Framework

DTYPES = ("float32", "float16", "float64")


class TinygradOnnx(onnx_file.OnnxFile):
    """``tinygrad.nn.onnx.OnnxRunner(model)({'X': x})['Y']``."""

    parts = ("onnx", "tinygrad")
    runtime = "tinygrad"

    def load(self, artefact, dtype):
        from tinygrad import Tensor
        from tinygrad.nn.onnx import OnnxRunner

        return OnnxRunner(Tensor(artefact))

    def execute(self, model, native, x, dtype):
        y = model({"X": np.ascontiguousarray(x).astype(np.dtype(dtype))})["Y"]
        return tinygrad_adapter._numpy(y)

    def _runtime_source(self) -> str:
        return "y = tinygrad.nn.onnx.OnnxRunner('model.onnx')({'X': x})['Y'].numpy()"

    def _runtime_script(self) -> list[str]:
        return ["import os",
                f"os.environ.setdefault('DEV', {tinygrad_adapter.DEVICE!r})  # before tinygrad",
                "from tinygrad.nn.onnx import OnnxRunner  # noqa: E402",
                "y = OnnxRunner('model.onnx')({'X': feeds['X']})['Y'].numpy().astype(np.float64)"]


ENTRY_POINTS = onnx_file.paths(TinygradOnnx, "tinygrad", "tinygrad.nn.onnx.OnnxRunner(model)"
                               f"({{'X': x}}) on {tinygrad_adapter.DEVICE}", DTYPES)

FRAMEWORKS = (Framework(
    name="ONNX -> tinygrad (tinygrad.nn.onnx.OnnxRunner) -> tinygrad CPU",
    package="tinygrad", distributions=("tinygrad",),
    backends=(Backend("tinygrad-onnx", "tinygrad", tinygrad_adapter.ENVIRONMENT,
                      tinygrad_adapter.COMPILE_CACHE, packages=("tinygrad",)),),
    entry_points=tuple((cls, "tinygrad-onnx") for cls in ENTRY_POINTS),
    native_keys=("auto_pad", "pads", "output_padding", "output_shape"),
),)
