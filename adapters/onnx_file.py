"""What the ONNX runtimes that import an ``.onnx`` file themselves share (``adapters.tract_onnx``,
``adapters.tinygrad_onnx``, ``adapters.tvm_onnx``): the ``export`` stage is the one-node model
tconv's ``onnxruntime`` entry points run (``adapters.onnx._model`` with W and B as initializers,
as an exported model holds them), serialized; the file is the kept artefact; ``load`` and
``run`` are each runtime's own.

The case is the source's (the ``onnxruntime`` or ``onnxruntime.same_lower`` plan, ONNX's rule),
so a path is judged under ONNX's rule and compared with onnxruntime's answer on the same inputs
(``adapters.conversion``). One difference from the source's plan: onnxruntime's CPU provider has
no float64 ConvTranspose kernel (``adapters.onnx.ORT_NO_KERNEL``), which is onnxruntime's
restriction, not ONNX's (the spec's T includes double): a path whose runtime runs float64 drops
that from the plan's violation.
"""

from __future__ import annotations

from dataclasses import replace

from tconv.adapters import conversion
from tconv.adapters import onnx as onnx_adapter
from tconv.adapters.base import Plan
from tconv.cases.case import Case

# The onnxruntime entry points whose model the paths take, and the name each path is known by.
SOURCES = ((onnx_adapter.OnnxRuntime, "onnx"), (onnx_adapter.OnnxRuntimeSameLower,
                                               "onnx.same_lower"))


class OnnxFile(conversion.Converter):
    """ONNX file -> a runtime's own importer. ``runtime``: the runtime's name in entry point
    names; ``load``, ``execute`` and ``_runtime_script`` are the runtime's."""

    runtime: str = ""

    def plan(self, case: Case) -> Plan:
        plan = super().plan(case)
        ort_only = onnx_adapter.ORT_NO_KERNEL.format(dtype=case.dtype)
        if plan.violation == ort_only:
            plan = replace(plan, violation="")
        return plan

    def export(self, native, x, w, b, dtype):
        return onnx_adapter._model(native, dtype, x.shape, w.shape, b is not None,
                                   initializers=(w, b)).SerializeToString()

    def source(self, plan):
        call = onnx_adapter.OnnxRuntime.source(onnx_adapter.OnnxRuntime(), plan).split(";")[0]
        return (f"{call}; model = <one-node graph, opset {onnx_adapter.OPSET}, W and B "
                f"initializers>; onnx.save(model, 'model.onnx'); {self._runtime_source()}")

    def script(self, plan):
        return "\n".join([*onnx_adapter.model_script(plan, initializers=True),
                          "import onnx",
                          "onnx.save(model, 'model.onnx')  # the converted file, as kept",
                          *self._runtime_script()])

    def _runtime_source(self) -> str:
        raise NotImplementedError

    def _runtime_script(self) -> list[str]:
        """Lines that load 'model.onnx' in the runtime and leave ``y`` (float64 NumPy) from
        ``feeds['X']``."""
        raise NotImplementedError


def paths(base: type, runtime: str, entry: str, dtypes: tuple[str, ...]) -> tuple[type, ...]:
    """One entry point per source: ``onnx.RUNTIME`` and ``onnx.same_lower.RUNTIME``; ``entry``
    describes the runtime's stages, ``dtypes`` what it runs."""
    made = []
    for source, name in SOURCES:
        conventions = conversion.conventions(
            source.conventions, source.name, f"{source.conventions.entry_point} -> "
            f"model.onnx -> {entry}", dtypes, framework=runtime)
        made.append(type(f"{base.__name__}_{name.replace('.', '_')}", (base,), {
            "name": f"{name}.{runtime}", "origin": source.name,
            "conventions": replace(conventions, dtypes=dtypes)}))
    return tuple(made)
