"""PyTorch -> ONNX -> onnxruntime: ``torch.onnx.export`` of the torch entry points' own models
(``adapters.pytorch.model``: ``torch.nn.ConvTransposeNd`` with its ``output_size`` bound, and
``F.conv_transposeNd`` inside a module holding the weights), with the dynamo exporter
(``dynamo=True``, the default since torch 2.9) and with the TorchScript one (``dynamo=False``),
the ONNX file run by onnxruntime's CPU execution provider.

The case is the torch entry point's (its vocabulary, its plan); the converted model must
compute what PyTorch documents (``oracle.rules.pytorch``), and is compared with PyTorch's own
answer too (``adapters.conversion``). The weights are the model's parameters, exported as
initializers, as a porter's model has them.

Sources: PyTorch's ``torch.onnx.export`` documentation (torch 2.13: ``dynamo`` "Whether to
export the model with torch.export ExportedProgram instead of TorchScript", default True;
``opset_version``: the dynamo exporter's default is 18 and it converts the model up to the
requested opset); onnxruntime's ``InferenceSession`` (``adapters.onnx``).
"""

from __future__ import annotations

import io

import numpy as np

from tconv.adapters import conversion, pytorch
from tconv.adapters import onnx as onnx_adapter
from tconv.adapters.base import Plan
from tconv.adapters.declarations import Backend, Framework

# The exporters' target opsets: the dynamo exporter's is ConvTranspose's newest version (22),
# as tconv's own ONNX entry points use; the TorchScript exporter's highest is 20 (its own
# warning for 22: "The highest opset version supported is 20", torch 2.13.0).
OPSETS = {True: onnx_adapter.OPSET, False: 20}
# onnxruntime's CPU provider runs ConvTranspose in float32, float16 through inserted Casts
# (adapters.onnx)
DTYPES = onnx_adapter.ORT_KERNEL_TYPES


class Exported(conversion.Converter):
    """``torch.onnx.export(model, (x,), dynamo=...)`` -> ``onnxruntime.InferenceSession``."""

    dynamo = True
    suffix = ".onnx"
    parts = ("torch", "onnxscript", "onnxruntime")

    def export(self, native, x, w, b, dtype):
        import torch

        model = pytorch.model(self.origin, native, w, b, dtype)
        example = (pytorch._tensor(x, dtype),)
        if self.dynamo:
            program = torch.onnx.export(model, example, dynamo=True,
                                        opset_version=OPSETS[True], verbose=False)
            return program.model_proto.SerializeToString()
        buffer = io.BytesIO()
        torch.onnx.export(model, example, buffer, dynamo=False, opset_version=OPSETS[False],
                          input_names=["x"], output_names=["y"])
        return buffer.getvalue()

    def load(self, artefact, dtype):
        return onnx_adapter.session(artefact)

    def execute(self, session, native, x, dtype):
        feed = np.ascontiguousarray(x).astype(np.dtype(dtype))
        name = session.get_inputs()[0].name
        return np.asarray(session.run(None, {name: feed})[0]).astype(np.float64)

    def source(self, plan):
        call = pytorch.Module.source if self.source_is_module else pytorch.Functional.source
        return (f"model = <{call(None, plan)}>; torch.onnx.export(model, (x,), 'model.onnx', "
                f"dynamo={self.dynamo}, opset_version={OPSETS[self.dynamo]}); "
                "onnxruntime.InferenceSession('model.onnx').run(None, {input: x})")

    @property
    def source_is_module(self) -> bool:
        return self.origin == pytorch.Module.name

    def script(self, plan):
        build = model_script(self.source_is_module, plan)
        if self.dynamo:
            export = [f"program = torch.onnx.export(model, example, dynamo=True, "
                      f"opset_version={OPSETS[True]})",
                      "program.save(path)"]
        else:
            export = [f"torch.onnx.export(model, example, path, dynamo=False, "
                      f"opset_version={OPSETS[False]}, input_names=['x'], output_names=['y'])"]
        return "\n".join([
            "import numpy as np",
            "import onnxruntime",
            "import torch",
            "",
            "torch_dtype = getattr(torch, dtype)",
            *build,
            "example = (torch.from_numpy(x).to(torch_dtype),)",
            "path = 'converted.onnx'  # the converted model, kept for the target's own tools",
            *export,
            "session = onnxruntime.InferenceSession(path, providers=['CPUExecutionProvider'])",
            "feed = {session.get_inputs()[0].name: x.astype(dtype)}",
            "y = np.asarray(session.run(None, feed)[0]).astype(np.float64)"])


