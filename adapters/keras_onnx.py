"""Keras 3 -> ONNX -> onnxruntime: ``model.export(path, format="onnx")`` of a Keras model holding
the Keras layer entry point's own layer (``adapters.keras.layer``: ``keras.layers.ConvNDTranspose``
with its weights set, after a ``keras.Input`` of the case's shape), on the TensorFlow backend
and on the PyTorch backend (one worker per backend, ``KERAS_BACKEND`` set as
``adapters.keras`` does), the ONNX file run by onnxruntime's CPU execution provider.

The case is the Keras layer entry point's on that backend (its vocabulary, its plan, its
data_format: channels-last on TensorFlow, channels-first on PyTorch); the converted model
must compute what Keras documents (``oracle.rules.keras``), and is compared with the layer's
own answer on the same backend too (``adapters.conversion``).

Sources (Keras 3.15.1):

- https://keras.io/api/models/model_saving_apis/export : ``Model.export(filepath,
  format="tf_saved_model", verbose=None, input_signature=None, **kwargs)``, "format: ...
  Supported values: "tf_saved_model", "onnx", "openvino", and "litert""; ``input_signature``
  "Specifies the shape and dtype of the model inputs"; ``opset_version`` "Specific to
  format="onnx"" (left at its default here, as a porter calls it).
- ``keras/src/export/onnx.py``, ``export_onnx``: "**Note:** The dtype policy must be
  "float32" for the model" (so float32 only); on TensorFlow it calls
  ``tf2onnx.convert.from_function(decorated_fn, input_signature, opset=opset_version,
  output_path=filepath)`` after ``patch_tf2onnx()`` (tf2onnx's own opset default, 15); on
  PyTorch it tries ``torch.onnx.export(..., dynamo=True)`` and, on any exception, falls back to
  the TorchScript exporter (``dynamo=False``); "The dynamic shape feature is not yet supported
  with Torch backend", hence the input signature of the case's shape.
"""

from __future__ import annotations

import numpy as np

from tconv.adapters import conversion, keras
from tconv.adapters import onnx as onnx_adapter
from tconv.adapters import pytorch as pytorch_adapter
from tconv.adapters import tensorflow as tensorflow_adapter
from tconv.adapters.declarations import Backend, Framework
from tconv.adapters.tensorflow import channels_first_axes, channels_last_axes

# export_onnx: "The dtype policy must be "float32" for the model".
DTYPES = ("float32",)


def _native_input(native: dict, x: np.ndarray) -> np.ndarray:
    """Canonical (N, C, *spatial) data in the plan's data_format."""
    if native["data_format"] == "channels_last":
        x = np.transpose(x, channels_last_axes(native["dims"]))
    return np.ascontiguousarray(x)


