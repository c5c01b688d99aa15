"""From a framework's answer to a ``Status``, against the oracle under the framework's own
rule: the one judge (checks, cross-framework table, probes, porting checks and reproducer
scripts all call it).

- ``pass``: the shape is the documented one and every element is within the oracle's error
  bound (``oracle.error_bound`` for the case's dtype); or a case the framework's rules forbid
  was refused.
- ``precision``: above the bound, but the largest error is below 1% of the output's largest
  magnitude (``SEMANTIC``). A semantic difference (a crop on the other side, a flipped kernel,
  a one-pixel shift) moves values by their own order of magnitude, so it cannot hide under 1%.
- ``mismatch``: above the bound by more than that.
- ``shape``: the output's shape differs from the documented one.
- ``error``: the framework raised on a configuration its rules allow.
- ``accepted-invalid``: the framework computed a configuration its documented rules forbid.
- ``crash`` / ``timeout``: the worker process died / did not answer.

``agree`` is the same rule between two answers (the cross-framework table): the same shape,
and nowhere apart by more than ``SEMANTIC`` of their largest magnitude.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tconv.adapters.base import Plan
from tconv.adapters.workers import Outcome
from tconv.cases.case import Case
from tconv.conformance.status import NO_ANSWER, SEVERITY, Status
from tconv.oracle import conv_transpose, conv_transpose_grad, error_bound, gradient_bounds

SEMANTIC = 0.01  # fraction of the output's largest magnitude: see "precision" above


@dataclass(frozen=True)
class Verdict:
    status: Status
    detail: str = ""
    max_abs_error: float | None = None   # None: no values to compare
    bound_units: float | None = None
    worst_index: tuple[int, ...] | None = None
    expected_shape: tuple[int, ...] | None = None
    actual_shape: tuple[int, ...] | None = None
    error_map: dict | None = None
    error_type: str = ""
    error_message: str = ""


def expected(case: Case, plan: Plan, x, w, b,
             input_rounding: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The oracle's answer under the plan's canonical window, and its error bound
    (``input_rounding``: "tf32" where the framework's default float32 arithmetic rounds the
    inputs so, ``adapters.devices``)."""
    kwargs = _kwargs(case, plan)
    return conv_transpose(x, w, b, **kwargs), error_bound(
        x, w, b, dtype=case.dtype, input_rounding=input_rounding, **kwargs)


def _kwargs(case: Case, plan: Plan) -> dict:
    return dict(stride=case.stride, dilation=case.dilation, groups=case.groups,
                padding=tuple((begin, end) for begin, end, _ in plan.canonical),
                output_padding=tuple(a for _, _, a in plan.canonical))


MAP_SIZE = 64  # the error map's largest side: enough to see a shift, a checkerboard, a border


