"""What every adapter is: its conventions as data, a plan made from a case without importing
the framework, and a run inside the framework's own worker process.

An adapter calls the framework's public API with native parameters. It may convert layouts and
the kernel's layout (that conversion is the convention being documented) and add bias the
framework's idiomatic way; it never computes part of the result. What an entry point cannot
express raises ``Unsupported`` with the reason, itself a documented fact.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from tconv.cases.case import Case
from tconv.oracle.rules import Axis, Canonical, NotExpressible


class Unsupported(Exception):
    """The entry point cannot express this case; the message says why."""


def axes(case: Case) -> list[Axis]:
    """The case's spatial axes as the rules take them: size, kernel, stride, dilation."""
    return [Axis(n, k, s, d) for n, k, s, d in
            zip(case.input_size, case.kernel, case.stride, case.dilation)]


def expressed(express: Callable[..., dict], axis: Axis, begin: int, end: int,
              output_padding: int, **options: object) -> dict:
    """One axis' explicit window in a framework's own words (its rule's ``express``), or
    ``Unsupported`` naming the window where the vocabulary has no spelling for it."""
    try:
        return express(axis, Canonical(begin, end, output_padding), **options)
    except NotExpressible as reason:
        raise Unsupported(f"padding {(begin, end)}, output_padding {output_padding}: "
                          f"{reason}") from None


def expressed_axes(case: Case, express: Callable[..., dict]) -> list[dict]:
    """``expressed`` for every axis of a case with explicit pairs."""
    return [expressed(express, axis, b, e, a)
            for axis, (b, e), a in zip(axes(case), case.padding, case.output_padding)]


@dataclass(frozen=True)
class Conventions:
    """An entry point's conventions, as data (used to run it and to document it)."""

    framework: str
    entry_point: str
    input_layout: str            # e.g. "N, C, *spatial"
    kernel_layout: str           # e.g. "C_in, C_out/groups, *kernel", with any note
    kernel_flipped: bool         # relative to the scatter definition
    padding_vocabulary: str      # the oracle.rules module that translates its padding
    # The kernel's axes as the entry point takes them, from KERNEL_AXES: the porting table's
    # weight conversion is computed from these, never parsed from the prose above.
    kernel_axes: tuple[str, ...] = ("C_in", "C_out/groups", "*kernel")
    bias: str = ""               # how bias is added, in words (the conventions document)
    dims: tuple[int, ...] = (1, 2, 3)
    groups: bool = True
    dilation: bool = True
    padding_modes: tuple[str, ...] = ()      # "SAME", "VALID" where accepted
    output_shape: bool = False
    dtypes: tuple[str, ...] = ("float32", "float64")
    gradients: bool = False      # dx, dw, dbias through the framework's own differentiation
    devices: tuple[str, ...] = ("cpu", "cuda")   # worker devices (adapters.devices)
    # A converter path (adapters.conversion): the source entry point whose vocabulary and
    # rule the case is expressed in, and whose own answer the converted model is compared with.
    source: str = ""
    # The dtype the conventions probes run in (reports.probes): float64 where the entry point
    # computes float64 faithfully; float32 (exact for the probes' integer values) otherwise.
    probe_dtype: str = "float64"


# The names a kernel axis may have (``Conventions.kernel_axes``): the input channels, the
# output channels (per group or all), and the spatial axes in order.
KERNEL_AXES = ("C_in", "C_in/groups", "C_out", "C_out/groups", "*kernel")


@dataclass(frozen=True)
class Plan:
    """A case as one entry point will run it: native parameters, and the canonical window
    ``(begin, end, output_padding)`` per axis that the framework's documented rule gives.

    ``violation``: the framework's documented rule this case breaks (the framework should
    refuse it), or "" when the case is valid for it.
    """

    adapter: str
    case_id: str
    native: dict
    canonical: tuple[tuple[int, int, int], ...]
    violation: str = ""
    extra: dict = field(default_factory=dict)


class Adapter(ABC):
    """One framework entry point."""

    name: str
    conventions: Conventions

    @abstractmethod
    def plan(self, case: Case) -> Plan:
        """Native parameters for ``case`` (controller side: never imports the framework)."""

    @abstractmethod
    def run(self, native: dict, x: np.ndarray, w: np.ndarray, b: np.ndarray | None,
            dtype: str) -> np.ndarray:
        """Run in the framework's worker: canonical-layout inputs in, canonical-layout output
        (float64) out."""

    def grad(self, native: dict, x: np.ndarray, w: np.ndarray, b: np.ndarray | None,
             dy: np.ndarray, dtype: str) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """``(dx, dw, dbias)`` for the output gradient ``dy``, by the framework's own
        differentiation of the same call (worker side), in canonical layouts, float64."""
        raise Unsupported(f"{self.conventions.entry_point}: gradients are not checked")

    def script(self, plan: Plan) -> str:
        """The native call as standalone Python lines, for reproducers (``conformance.reproducer``):
        they read ``x``, ``w``, ``b`` (NumPy, canonical layouts; ``b`` may be None) and ``dtype``
        (the case's dtype name), convert to the native layouts, make the call with the plan's
        native parameters, add bias the adapter's way, and leave ``y``: the output in the
        canonical layout as a float64 NumPy array. Imports included; built from the same native
        parameters ``run`` uses."""
        raise Unsupported(f"{self.conventions.entry_point}: no reproducer script")

    def grad_script(self, plan: Plan) -> str:
        """As ``script``, for ``grad``: also reads ``dy`` (canonical layout) and leaves ``dx``,
        ``dw`` and ``db`` (None without bias), float64, canonical layouts."""
        raise Unsupported(f"{self.conventions.entry_point}: no gradient reproducer script")

    def cuda(self) -> dict:
        """Worker side, in a CUDA worker: whether the framework sees a CUDA device, as the
        framework itself answers: ``{"available": bool, "detail": str}``, and where available
        ``"float32"`` (``"tf32"`` or ``"float32"``: the default arithmetic of float32
        convolutions) and ``"setting"`` (the framework's switch and its value, as evidence)."""
        return {"available": False,
                "detail": f"{self.conventions.entry_point} runs on the CPU only"}

    def precision(self, strict: bool) -> None:
        """Worker side, in a CUDA worker: float32 convolutions in strict float32 (``strict``)
        or in the framework's default arithmetic, through the framework's own switch."""
        if strict:
            raise Unsupported(f"{self.conventions.entry_point}: no float32 precision switch")

    @abstractmethod
    def source(self, plan: Plan) -> str:
        """The native call as Python source, for reproducers and documentation."""

    @abstractmethod
    def version(self) -> str:
        """The framework's version (worker side)."""