class Exported(conversion.Converter):
    """``keras.Sequential([keras.Input(...), layer]).export(path, format="onnx")`` ->
    ``onnxruntime.InferenceSession``."""

    backend = ""
    layer: type = keras.KerasLayer     # the source entry point's class
    suffix = ".onnx"

    def export(self, native, x, w, b, dtype):
        import os
        import tempfile
        from pathlib import Path

        import keras as K

        if K.backend.backend() != self.backend:
            raise RuntimeError(f"{self.name} needs KERAS_BACKEND={self.backend}, "
                               f"running on {K.backend.backend()}")
        shape = _native_input(native, x).shape
        model = K.Sequential([K.Input(shape=shape[1:], batch_size=shape[0], dtype=dtype),
                              keras.layer(native, shape, w, b, dtype)])
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "model.onnx")
            model.export(path, format="onnx", verbose=False,
                         input_signature=[K.InputSpec(shape=shape, dtype=dtype)])
            return Path(path).read_bytes()

    def load(self, artefact, dtype):
        return onnx_adapter.session(artefact)

    def execute(self, session, native, x, dtype):
        feed = _native_input(native, x).astype(np.dtype(dtype))
        y = np.asarray(session.run(None, {session.get_inputs()[0].name: feed})[0])
        y = y.astype(np.float64)
        if native["data_format"] == "channels_last":
            y = np.transpose(y, channels_first_axes(native["dims"]))
        return np.ascontiguousarray(y)

    def source(self, plan):
        layer = self.layer().source(plan).split("; y = layer(x)")[0]
        return (f"{layer}; model = keras.Sequential([keras.Input(shape=x.shape[1:], "
                "batch_size=x.shape[0], dtype=dtype), layer]); model.export('model.onnx', "
                "format='onnx', input_signature=[keras.InputSpec(shape=x.shape, dtype=dtype)]);"
                " onnxruntime.InferenceSession('model.onnx').run(None, {input: x})"
                f"  # KERAS_BACKEND={self.backend}")

    def script(self, plan):
        n = plan.native
        lines = [
            "import onnxruntime",
            *keras.KerasOps._inputs_script(n),
            f"layer = keras.layers.Conv{n['dims']}DTranspose({n['filters']!r}, "
            f"{n['kernel_size']!r}, {keras._arguments(keras._kwargs(n))}, "
            "use_bias=b is not None, dtype=dtype)",
            "layer.build(x_native.shape)",
            "layer.set_weights([kernel] if b is None else [kernel, b])",
            "model = keras.Sequential([keras.Input(shape=x_native.shape[1:], "
            "batch_size=x_native.shape[0], dtype=dtype), layer])",
            "path = 'converted.onnx'  # the converted model, kept for the target's own tools",
            "model.export(path, format='onnx', verbose=False, "
            "input_signature=[keras.InputSpec(shape=x_native.shape, dtype=dtype)])",
            "session = onnxruntime.InferenceSession(path, providers=['CPUExecutionProvider'])",
            "yt = session.run(None, {session.get_inputs()[0].name: x_native.astype(dtype)})[0]",
            "y = np.asarray(yt).astype(np.float64)"]
        if n["data_format"] == "channels_last":
            lines.append(f"y = np.transpose(y, {channels_first_axes(n['dims'])})")
        return "\n".join(lines)


# Per Keras backend: the ONNX exporter it uses (keras/src/export/onnx.py), the distributions
# of that exporter (the path's parts), the tconv adapter of the backend's framework, and the
# module whose presence says the worker can run.
EXPORTERS = {"tensorflow": ("tf2onnx", ("tensorflow-cpu", "tf2onnx"), tensorflow_adapter,
                            "tf2onnx"),
             "torch": ("torch.onnx", ("torch", "onnxscript"), pytorch_adapter, "onnxscript")}


def _path(source: type) -> type:
    exporter, distributions, _, _ = EXPORTERS[source.backend]
    entry = (f"{source.conventions.entry_point} in keras.Sequential -> model.export("
             f"format='onnx') (KERAS_BACKEND={source.backend}: {exporter}) -> onnxruntime "
             "(CPUExecutionProvider)")
    return type(f"Exported_{source.backend}", (Exported,), {
        "name": f"{source.name}.onnx", "origin": source.name, "backend": source.backend,
        "layer": source,
        "parts": ("keras", *distributions, "onnxruntime"),
        "conventions": conversion.conventions(
            source.conventions, source.name, entry, DTYPES,
            framework=f"keras-{source.backend} export (onnx)")})


ENTRY_POINTS = tuple(_path(source) for source in (keras.KerasLayerTensorflow,
                                                  keras.KerasLayerTorch))


def _backend(name: str) -> Backend:
    exporter, _, module, present = EXPORTERS[name]
    packages = ("keras", name, present, "onnxruntime")
    return Backend(f"keras-{name}-onnx", present,
                   {"KERAS_BACKEND": name, **getattr(module, "ENVIRONMENT", {})},
                   module.COMPILE_CACHE, packages=packages)


FRAMEWORKS = (Framework(
    # package "keras": the export is Keras' own code (tconv upgrade keras runs these too)
    name="Keras 3 -> ONNX (model.export) -> onnxruntime", package="keras",
    distributions=("keras",),
    backends=tuple(_backend(name) for name in EXPORTERS),
    entry_points=tuple((cls, f"keras-{cls.backend}-onnx") for cls in ENTRY_POINTS),
    native_keys=("padding", "output_padding"),
),)
