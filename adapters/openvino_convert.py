"""ONNX -> OpenVINO and PyTorch -> OpenVINO: ``openvino.convert_model`` of the source entry
points' own models, saved as OpenVINO IR, compiled for the CPU plugin and run.

- ONNX: the one-node model tconv's ``onnxruntime`` entry point runs (``adapters.onnx._model``,
  every attribute the case's plan gives: ``auto_pad``, ``pads``, ``output_shape``,
  ``output_padding``, ``group``, ``dilations``), with W and B as initializers (as an exported
  model holds them), written to a file and converted by path; ``onnxruntime.same_lower``'s
  SAME cases too (``auto_pad="SAME_LOWER"``).
- PyTorch: the torch entry points' modules (``adapters.pytorch.model``: ``nn.ConvTransposeNd``
  with its ``output_size`` bound, ``F.conv_transposeNd`` in a module holding the weights),
  converted with ``example_input=x``.

The converted model is saved as IR (``model.xml`` and ``model.bin``, one tar file: the
``export`` stage's file, kept for checks that did not pass) with ``compress_to_fp16=False``, so
that the weights stay what the converter produced (``save_model``'s default compresses them to
float16), read back (``load``) and compiled for ``"CPU"``. The case is the source's (its
vocabulary, its plan); the converted model must compute what the source documents, and is
compared with the source's own answer too (``adapters.conversion``).

Precision: the CPU plugin's ``INFERENCE_PRECISION_HINT`` decides the arithmetic a model may
run in. Its default is bf16 on a CPU with native bfloat16 instructions, f32 elsewhere: each
path has two entry points, the plugin's default (what a porter gets) and ``*.f32``, compiled
with ``{"INFERENCE_PRECISION_HINT": "f32"}``. Probe (openvino 2026.4.1, AMD EPYC with
avx512_bf16, 2026-12-02): ``compiled.get_property("INFERENCE_PRECISION_HINT")`` answers
``bfloat16`` by default and ``float32`` with the f32 hint, yet the runtime model
(``compiled.get_runtime_model()``, each node's ``runtimePrecision`` and ``primitiveType``
rt_info) runs the Deconvolution node in f32 under both (``brgconv_avx512_f32``), float16
models too (``Convert`` to f32 around it): on this CPU the two entry points compute the
same values.

Sources (openvino 2026.4.1, installed): ``openvino.convert_model(input_model, ...,
example_input=...)`` ("input_model: ... a path to a model file ... or a framework object:
torch.nn.Module ...; example_input: sample of model input ... required for PyTorch");
``openvino.save_model(model, output_model, compress_to_fp16=True)``; ``Core.read_model(model,
weights)`` (an IR's XML text and its weights as a ``Tensor``); ``Core.compile_model(model,
device_name, config)``; the CPU plugin's documentation, "Inference Precision": "bf16 ... the
default ... on platforms that natively support bfloat16 calculations", ``ov::hint::
inference_precision`` to choose f32.
"""

from __future__ import annotations

import io
import os
import tarfile
import tempfile
from pathlib import Path

import numpy as np

from tconv.adapters import conversion, pytorch, torch_onnx
from tconv.adapters import onnx as onnx_adapter
from tconv.adapters.declarations import Backend, Framework

# The CPU plugin runs float32 and float16 models (a float16 model's inputs and outputs stay
# float16; its arithmetic is the precision hint's).
DTYPES = ("float32", "float16")
IR_FILES = ("model.xml", "model.bin")
DEVICE = "CPU"


_CORE: dict = {}   # one openvino.Core per worker


def _core():
    import openvino

    if "core" not in _CORE:
        _CORE["core"] = openvino.Core()
    return _CORE["core"]


def _config(hint: str) -> dict:
    """The compile configuration: the precision hint asked for ("" the plugin's default), and
    the worker's share of the cores (adapters.workers.threads)."""
    config = {"INFERENCE_PRECISION_HINT": hint} if hint else {}
    threads = int(os.environ.get("TCONV_THREADS", "0"))
    if threads:
        config["INFERENCE_NUM_THREADS"] = threads
    return config


def ir(model) -> bytes:
    """An ``openvino.Model`` saved as IR, uncompressed, packed as one tar of its two files."""
    import openvino

    with tempfile.TemporaryDirectory() as folder:
        openvino.save_model(model, str(Path(folder) / IR_FILES[0]), compress_to_fp16=False)
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as tar:
            for name in IR_FILES:
                tar.add(Path(folder) / name, arcname=name)
    return buffer.getvalue()


def compiled(artefact: bytes, hint: str):
    """The IR of ``ir`` read back and compiled for the CPU plugin."""
    import openvino

    with tarfile.open(fileobj=io.BytesIO(artefact)) as tar:
        xml, weights = (tar.extractfile(name).read() for name in IR_FILES)
    model = _core().read_model(xml.decode(), openvino.Tensor(np.frombuffer(weights, np.uint8)))
    return _core().compile_model(model, DEVICE, _config(hint))


