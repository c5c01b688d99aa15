"""PyTorch -> TFLite -> LiteRT: ``litert_torch.convert(model, (x,))`` (litert-torch, formerly
ai-edge-torch) of the torch entry points' own models (``adapters.pytorch.model``:
``torch.nn.ConvTransposeNd`` with its ``output_size`` bound, and ``F.conv_transposeNd``
inside a module holding the weights), the ``.tflite`` flatbuffer run by the LiteRT interpreter
(``ai_edge_litert.interpreter.Interpreter``) on the CPU.

litert-torch cannot share the main environment's pins (its converter's ``xdsl==0.28.0``
requires ``typing-extensions<4.13``; ``adapters/environments/litert-torch.txt``), so the
backend runs from an environment of its own (``adapters.environments``), with the same torch
2.13.0 CPU wheel as the main environment.

The case is the torch entry point's (its vocabulary, its plan); the converted model must
compute what PyTorch documents (``oracle.rules.pytorch``), and is compared with PyTorch's own
answer too (``adapters.conversion``). The model's input and output keep PyTorch's layout
(N, C, *spatial): the converter inserts the transposes it needs, so the interpreter is fed the
canonical array.

Sources (litert-torch 0.10.0, ai-edge-litert 2.3.0, installed): ``litert_torch.convert(module,
sample_args)`` returning a ``LiteRTModel`` whose ``model_content()`` "Returns the raw bytes of
the LiteRT model flatbuffer" (``litert_torch/model.py``); the interpreter's
``Interpreter(model_content=..., num_threads=...)``, ``allocate_tensors``, ``set_tensor`` /
``invoke`` / ``get_tensor`` (``ai_edge_litert/interpreter.py``), as ``adapters.tflite`` uses
it.
"""

from __future__ import annotations

import numpy as np

from tconv.adapters import conversion, pytorch, tflite, torch_onnx
from tconv.adapters.declarations import Backend, Framework

# LiteRT's builtin transposed convolutions are float32 kernels (adapters.tflite).
DTYPES = ("float32",)


class Converted(conversion.Converter):
    """``litert_torch.convert(model, (x,)).model_content()`` -> LiteRT ``Interpreter``."""

    suffix = ".tflite"
    parts = ("torch", "litert-torch", "ai-edge-litert")

    def export(self, native, x, w, b, dtype):
        import litert_torch

        model = pytorch.model(self.origin, native, w, b, dtype)
        return bytes(litert_torch.convert(model, (pytorch._tensor(x, dtype),)).model_content())

    def load(self, artefact, dtype):
        return tflite.interpreter(artefact)

    def execute(self, interpreter, native, x, dtype):
        y = tflite.invoke(interpreter, np.ascontiguousarray(x).astype(dtype))
        return np.asarray(y, dtype=np.float64)

    @property
    def source_is_module(self) -> bool:
        return self.origin == pytorch.Module.name

    def source(self, plan):
        call = pytorch.Module.source if self.source_is_module else pytorch.Functional.source
        return (f"model = <{call(None, plan)}>; litert_torch.convert(model, (x,))"
                ".model_content(); ai_edge_litert.interpreter.Interpreter(model_content=...)"
                ".invoke()")

    def script(self, plan):
        return "\n".join([
            "import litert_torch",
            "import numpy as np",
            "import torch",
            "from ai_edge_litert.interpreter import Interpreter",
            "",
            "torch_dtype = getattr(torch, dtype)",
            *torch_onnx.model_script(self.source_is_module, plan),
            "example = (torch.from_numpy(x).to(torch_dtype),)",
            "path = 'converted.tflite'  # the converted model, kept for the target's own tools",
            "with open(path, 'wb') as f:",
            "    f.write(litert_torch.convert(model, example).model_content())",
            "interpreter = Interpreter(model_path=path)",
            "interpreter.allocate_tensors()",
            "interpreter.set_tensor(interpreter.get_input_details()[0]['index'], "
            "np.ascontiguousarray(x).astype(dtype))",
            "interpreter.invoke()",
            "y = np.asarray(interpreter.get_tensor("
            "interpreter.get_output_details()[0]['index']), dtype=np.float64)"])


def _path(source: type) -> type:
    form = "module" if source is pytorch.Module else "functional"
    entry = (f"{source.conventions.entry_point} -> litert_torch.convert -> LiteRT "
             "Interpreter (CPU)")
    return type(f"Converted_{form}", (Converted,), {
        "name": f"torch.{form}.litert", "origin": source.name,
        "conventions": conversion.conventions(source.conventions, source.name, entry, DTYPES,
                                              framework="litert-torch")})


ENTRY_POINTS = tuple(_path(source) for source in (pytorch.Module, pytorch.Functional))

FRAMEWORKS = (Framework(
    name="PyTorch -> TFLite (litert_torch.convert) -> LiteRT",
    package="litert-torch", distributions=("litert-torch",),
    backends=(Backend("litert-torch", "litert_torch",
                      packages=("torch", "litert-torch", "ai-edge-litert"),
                      requirements="litert-torch.txt",
                      # a conversion for every check (seconds each): the quick profile
                      # (make test) takes a few cases, make report's every one
                      quick_families=("literature", "grid")),),
    entry_points=tuple((cls, "litert-torch") for cls in ENTRY_POINTS),
    native_keys=("padding", "output_padding", "output_size"),
),)
