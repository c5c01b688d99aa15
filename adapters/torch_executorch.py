"""PyTorch -> ExecuTorch: ``torch.export.export`` of the torch entry points' own models
(``adapters.pytorch.model``: ``torch.nn.ConvTransposeNd`` with its ``output_size`` bound, and
``F.conv_transposeNd`` inside a module holding the weights), lowered with
``executorch.exir`` to a ``.pte`` program and run by ``executorch.runtime`` on the CPU.

Two lowerings, one entry point each:

- ``*.executorch``: ``to_edge(program).to_executorch()``, no delegate: every operator runs on
  the kernels the runtime links for it (the portable library, with the optimized kernels
  where the prebuilt runtime registers them).
- ``*.executorch.xnnpack``: ``to_edge_transform_and_lower(program,
  partitioner=[XnnpackPartitioner()]).to_executorch()``: what ExecuTorch's CPU documentation
  uses, the supported subgraph delegated to XNNPACK (probe, executorch 1.5.1: a 2-D
  transposed convolution becomes one ``executorch_call_delegate``).

The case is the torch entry point's (its vocabulary, its plan); the program must compute what
PyTorch documents (``oracle.rules.pytorch``), and is compared with PyTorch's own answer too
(``adapters.conversion``). The weights are the model's parameters, constants of the exported
program, as a porter's model has them.

Sources (executorch 1.5.1, torch 2.13.0, installed): ExecuTorch's "Exporting to ExecuTorch"
(``torch.export.export(model, sample_inputs)``, ``to_edge_transform_and_lower(...,
partitioner=[XnnpackPartitioner()]).to_executorch()``, the program's ``buffer`` written as the
``.pte`` file) and "Runtime Python API Reference" (docs.pytorch.org/executorch/1.5:
``Runtime.get().load_program(data)``, ``Program.load_method("forward")``,
``Method.execute(inputs)``, "Execution accepts and returns torch.Tensor values");
``executorch/exir/program/_program.py`` (``to_edge``, ``EdgeProgramManager.to_executorch``).
"""

from __future__ import annotations

from tconv.adapters import conversion, pytorch, torch_onnx
from tconv.adapters.declarations import Backend, Framework

# The prebuilt runtime's kernels for the transposed convolution take float32 and float16 inputs
# (what they refuse is the run stage's answer, registered; not pre-empted here).
DTYPES = ("float32", "float16")


def lowered(program, xnnpack: bool):
    """The exported program lowered to an ExecuTorch program (``ExecutorchProgramManager``):
    XNNPACK-delegated, or on the runtime's own kernels."""
    from executorch import exir

    if xnnpack:
        from executorch.backends.xnnpack.partition.xnnpack_partitioner import (
            XnnpackPartitioner,
        )

        return exir.to_edge_transform_and_lower(
            program, partitioner=[XnnpackPartitioner()]).to_executorch()
    return exir.to_edge(program).to_executorch()


class Lowered(conversion.Converter):
    """``torch.export.export(model, (x,))`` -> ``executorch.exir`` -> ``.pte`` ->
    ``executorch.runtime``; ``xnnpack``: delegated to XNNPACK."""

    suffix = ".pte"
    xnnpack = False
    parts = ("torch", "executorch")

    def export(self, native, x, w, b, dtype):
        import torch

        model = pytorch.model(self.origin, native, w, b, dtype)
        program = torch.export.export(model, (pytorch._tensor(x, dtype),))
        return bytes(lowered(program, self.xnnpack).buffer)

    def load(self, artefact, dtype):
        from executorch.runtime import Runtime

        return Runtime.get().load_program(artefact).load_method("forward")

    def execute(self, method, native, x, dtype):
        return pytorch._numpy(method.execute([pytorch._tensor(x, dtype)])[0])

    @property
    def source_is_module(self) -> bool:
        return self.origin == pytorch.Module.name

    def _lowering(self) -> str:
        if self.xnnpack:
            return ("to_edge_transform_and_lower(program, "
                    "partitioner=[XnnpackPartitioner()]).to_executorch()")
        return "to_edge(program).to_executorch()"

    def source(self, plan):
        call = pytorch.Module.source if self.source_is_module else pytorch.Functional.source
        return (f"model = <{call(None, plan)}>; program = torch.export.export(model, (x,)); "
                f"pte = executorch.exir.{self._lowering()}.buffer; "
                "executorch.runtime.Runtime.get().load_program(pte).load_method('forward')"
                ".execute([x])")

    def script(self, plan):
        imports = ["from executorch import exir"]
        if self.xnnpack:
            imports.append("from executorch.backends.xnnpack.partition.xnnpack_partitioner "
                           "import XnnpackPartitioner")
        return "\n".join([
            "import numpy as np",
            "import torch",
            *imports,
            "from executorch.runtime import Runtime",
            "",
            "torch_dtype = getattr(torch, dtype)",
            *torch_onnx.model_script(self.source_is_module, plan),
            "example = (torch.from_numpy(x).to(torch_dtype),)",
            "program = torch.export.export(model, example)",
            f"pte = bytes(exir.{self._lowering()}.buffer)",
            "# the converted program, kept for the target's own tools",
            "open('converted.pte', 'wb').write(pte)",
            "method = Runtime.get().load_program(pte).load_method('forward')",
            "y = method.execute([example[0]])[0].to(torch.float64).numpy()"])


def _path(source: type, xnnpack: bool) -> type:
    form = "module" if source is pytorch.Module else "functional"
    lowering = ("to_edge_transform_and_lower(partitioner=[XnnpackPartitioner()])" if xnnpack
                else "to_edge (no delegate)")
    entry = (f"{source.conventions.entry_point} -> torch.export.export -> "
             f"executorch.exir.{lowering}.to_executorch() -> .pte -> executorch.runtime")
    suffix = ".xnnpack" if xnnpack else ""
    return type(f"Lowered_{form}{suffix.replace('.', '_')}", (Lowered,), {
        "name": f"torch.{form}.executorch{suffix}", "origin": source.name, "xnnpack": xnnpack,
        "conventions": conversion.conventions(
            source.conventions, source.name, entry, DTYPES,
            framework="executorch" + (" (XNNPACK)" if xnnpack else ""))})


ENTRY_POINTS = tuple(_path(source, xnnpack) for xnnpack in (False, True)
                     for source in (pytorch.Module, pytorch.Functional))

FRAMEWORKS = (Framework(
    name="PyTorch -> ExecuTorch (torch.export, executorch.exir) -> executorch.runtime",
    package="executorch", distributions=("executorch",),
    backends=(Backend("executorch", "executorch", packages=("torch", "executorch"),
                      # torch.export and a lowering for every check (seconds each): the quick
                      # profile (make test) takes a few cases, make report's every one
                      quick_families=("literature", "grid")),),
    entry_points=tuple((cls, "executorch") for cls in ENTRY_POINTS),
    native_keys=("padding", "output_padding", "output_size"),
),)