class Converted(conversion.Converter):
    """``openvino.convert_model`` -> IR -> ``Core().compile_model(..., "CPU")``; ``hint``: the
    ``INFERENCE_PRECISION_HINT`` asked for ("" the plugin's default)."""

    suffix = ".ir.tar"
    hint = ""

    def load(self, artefact, dtype):
        return compiled(artefact, self.hint)

    def execute(self, model, native, x, dtype):
        return np.asarray(model(np.ascontiguousarray(x).astype(np.dtype(dtype)))[0]).astype(
            np.float64)

    def _run_script(self) -> list[str]:
        config = {"INFERENCE_PRECISION_HINT": self.hint} if self.hint else {}
        return [
            "# the converted model, uncompressed, kept for the target's own tools",
            "openvino.save_model(converted, 'converted.xml', compress_to_fp16=False)",
            f"compiled = openvino.Core().compile_model('converted.xml', {DEVICE!r}, {config!r})",
            "print('INFERENCE_PRECISION_HINT', compiled.get_property('INFERENCE_PRECISION_HINT'))",
            "y = np.asarray(compiled(x.astype(dtype))[0]).astype(np.float64)"]

    def _compile_source(self) -> str:
        config = f", {{'INFERENCE_PRECISION_HINT': {self.hint!r}}}" if self.hint else ""
        return f"openvino.Core().compile_model(ov_model, 'CPU'{config})(x)"


class FromOnnx(Converted):
    """ONNX -> OpenVINO: the ``onnxruntime`` entry point's model, converted from its file."""

    parts = ("onnx", "openvino")

    def export(self, native, x, w, b, dtype):
        import openvino

        model = onnx_adapter._model(native, dtype, x.shape, w.shape, b is not None,
                                    initializers=(w, b))
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "model.onnx"
            path.write_bytes(model.SerializeToString())
            return ir(openvino.convert_model(str(path)))

    def source(self, plan):
        call = onnx_adapter.OnnxRuntime.source(onnx_adapter.OnnxRuntime(), plan).split(";")[0]
        return (f"{call}; model = <one-node graph, opset {onnx_adapter.OPSET}, W and B "
                "initializers>; onnx.save(model, 'model.onnx'); "
                f"ov_model = openvino.convert_model('model.onnx'); {self._compile_source()}")

    def script(self, plan):
        return "\n".join([
            "import onnx",
            "import openvino",
            *onnx_adapter.model_script(plan, initializers=True),
            "onnx.save(model, 'source.onnx')",
            "converted = openvino.convert_model('source.onnx')",
            *self._run_script()])


class FromTorch(Converted):
    """PyTorch -> OpenVINO: the torch entry point's module, converted with ``example_input``."""

    parts = ("torch", "openvino")

    def export(self, native, x, w, b, dtype):
        import openvino

        model = pytorch.model(self.origin, native, w, b, dtype)
        return ir(openvino.convert_model(model, example_input=pytorch._tensor(x, dtype)))

    @property
    def source_is_module(self) -> bool:
        return self.origin == pytorch.Module.name

    def source(self, plan):
        call = pytorch.Module.source if self.source_is_module else pytorch.Functional.source
        return (f"model = <{call(None, plan)}>; ov_model = openvino.convert_model(model, "
                f"example_input=x); {self._compile_source()}")

    def script(self, plan):
        return "\n".join([
            "import numpy as np",
            "import openvino",
            "import torch",
            "",
            "torch_dtype = getattr(torch, dtype)",
            *torch_onnx.model_script(self.source_is_module, plan),
            "converted = openvino.convert_model(model, "
            "example_input=torch.from_numpy(x).to(torch_dtype))",
            *self._run_script()])


def _path(base: type, source: type, name: str, hint: str) -> type:
    precision = (f"INFERENCE_PRECISION_HINT={hint}" if hint else
                 "the CPU plugin's default INFERENCE_PRECISION_HINT (bf16 where the CPU has "
                 "native bfloat16)")
    entry = (f"{source.conventions.entry_point} -> openvino.convert_model -> IR -> "
             f"compile_model('CPU', {precision})")
    suffix = f".{hint}" if hint else ""
    return type(f"{base.__name__}_{name.replace('.', '_')}{suffix}", (base,), {
        "name": f"{name}.openvino{suffix}", "origin": source.name, "hint": hint,
        "conventions": conversion.conventions(source.conventions, source.name, entry, DTYPES,
                                              framework="openvino.convert_model")})


SOURCES = ((FromOnnx, onnx_adapter.OnnxRuntime, "onnx"),
           (FromOnnx, onnx_adapter.OnnxRuntimeSameLower, "onnx.same_lower"),
           (FromTorch, pytorch.Module, "torch.module"),
           (FromTorch, pytorch.Functional, "torch.functional"))

ENTRY_POINTS = tuple(_path(base, source, name, hint) for base, source, name in SOURCES
                     for hint in ("", "f32"))

FRAMEWORKS = (Framework(
    name="ONNX and PyTorch -> OpenVINO (openvino.convert_model) -> OpenVINO CPU plugin",
    # the package OpenVINO's own op declares, with the same distributions (tconv upgrade
    # openvino runs both); torch and onnx, the sources, are packages of their own
    package="openvino", distributions=("openvino",),
    backends=(Backend("openvino-convert", "openvino", packages=("openvino", "torch")),),
    entry_points=tuple((cls, "openvino-convert") for cls in ENTRY_POINTS),
    native_keys=("auto_pad", "pads", "output_padding", "output_shape", "padding",
                 "output_size"),
),)
