"""ONNX -> TensorFlow / TFLite through onnx2tf: ``onnx2tf.convert`` of the ``onnxruntime``
entry points' own models, in an environment of its own (``adapters/environments/onnx2tf.txt``:
onnx2tf pins tensorflow and tf-keras 2.19.0, numpy 1.26.4 and onnx 1.19.1 exactly, which the
main environment's tensorflow-cpu 2.21.0, numpy 2.4.6 and onnx 1.23.2 cannot hold).

- The model: the one-node model tconv's ``onnxruntime`` entry point runs
  (``adapters.onnx._model``, every attribute of the case's plan: ``auto_pad``, ``pads``,
  ``output_shape``, ``output_padding``, ``group``, ``dilations``), W and B as initializers, as
  an exported model holds them; ``onnxruntime.same_lower``'s SAME cases too. Written to
  ``model.onnx`` and converted by path with onnx2tf's defaults (onnxsim first, NCHW -> NHWC),
  ``verbosity="error"`` only to keep its log short.
- ``*.onnx2tf.saved_model``: the TensorFlow SavedModel onnx2tf writes into its output folder
  (``saved_model.pb`` and ``variables/``), loaded by ``tf.saved_model.load`` and run through
  its ``serving_default`` signature.
- ``*.onnx2tf.tflite``: the float32 ``.tflite`` it writes beside it (``<stem>_float32.tflite``),
  run by the LiteRT interpreter (``ai_edge_litert.interpreter.Interpreter``) of that
  environment.

Layouts: onnx2tf turns the model channels-last (its README: "transposes NCHW to NHWC"; probe,
onnx2tf 1.29.24, 2026-12-02: the 2-D model's input is ``(N, H, W, C)`` and its output
``(N, H', W', M)``; 1-D ``(N, L, C)``, 3-D ``(N, D, H, W, C)``). The adapter transposes the
input to channels-last and the output back; nothing else.

One conversion serves both entry points: ``onnx2tf.convert`` writes the SavedModel and the
.tflite files in one call (2 to 7 s per model on a shared 2-core machine, 2026-12-02), so a
worker keeps its conversions' files by the model's bytes and the second entry point of a case
reuses them (the same call with the same model, not a result). A worker that crashed (see the
registry) starts with none.

Sources (onnx2tf 1.29.24, installed): ``onnx2tf.convert(input_onnx_file_path, ...,
output_folder_path='saved_model', ..., verbosity)`` (``onnx2tf/onnx2tf.py``);
``onnx2tf/ops/ConvTranspose.py``: ``auto_pad`` NOTSET and VALID become ``padding='VALID'``
followed by a ``strided_slice`` of ``pads``, SAME_UPPER ``padding='SAME'``, SAME_LOWER is
refused ("Invalid auto_pad attribute"); ``group > 1`` splits input and weights and concatenates
("TF-Lite does not support grouped transposed convolution"); the call is
``tf.nn.conv{1,2,3}d_transpose``.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
import tempfile
from collections import OrderedDict
from pathlib import Path

import numpy as np

from tconv.adapters import conversion, tflite
from tconv.adapters import onnx as onnx_adapter
from tconv.adapters import tensorflow as tf_adapter
from tconv.adapters.declarations import Backend, Framework

# onnx2tf's float32 model: its SavedModel and its ``_float32.tflite``.
DTYPES = ("float32",)
BACKEND = "onnx2tf"
MODEL = "model.onnx"
# The SavedModel's files in onnx2tf's output folder (the .tflite files lie beside them).
SAVED_MODEL = ("saved_model.pb", "variables")
# Conversions kept per worker, in bytes of their files: a run checks one entry point's cases
# before the next one's, so the second entry point finds a case's files only if the whole
# profile's are kept (the quick profile's take a few MiB).
KEPT_BYTES = 256 * 2**20
_CONVERSIONS: OrderedDict[str, dict[str, bytes]] = OrderedDict()


def channels_last(dims: int) -> tuple[int, ...]:
    """Canonical (N, C, *spatial) -> onnx2tf's (N, *spatial, C)."""
    return (0, *range(2, dims + 2), 1)