def model_script(module: bool, plan: Plan) -> list[str]:
    """Standalone lines that build ``adapters.pytorch.model`` of ``plan`` (the module entry
    point's layer with its output_size bound, or ``F.conv_transposeNd`` in a module holding
    the weights) from ``w``, ``b`` and ``torch_dtype`` and leave ``model``: what a converter
    path's reproducer converts."""
    n = plan.native
    kwargs = pytorch._arguments(pytorch._kwargs(n))
    dims = n["dims"]
    if module:
        size = None if n["output_size"] is None else list(n["output_size"])
        build = [
            f"class Model(torch.nn.ConvTranspose{dims}d):",
            "    def forward(self, x):",
            f"        return super().forward(x, output_size={size!r})",
            "",
            "",
            f"model = Model(w.shape[0], w.shape[1] * {n['groups']}, w.shape[2:], "
            f"bias=b is not None, {kwargs}).to(torch_dtype).eval()",
            "with torch.no_grad():",
            "    model.weight.copy_(torch.from_numpy(w).to(torch_dtype))",
            "    if b is not None:",
            "        model.bias.copy_(torch.from_numpy(b).to(torch_dtype))"]
    else:
        build = [
            "class Model(torch.nn.Module):",
            "    def __init__(self):",
            "        super().__init__()",
            "        self.weight = torch.nn.Parameter(torch.from_numpy(w).to(torch_dtype))",
            "        self.bias = None if b is None else torch.nn.Parameter("
            "torch.from_numpy(b).to(torch_dtype))",
            "",
            "    def forward(self, x):",
            f"        return torch.nn.functional.conv_transpose{dims}d(x, self.weight, "
            f"self.bias, {kwargs})",
            "",
            "",
            "model = Model().eval()"]
    return build


def _path(source: type, dynamo: bool) -> type:
    exporter = "dynamo" if dynamo else "torchscript"
    form = "module" if source is pytorch.Module else "functional"
    entry = (f"{source.conventions.entry_point} -> torch.onnx.export(dynamo={dynamo}, "
             f"opset_version={OPSETS[dynamo]}) -> onnxruntime (CPUExecutionProvider)")
    return type(f"Exported_{form}_{exporter}", (Exported,), {
        "name": f"torch.{form}.onnx.{exporter}", "origin": source.name, "dynamo": dynamo,
        "conventions": conversion.conventions(
            source.conventions, source.name, entry, DTYPES,
            framework=f"torch.onnx ({exporter})")})


ENTRY_POINTS = tuple(_path(source, dynamo) for dynamo in (True, False)
                     for source in (pytorch.Module, pytorch.Functional))

FRAMEWORKS = (Framework(
    name="PyTorch -> ONNX (torch.onnx.export) -> onnxruntime", package="onnxscript",
    # what is installed at one version together: onnxscript alone (torch and onnxruntime are
    # packages of their own; the path reports all three: Exported.parts)
    distributions=("onnxscript",),
    backends=(Backend("torch-onnx", "onnxscript", caches=pytorch.COMPILE_CACHE,
                      packages=("torch", "onnxscript", "onnxruntime")),),
    entry_points=tuple((cls, "torch-onnx") for cls in ENTRY_POINTS),
    native_keys=("padding", "output_padding", "output_size"),
),)
