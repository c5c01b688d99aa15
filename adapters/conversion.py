"""Converter entry points: ``source entry point -> converter -> target runtime``.

A porter rarely rewrites a layer: they export and convert. A converter entry point takes the
case in the SOURCE's vocabulary (the source adapter's own plan: its native parameters and the
canonical window the source's documented rule gives), builds the source's model, converts it
(the ``export`` stage: an ONNX or TFLite file, as bytes), loads it in the target runtime
(``load``) and runs it (``run``). The converted model must compute what the source framework
documents, so it is judged against the oracle under the source's rule, by the same judge as
every other check; the engine also compares it with the source framework's own answer on the
same inputs (``Conventions.source``; ``conformance.pipeline``).

What the converter stages add to a check's record:

- ``stage``: the stage that raised (``StageFailed``), "" when none did;
- ``artefact``: the converted file, kept for every check that did not pass (the worker sends
  it back with its answer or its exception), so that it can be opened in the target's own
  tools; the reproducer script rebuilds it.

Nothing here computes part of an answer: the stages call the converters' and runtimes' public
APIs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

from tconv.adapters.base import Adapter, Conventions, Plan
from tconv.cases.case import Case

STAGES = ("export", "load", "run")


class StageFailed(Exception):
    """A converter path's stage raised: ``stage`` names it; the message and the type name
    (``kind``) are the framework's own."""

    def __init__(self, stage: str, error: Exception) -> None:
        super().__init__(str(error))
        self.stage, self.kind = stage, type(error).__name__


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Run one stage: any exception it raises becomes ``StageFailed(name, ...)``."""
    if name not in STAGES:
        raise ValueError(f"no stage {name!r}: one of {STAGES}")
    try:
        yield
    except StageFailed:
        raise
    except Exception as error:  # the converter's or runtime's refusal, reported as data
        raise StageFailed(name, error) from error


def conventions(source: Conventions, source_name: str, entry_point: str,
                dtypes: tuple[str, ...], **changes) -> Conventions:
    """A converter path's conventions: the source's (its vocabulary, layouts and rule are
    what the case is expressed in), with the path's own entry point, the dtypes the target
    runs, on the CPU, without gradients (converted models are inference models)."""
    return replace(source, entry_point=entry_point, source=source_name,
                   dtypes=tuple(d for d in source.dtypes if d in dtypes), gradients=False,
                   devices=("cpu",), **changes)


class Converter(Adapter):
    """One converter path. A subclass names its ``origin`` (the source entry point, also its
    ``Conventions.source``) and implements the three stages; ``artefact`` holds the converted
    file of the last call (worker side), with ``suffix`` its file name's ending."""

    origin: str
    suffix: str = ".onnx"
    artefact: bytes | None = None
    # the distributions whose versions the path reports, as "name version, name version"
    # (registry entries name the part they concern: conformance.registry)
    parts: tuple[str, ...] = ()

    def plan(self, case: Case) -> Plan:
        from tconv import adapters

        plan = adapters.load(self.origin).plan(case)
        return Plan(self.name, plan.case_id, plan.native, plan.canonical, plan.violation,
                    plan.extra)

    def export(self, native: dict, x, w, b, dtype: str) -> bytes:
        """The source's model of this call, converted: the target's file as bytes."""
        raise NotImplementedError

    def load(self, artefact: bytes, dtype: str):
        """The converted file loaded in the target runtime, ready to run."""
        raise NotImplementedError

    def execute(self, model, native: dict, x, dtype: str):
        """The loaded model run on ``x``: the output in the canonical layout, float64."""
        raise NotImplementedError

    def version(self) -> str:
        from importlib import metadata

        return ", ".join(f"{name} {metadata.version(name)}" for name in self.parts)

    def run(self, native, x, w, b, dtype):
        self.artefact = None
        with stage("export"):
            self.artefact = self.export(native, x, w, b, dtype)
        with stage("load"):
            model = self.load(self.artefact, dtype)
        with stage("run"):
            return self.execute(model, native, x, dtype)