def channels_first(dims: int) -> tuple[int, ...]:
    """onnx2tf's (N, *spatial, C) -> canonical (N, C, *spatial)."""
    return (0, dims + 1, *range(1, dims + 1))


def _saved_model_tar(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name in SAVED_MODEL:
            tar.add(folder / name, arcname=name)
    return buffer.getvalue()


def convert(model: bytes) -> dict[str, bytes]:
    """``onnx2tf.convert`` of a serialized ONNX model: its SavedModel (one tar) and its float32
    .tflite, as written into the output folder; the latest ones are kept, ``KEPT_BYTES`` in
    all."""
    key = hashlib.sha256(model).hexdigest()
    if key in _CONVERSIONS:
        _CONVERSIONS.move_to_end(key)
        return _CONVERSIONS[key]
    import onnx2tf

    with tempfile.TemporaryDirectory() as folder:
        source, out = Path(folder) / MODEL, Path(folder) / "out"
        source.write_bytes(model)
        onnx2tf.convert(input_onnx_file_path=str(source), output_folder_path=str(out),
                        verbosity="error")
        files = {"saved_model": _saved_model_tar(out),
                 "tflite": (out / f"{source.stem}_float32.tflite").read_bytes()}
    _CONVERSIONS[key] = files
    while sum(len(f) for kept in _CONVERSIONS.values() for f in kept.values()) > KEPT_BYTES:
        _CONVERSIONS.popitem(last=False)
    return files


class Converted(conversion.Converter):
    """ONNX -> ``onnx2tf.convert``; ``target`` names the file of its output that is run."""

    target: str = ""

    def version(self) -> str:
        """The parts' versions in the backend's environment: read here in a worker, through
        ``environments.version`` in the controller (the registry's checks), whose environment
        has none of them."""
        from importlib import metadata

        from tconv.adapters import environments

        try:
            return super().version()
        except metadata.PackageNotFoundError:
            return ", ".join(f"{name} {environments.version(BACKEND, name)}"
                             for name in self.parts)

    def export(self, native, x, w, b, dtype):
        model = onnx_adapter._model(native, dtype, x.shape, w.shape, b is not None,
                                    initializers=(w, b))
        return convert(model.SerializeToString())[self.target]

    def execute(self, model, native, x, dtype):
        feed = np.ascontiguousarray(np.transpose(x, channels_last(native["dims"]))).astype(dtype)
        y = np.asarray(self._invoke(model, feed), dtype=np.float64)
        return np.ascontiguousarray(np.transpose(y, channels_first(native["dims"])))

    def _invoke(self, model, feed: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def source(self, plan):
        call = onnx_adapter.OnnxRuntime.source(onnx_adapter.OnnxRuntime(), plan).split(";")[0]
        return (f"{call}; model = <one-node graph, opset {onnx_adapter.OPSET}, W and B "
                f"initializers>; onnx.save(model, {MODEL!r}); onnx2tf.convert("
                f"input_onnx_file_path={MODEL!r}, output_folder_path='out'); "
                f"{self._runner_source()}")

    def _runner_source(self) -> str:
        raise NotImplementedError

    def script(self, plan):
        dims = plan.native["dims"]
        return "\n".join([
            "import tempfile",
            "",
            "import onnx",
            "import onnx2tf",
            *onnx_adapter.model_script(plan, initializers=True),
            "# the model and the converted files, kept for the target's own tools",
            "folder = tempfile.mkdtemp(prefix='tconv-onnx2tf-')",
            "print('onnx2tf files in', folder)",
            f"onnx.save(model, f'{{folder}}/{MODEL}')",
            f"onnx2tf.convert(input_onnx_file_path=f'{{folder}}/{MODEL}', "
            "output_folder_path=f'{folder}/out', verbosity='error')",
            f"x_native = np.ascontiguousarray(np.transpose(x, {channels_last(dims)}))"
            ".astype(dtype)  # onnx2tf's model is channels-last",
            *self._run_script(),
            f"y = np.ascontiguousarray(np.transpose(np.asarray(yt, dtype=np.float64), "
            f"{channels_first(dims)}))"])

    def _run_script(self) -> list[str]:
        raise NotImplementedError


class SavedModel(Converted):
    """The SavedModel onnx2tf writes, loaded and run in TensorFlow."""

    suffix = ".saved_model.tar"
    target = "saved_model"
    parts = ("onnx", "onnx2tf", "tensorflow", "tf_keras")

    def load(self, artefact, dtype):
        import tensorflow as tf

        with tempfile.TemporaryDirectory() as folder:
            with tarfile.open(fileobj=io.BytesIO(artefact)) as tar:
                tar.extractall(folder, filter="data")
            loaded = tf.saved_model.load(folder)
        return loaded.signatures["serving_default"]

    def _invoke(self, signature, feed):
        import tensorflow as tf

        [name] = signature.structured_input_signature[1]
        [y] = signature(**{name: tf.constant(feed)}).values()
        return y.numpy()

    def _runner_source(self) -> str:
        return ("signature = tf.saved_model.load('out').signatures['serving_default']; "
                "y = signature(X=x_nhwc)")

    def _run_script(self):
        return [
            "import tensorflow as tf",
            "",
            "signature = tf.saved_model.load(f'{folder}/out').signatures['serving_default']",
            "[name] = signature.structured_input_signature[1]",
            "[yt] = signature(**{name: tf.constant(x_native)}).values()",
            "yt = yt.numpy()"]


class Tflite(Converted):
    """The float32 .tflite onnx2tf writes, run by the LiteRT interpreter."""

    suffix = ".tflite"
    target = "tflite"
    parts = ("onnx", "onnx2tf", "tensorflow", "ai-edge-litert")

    def load(self, artefact, dtype):
        return tflite.interpreter(artefact)

    def _invoke(self, interpreter, feed):
        return tflite.invoke(interpreter, feed)

    def _runner_source(self) -> str:
        return ("ai_edge_litert.interpreter.Interpreter(model_path='out/model_float32.tflite')"
                ".invoke()")

    def _run_script(self):
        return [
            "from ai_edge_litert.interpreter import Interpreter",
            "",
            "interpreter = Interpreter(model_path=f'{folder}/out/"
            f"{Path(MODEL).stem}_float32.tflite')",
            "interpreter.allocate_tensors()",
            "interpreter.set_tensor(interpreter.get_input_details()[0]['index'], x_native)",
            "interpreter.invoke()",
            "yt = interpreter.get_tensor(interpreter.get_output_details()[0]['index'])"]


RUNNERS = {SavedModel: "tf.saved_model.load(...).signatures['serving_default'] (TensorFlow)",
           Tflite: "the float32 .tflite in the LiteRT Interpreter (CPU)"}


def _path(base: type, source: type, name: str) -> type:
    entry = (f"{source.conventions.entry_point} -> onnx2tf.convert (NCHW -> NHWC) -> "
             f"{RUNNERS[base]}")
    return type(f"{base.__name__}_{name.replace('.', '_')}", (base,), {
        "name": f"{name}.onnx2tf.{base.target}", "origin": source.name,
        "conventions": conversion.conventions(source.conventions, source.name, entry, DTYPES,
                                              framework="onnx2tf")})


SOURCES = ((onnx_adapter.OnnxRuntime, "onnx"), (onnx_adapter.OnnxRuntimeSameLower,
                                                 "onnx.same_lower"))

ENTRY_POINTS = tuple(_path(base, source, name) for source, name in SOURCES
                     for base in (SavedModel, Tflite))

FRAMEWORKS = (Framework(
    name="ONNX -> TensorFlow SavedModel and TFLite (onnx2tf) -> TensorFlow, LiteRT",
    package="onnx2tf", distributions=("onnx2tf",),
    backends=(Backend(BACKEND, "onnx2tf", {**tf_adapter.ENVIRONMENT},
                      packages=("onnx2tf",), requirements="onnx2tf.txt",
                      # 2-7 s a conversion, and a restart of TensorFlow (~25 s) after each
                      # check that kills it: the quick profile (make test) takes a few cases,
                      # make report's default profile every one
                      quick_families=("literature", "grid")),),
    entry_points=tuple((cls, BACKEND) for cls in ENTRY_POINTS),
    native_keys=("auto_pad", "pads", "output_padding", "output_shape"),
),)
