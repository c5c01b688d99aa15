"""ONNX -> tract (Sonos' inference engine, its Python package ``tract``): the one-node model of
tconv's ``onnxruntime`` entry points as a file (``adapters.onnx_file``), loaded by tract's own
ONNX importer and run on the CPU.

Stages (tract 0.23.9, ``tract/__init__.py``'s example and ``tract/onnx.py``): ``load`` is
``tract.onnx().load(path)`` (an ``InferenceModel``; tract reads a model from a path only),
``.into_model()`` (typed) and ``.into_runnable()`` (optimized); ``run`` is
``runnable.run([x])[0].to_numpy()``. Nothing is set on the model: the input's shape and type
are the file's.

dtypes: float32, float16 and float64, each run in its own type (probe, tract 0.23.9,
2026-12-02: a float16 and a float64 model each give an output of its own element type).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from tconv.adapters import onnx_file
from tconv.adapters.declarations import Backend, Framework

DTYPES = ("float32", "float16", "float64")


class Tract(onnx_file.OnnxFile):
    """``tract.onnx().load('model.onnx').into_model().into_runnable()``, run on ``[x]``."""

    parts = ("onnx", "tract")
    runtime = "tract"

    def load(self, artefact, dtype):
        import tract

        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "model.onnx"
            path.write_bytes(artefact)
            return tract.onnx().load(str(path)).into_model().into_runnable()

    def execute(self, model, native, x, dtype):
        y = model.run([np.ascontiguousarray(x).astype(np.dtype(dtype))])[0]
        return np.asarray(y.to_numpy()).astype(np.float64)

    def _runtime_source(self) -> str:
        return ("runnable = tract.onnx().load('model.onnx').into_model().into_runnable(); "
                "y = runnable.run([x])[0].to_numpy()")

    def _runtime_script(self) -> list[str]:
        return ["import tract",
                "runnable = tract.onnx().load('model.onnx').into_model().into_runnable()",
                "y = np.asarray(runnable.run([feeds['X']])[0].to_numpy()).astype(np.float64)"]


ENTRY_POINTS = onnx_file.paths(Tract, "tract", "tract.onnx().load(path).into_model()"
                               ".into_runnable().run([x])", DTYPES)

FRAMEWORKS = (Framework(
    name="ONNX -> tract (tract.onnx().load) -> tract CPU", package="tract",
    distributions=("tract",),
    backends=(Backend("tract", "tract", packages=("tract",)),),
    entry_points=tuple((cls, "tract") for cls in ENTRY_POINTS),
    native_keys=("auto_pad", "pads", "output_padding", "output_shape"),
),)