def error_map(units: np.ndarray) -> dict:
    """Where the error sits: ``units`` (bound units, ``(N, C, *spatial)``) reduced to at most
    ``MAP_SIZE`` x ``MAP_SIZE`` by taking maxima, so that a one-pixel shift, a checkerboard or
    a border stays visible (a NaN or infinite error is None). 1-D: channels x positions; 2-D:
    height x width; 3-D: height x width (maximum over depth). Batch and channels (and depth)
    are reduced by their maximum."""
    units = np.where(np.isnan(units), np.inf, units)
    if units.ndim == 3:
        plane, rows, cols = units.max(axis=0), "channel", "position"
    else:
        plane = units.max(axis=(0, 1) + tuple(range(2, units.ndim - 2)))
        rows, cols = "height", "width"
    for axis in (0, 1):
        step = -(-plane.shape[axis] // MAP_SIZE)
        if step > 1:
            pad = [(0, 0), (0, 0)]
            pad[axis] = (0, -plane.shape[axis] % step)
            plane = np.pad(plane, pad)
            shape = list(plane.shape)
            shape[axis:axis + 1] = [shape[axis] // step, step]
            plane = plane.reshape(shape).max(axis=axis + 1)
            rows, cols = (f"{rows} (max of {step})", cols) if axis == 0 else (
                rows, f"{cols} (max of {step})")
    return {"rows": rows, "cols": cols, "values": [[_cell(v) for v in row] for row in plane]}


def _cell(value: float) -> float | None:
    """Three significant digits; None where the error is infinite (JSON has no infinity)."""
    rounded = float(f"{value:.3g}")
    return rounded if np.isfinite(rounded) else None


def compare(got: np.ndarray, want: np.ndarray, bound: np.ndarray, what: str = "") -> Verdict:
    """``got`` against the oracle's ``want`` in units of ``bound``."""
    prefix = f"{what}: " if what else ""
    shapes = dict(expected_shape=tuple(want.shape), actual_shape=tuple(got.shape))
    if got.shape != want.shape:
        return Verdict(Status.SHAPE, f"{prefix}shape {got.shape}, expected {want.shape}",
                       **shapes)
    if want.size == 0:
        return Verdict(Status.PASS, **shapes)
    error = np.abs(got - want)
    with np.errstate(divide="ignore", invalid="ignore"):
        units = np.where(error == 0, 0.0, error / bound)
    units = np.where(np.isnan(got), np.inf, units)
    worst = np.unravel_index(int(np.argmax(units)), units.shape)
    verdict = dict(max_abs_error=float(np.nanmax(np.where(np.isnan(got), np.inf, error))),
                   bound_units=float(units[worst]), worst_index=tuple(map(int, worst)),
                   **shapes)
    if verdict["bound_units"] <= 1:
        return Verdict(Status.PASS, **verdict)
    detail = (f"{prefix}at {verdict['worst_index']}: got {got[worst]!r}, expected "
              f"{want[worst]!r} ({verdict['bound_units']:.3g} bound units)")
    scale = float(np.abs(want).max())
    status = (Status.PRECISION if verdict["max_abs_error"] <= SEMANTIC * scale
              else Status.MISMATCH)
    return Verdict(status, detail, error_map=error_map(units) if units.ndim >= 3 else None,
                   **verdict)


def worst(verdicts: list[Verdict]) -> Verdict:
    """The most severe of several comparisons (dx, dw, dbias), the largest error breaking
    ties."""
    return max(verdicts, key=lambda v: (SEVERITY.index(v.status), v.bound_units or 0.0))


def agree(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two answers agree: the same shape, nowhere apart by more than ``SEMANTIC`` of
    their largest magnitude (what separates a semantic difference from rounding)."""
    if a.shape != b.shape:
        return False
    scale = max(float(np.abs(a).max(initial=0)), float(np.abs(b).max(initial=0)))
    return bool(np.all(np.abs(a - b) <= SEMANTIC * scale))


def judge_gradients(case: Case, plan: Plan, outcome: Outcome, x, w, b, dy,
                    input_rounding: str | None = None) -> Verdict:
    """dx, dw, dbias against ``oracle.conv_transpose_grad`` in units of
    ``oracle.gradient_bounds``; the worst of the three."""
    if outcome.status != "ok":
        return _failed(outcome)
    want = conv_transpose_grad(x, w, dy, **_kwargs(case, plan))
    bounds = gradient_bounds(x, w, dy, dtype=case.dtype, input_rounding=input_rounding,
                             **_kwargs(case, plan))
    return worst([compare(got, exp, bound, name) for name, got, exp, bound in
                  zip(("dx", "dw", "dbias"), outcome.grads, want, bounds) if got is not None])


def _failed(outcome: Outcome, status: Status | None = None, detail: str = "") -> Verdict:
    """A call that returned no values: the framework's exception (or the worker's end)."""
    text = f"{outcome.error_type}: {outcome.message}".lstrip(": ")
    return Verdict(status or Status(outcome.status), detail or text,
                   error_type=outcome.error_type, error_message=outcome.message)


def judge(case: Case, plan: Plan, outcome: Outcome, x, w, b,
          input_rounding: str | None = None) -> Verdict:
    if outcome.status in NO_ANSWER:
        return _failed(outcome)
    if plan.violation:
        if outcome.status == Status.ERROR:
            return _failed(outcome, Status.PASS, f"refused as documented ({plan.violation}): "
                                                 f"{outcome.error_type}: {outcome.message}")
        return Verdict(Status.ACCEPTED_INVALID, f"computed although {plan.violation}",
                       actual_shape=tuple(outcome.y.shape))
    if outcome.status == Status.ERROR:
        return _failed(outcome)
    want, bound = expected(case, plan, x, w, b, input_rounding)
    return compare(outcome.y, want, bound)
