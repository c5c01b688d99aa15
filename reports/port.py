"""``tconv port``: the exact equivalent, in another framework, of one transposed-convolution
layer, verified by running both.

    tconv port --from ENTRY --to ENTRY --input-size N [N [N]] --kernel K [K [K]]
               [--stride S..] [--dilation D..] [--groups G] [--in-channels C]
               [--out-channels M] [--bias] [--padding P] [--output-padding P..]
               [--output-shape N..] [--dtype float32] [--script FILE] [--json]

The layer is given in the SOURCE's terms (``--padding`` in the case-file syntax: an int,
per-axis ``[begin, end]`` pairs, ``SAME`` or ``VALID``, under the source entry point's
documented rule). The source's rule gives its window (``begin, end, output_padding`` per axis);
the target's adapter spells that window in the target's own vocabulary (``express``). Both run
through the check pipeline on the same seeded inputs; the port is verified when the source and
the target each agree with the oracle within its error bound (and so with each other).

Where the target's vocabulary cannot spell the window, the port computes a window it can spell
and adds the smallest extra step on the target's output (a slice, or zeros appended), says so,
and verifies that too. Where the target refuses the case (its documented limits) or a registered
discrepancy concerns that path, the port says so and tries the other entry points of the same
framework. Exit status 0 when a verified translation exists, 1 when none does, 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from tconv import adapters
from tconv.adapters.workers import Workers
from tconv.cases import userfile
from tconv.cases.case import DTYPES, Case
from tconv.conformance import pipeline, registry
from tconv.conformance.judge import agree, compare, expected
from tconv.conformance.reproducer import inputs_script
from tconv.conformance.results import check_id
from tconv.conformance.status import Status
from tconv.oracle.rules import Axis, Canonical
from tconv.reports import weights


class PortError(ValueError):
    """Bad input: the one line to print before exit status 2."""


# -- the extra step: a window the target can spell, then a slice / zeros ---------------------


@dataclass(frozen=True)
class Step:
    """Per spatial axis of the target's output: drop ``start`` elements, keep ``length``,
    padding with zeros where the wanted window runs past the target's (only where the
    definition's own result is zero: outside the uncropped result)."""

    start: tuple[int, ...]
    length: tuple[int, ...]
    before: tuple[int, ...]
    after: tuple[int, ...]
    got: tuple[int, ...]          # the target's own output size, per axis

    @property
    def none(self) -> bool:
        return (not any(self.start) and not any(self.before) and not any(self.after)
                and self.length == self.got)

    def apply(self, y: np.ndarray) -> np.ndarray:
        """``y`` (``(N, C, *spatial)``) cut and padded to the wanted window."""
        if self.none:
            return y
        padded = np.pad(y, [(0, 0), (0, 0), *zip(self.before, self.after)])
        index = tuple(slice(s + b, s + b + n) for s, b, n in
                      zip(self.start, self.before, self.length))
        return padded[(slice(None), slice(None), *index)]

    def code(self, spatial_axes: tuple[int, ...], ndim: int) -> str:
        """The step as NumPy on an output whose spatial axes are ``spatial_axes``."""
        lines = []
        if any(self.before) or any(self.after):
            pads = [(0, 0)] * ndim
            for axis, b, a in zip(spatial_axes, self.before, self.after):
                pads[axis] = (b, a)
            lines.append(f"y = np.pad(y, {pads})  # zeros past the uncropped result")
        index = [":"] * ndim
        for axis, s, b, n in zip(spatial_axes, self.start, self.before, self.length):
            index[axis] = f"{s + b}:{s + b + n}"
        lines.append(f"y = y[{', '.join(index)}]")
        return "\n".join(lines)


def candidates(case: Case, want: tuple[tuple[int, int, int], ...]):
    """Windows to ask the target for, the wanted one first, each with the step that turns
    its output into the wanted window: crop nothing at the end, or nothing at the start, or
    nothing at all (the whole uncropped result), then cut. A step is only offered where the
    zeros it appends lie outside the uncropped result (where the definition itself is zero)."""
    axes = [Axis(n, k, s, d) for n, k, s, d in
            zip(case.input_size, case.kernel, case.stride, case.dilation)]
    kinds = (lambda w: w, lambda w: (w[0], 0, 0), lambda w: (0, w[1], w[2]),
             lambda w: (0, 0, 0))
    seen = set()
    for kind in kinds:
        asked = tuple(kind(w) for w in want)
        if asked in seen:
            continue
        seen.add(asked)
        step = _step(axes, asked, want)
        if step is not None:
            yield asked, step


def _step(axes: list[Axis], asked, want) -> Step | None:
    start, length, before, after, sizes = [], [], [], [], []
    for axis, a, w in zip(axes, asked, want):
        got, n = Canonical(*a).size(axis), Canonical(*w).size(axis)
        offset = w[0] - a[0]
        b, e = max(0, -offset), max(0, offset + n - got)
        # zeros may only stand where the uncropped result has no element: before its start,
        # or past its end (the wanted window's last e positions at or beyond axis.full)
        if b and w[0] + b > 0 or e and w[0] + n - e < axis.full:
            return None
        start.append(offset)
        length.append(n)
        before.append(b)
        after.append(e)
        sizes.append(got)
    return Step(tuple(start), tuple(length), tuple(before), tuple(after), tuple(sizes))


# -- the weights ------------------------------------------------------------------------------


def weight_lines(source: str, target: str, dims: int, groups: int) -> list[str]:
    """NumPy lines turning the source's native weight ``w`` into the target's."""
    src, tgt = adapters.load(source).conventions, adapters.load(target).conventions
    return weights.conversion(src.kernel_axes, src.kernel_flipped, tgt.kernel_axes,
                              tgt.kernel_flipped, dims, groups)


def layout_lines(name: str, dims: int, groups: int) -> list[str]:
    """NumPy lines turning the canonical weight ``w`` into ``name``'s own layout."""
    conventions = adapters.load(name).conventions
    return weights.layout(conventions.kernel_axes, conventions.kernel_flipped, dims, groups)


# -- the port ---------------------------------------------------------------------------------


@dataclass
class Attempt:
    """One target entry point tried: how it ended, and why not, if not."""

    entry_point: str
    outcome: str            # "verified", "not expressible", "refused", "known", "failed"
    reason: str = ""


@dataclass
class Port:
    source: str
    target: str              # the entry point asked for
    case: Case
    window: tuple[tuple[int, int, int], ...]
    source_status: str
    source_call: str
    verified: bool = False
    entry_point: str = ""    # the entry point that computes it (target, or the nearest)
    call: str = ""
    script: str = ""         # the target's native call as standalone lines
    source_script: str = ""  # the source's, likewise
    asked: tuple[tuple[int, int, int], ...] = ()
    step: Step | None = None
    native: dict = field(default_factory=dict)
    weights: list[str] = field(default_factory=list)
    bias: str = ""
    oracle_units: float | None = None
    source_units: float | None = None
    max_difference: float | None = None
    tolerance: float | None = None
    check_id: str = ""
    attempts: list[Attempt] = field(default_factory=list)

    def record(self) -> dict:
        step = self.step
        return {"source": self.source, "target": self.target, "entry_point": self.entry_point,
                "verified": self.verified, "case": self.case.id,
                "window": [list(w) for w in self.window],
                "source_status": self.source_status, "source_call": self.source_call,
                "call": self.call, "native": self.native, "weights": self.weights,
                "bias": self.bias, "asked_window": [list(w) for w in self.asked],
                "extra_step": None if step is None or step.none else {
                    "start": list(step.start), "length": list(step.length),
                    "zeros_before": list(step.before), "zeros_after": list(step.after)},
                "oracle_bound_units": self.oracle_units,
                "source_bound_units": self.source_units,
                "max_difference": self.max_difference, "check_id": self.check_id,
                "attempts": [vars(a) for a in self.attempts]}


def _registered(known, name: str, case: Case) -> registry.Known | None:
    """A registered discrepancy that concerns ``name`` on ``case`` (by id or by its rule)."""
    return next((e for e in known if e.check == "forward" and e.concerns(name, "cpu")
                 and (e.matches(name, case.id) or e.holds(case))), None)


def spatial_axes(name: str, dims: int) -> tuple[int, ...]:
    layout = adapters.load(name).conventions.input_layout
    first = layout.split(" (")[0].replace(" ", "").startswith("N,*spatial")
    return tuple(range(1, 1 + dims)) if first else tuple(range(2, 2 + dims))


def _family(target: str) -> list[str]:
    """``target`` first, then the other entry points of its framework, in registry order."""
    framework = adapters.framework(target)
    others = [cls.name for cls, _ in framework.entry_points if cls.name != target]
    return [target, *others]


def port(source: str, target: str, case: Case, workers: Workers,
         known: list[registry.Known]) -> Port:
    """The port of ``case`` (in ``source``'s terms) to ``target``: verified, or why not."""
    arrays = case.arrays()
    src = pipeline.run(source, case, workers, arrays=arrays)
    if src.plan is None:
        raise PortError(f"--from {source}: this layer is not one {source} can run: "
                        f"{src.detail}")
    if src.plan.violation:
        raise PortError(f"--from {source}: its documented rules forbid this layer: "
                        f"{src.plan.violation}")
    window = src.plan.canonical
    result = Port(source, target, case, window, str(src.status), src.call)
    if src.status != Status.PASS or src.output is None:
        result.attempts.append(Attempt(source, "failed", "the source itself departs from its "
                                       f"documented rule here ({src.status}: {src.detail}); "
                                       "no port can be verified against it"))
        return result
    want, bound = expected(case, src.plan, *arrays)
    for name in _family(target):
        attempt = _try(name, case, window, src, want, bound, arrays, workers, known, result)
        result.attempts.append(attempt)
        if attempt.outcome == "verified":
            break
    return result


def _try(name, case, window, src, want, bound, arrays, workers, known, result) -> Attempt:
    reasons = []
    for asked, step in candidates(case, window):
        target_case = replace(case, padding=tuple((b, e) for b, e, _ in asked),
                              output_padding=tuple(a for _, _, a in asked))
        entry = _registered(known, name, target_case)
        if entry is not None:
            reasons.append(f"a registered discrepancy ({entry.source}): {entry.evidence}")
            continue
        check = pipeline.run(name, target_case, workers, arrays=arrays)
        if check.plan is None:
            reasons.append(check.detail)
            continue
        if check.plan.violation:
            reasons.append(f"refused by its documented rules: {check.plan.violation}")
            continue
        if check.status != Status.PASS or check.output is None:
            reasons.append(f"{check.status}: {check.detail}")
            continue
        y = step.apply(check.output)
        verdict = compare(y, want, bound)
        same = agree(y, src.output)
        if verdict.status != Status.PASS or not same:
            reasons.append(f"the ported output differs: {verdict.detail or 'from the source'}")
            continue
        adapter = adapters.load(name)
        result.verified, result.entry_point = True, name
        result.call, result.script = check.call, adapter.script(check.plan)
        result.source_script = adapters.load(src.adapter).script(src.plan)
        result.asked, result.step = asked, step
        result.native = adapters.padding_spelling(name, check.plan.native)
        result.weights = weight_lines(src.adapter, name, case.dims, case.groups)
        result.bias = adapter.conventions.bias
        result.oracle_units = verdict.bound_units
        result.source_units = src.verdict.bound_units if src.verdict else None
        result.max_difference = float(np.max(np.abs(y - src.output))) if y.size else 0.0
        result.tolerance = float(2 * np.max(bound)) if bound.size else 0.0
        result.check_id = check_id(name, target_case.id, check.kind, check.device)
        return Attempt(name, "verified", "" if step.none else
                       "with an extra step; the window itself: " + "; ".join(reasons))
    kind = ("known" if reasons and all(r.startswith("a registered") for r in reasons) else
            "refused" if any(r.startswith("refused") for r in reasons) else
            "not expressible")
    return Attempt(name, kind, reasons[0] if reasons else "no window to try")


# -- what it prints -----------------------------------------------------------------------------


def text(result: Port) -> str:
    lines = [f"{result.source} -> {result.target}: {result.case.dims}-D layer, window "
             f"(begin, end, output_padding) per axis {[tuple(w) for w in result.window]} by "
             f"{result.source}'s documented rule (source {result.source_status} against the "
             "oracle)", f"  source call: {result.source_call}"]
    if not result.verified:
        lines.append("no verified translation:")
        lines += [f"  {a.entry_point}: {a.outcome}: {a.reason}" for a in result.attempts]
        return "\n".join(lines) + "\n"
    if result.entry_point != result.target:
        first = result.attempts[0]
        lines.append(f"{result.target} cannot: {first.outcome}: {first.reason}")
        lines.append(f"nearest entry point of the same framework that computes it: "
                     f"{result.entry_point}")
    lines += ["", f"target ({result.entry_point}), native call:", "",
              _indent(result.script), ""]
    if result.step is not None and not result.step.none:
        dims = result.case.dims
        lines += [f"extra step: {result.attempts[-1].reason}.",
                  f"  {result.entry_point} computes the window "
                  f"{[tuple(w) for w in result.asked]}, then:",
                  "  on the output in (N, C, *spatial):",
                  _indent(result.step.code(tuple(range(2, 2 + dims)), 2 + dims)),
                  "  on the target's own output layout:",
                  _indent(result.step.code(spatial_axes(result.entry_point, dims), 2 + dims)),
                  ""]
    lines += ["weights (w: the source's weight as the source holds it; after these lines, the "
              "target's):", _indent("\n".join(result.weights) or "(unchanged)"),
              f"bias: {result.bias}",
              f"verified on seeded inputs ({result.case.dtype}): target vs oracle "
              f"{result.oracle_units:.3g} bound units, source vs oracle "
              f"{result.source_units:.3g}; largest difference target - source "
              f"{result.max_difference:.3g} (check {result.check_id})"]
    return "\n".join(lines) + "\n"


def _indent(code: str) -> str:
    return "\n".join("    " + line if line else "" for line in code.splitlines())


def standalone(result: Port) -> str:
    """A script needing only NumPy and the two frameworks: the seeded inputs, the source's
    native call, the weight conversion checked, the target's native call (and extra step),
    the largest difference; exit 0 iff the port is right."""
    case = result.case
    environment = {**adapters.environment(adapters.backend(result.source)),
                   **adapters.environment(adapters.backend(result.entry_point))}
    step = result.step
    dims = case.dims
    step_code = "" if step is None or step.none else step.code(tuple(range(2, 2 + dims)),
                                                               2 + dims)
    parts = [
        f"# tconv port: {result.source} -> {result.entry_point}, verified by tconv "
        f"(check {result.check_id}).\n"
        "# Needs NumPy and the two frameworks only; exits 0 iff the target computes what the "
        "source computes.\n"
        "import os\nimport sys\n\n"
        + "".join(f"os.environ.setdefault({k!r}, {v!r})\n" for k, v in environment.items())
        + "\nimport numpy as np",
        inputs_script(case),
        _weights_function("convert", "The weight conversion: the source's native weight -> "
                          "the target's.", result.weights),
        _weights_function("source_layout", "The kernel as the source lays it out.",
                          layout_lines(result.source, dims, case.groups)),
        _weights_function("target_layout", "The kernel as the target lays it out.",
                          layout_lines(result.entry_point, dims, case.groups)),
        "if not np.array_equal(convert(source_layout(w)), target_layout(w)):\n"
        "    print('the weight conversion does not map the source layout onto the target\\'s')\n"
        "    sys.exit(1)",
        _function("source", result.source_script),
        _function("target", result.script + ("\n" + step_code if step_code else "")),
        "\n".join([
            "ys, yt = source(x, w, b), target(x, w, b)",
            "if ys.shape != yt.shape:",
            "    print(f'shapes differ: source {ys.shape}, target {yt.shape}')",
            "    sys.exit(1)",
            "difference = float(np.max(np.abs(ys - yt))) if ys.size else 0.0",
            "# Twice tconv's error bound for these inputs: each side is within one bound of the",
            "# exact result (tconv's oracle), so the two are within two of each other.",
            f"TOLERANCE = {result.tolerance!r}",
            "print(f'largest difference {difference:.3g} (tolerance {TOLERANCE:.3g})')",
            "sys.exit(0 if difference <= TOLERANCE else 1)"]),
    ]
    return "\n\n\n".join(parts) + "\n"


def _weights_function(name: str, doc: str, lines: list[str]) -> str:
    return f'def {name}(w):\n    """{doc}"""\n' + _indent("\n".join(lines)) + \
        ("\n" if lines else "") + "    return w"


def _function(name: str, body: str) -> str:
    return f"def {name}(x, w, b):\n" + _indent(body) + "\n    return y"


# -- the command --------------------------------------------------------------------------------


def case_from(args: argparse.Namespace) -> Case:
    """The layer, as a case-file table checked like one (one line naming the field)."""
    def every(values: list[int]) -> int | list[int]:
        # one value stands for every axis, as an integer does in a case file
        return values[0] if len(values) == 1 else values

    table: dict = {"name": "port", "input_size": args.input_size,
                   "kernel": every(args.kernel), "in_channels": args.in_channels,
                   "out_channels": args.out_channels, "groups": args.groups,
                   "bias": args.bias, "dtype": args.dtype}
    for key in ("stride", "dilation", "output_padding"):
        value = getattr(args, key)
        if value is not None:
            table[key] = every(value)
    if args.output_shape is not None:
        if args.padding is not None:
            raise PortError("--padding and --output-shape: give one of them")
        table["padding"] = {"output_shape": every(args.output_shape)}
    elif args.padding is not None:
        table["padding"] = _padding(args.padding)
    try:
        (case,) = userfile.cases_of({"cases": [table]}, "tconv port")
    except userfile.CaseFileError as error:
        raise PortError(str(error).replace("case 'port': ", "--")) from None
    return case


def _padding(text: str):
    if text.upper() in ("SAME", "VALID"):
        return text.upper()
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        raise PortError(f"--padding: {text!r} is not an int, [begin, end] pairs, SAME or "
                        "VALID") from None
    return value


def parser() -> argparse.ArgumentParser:
    from tconv.reports.usage import Parser

    p = Parser(prog="tconv port", description=__doc__.split("\n\n")[0])
    names = sorted({**adapters.REGISTRY})
    p.add_argument("--from", dest="source", required=True, choices=names, metavar="ENTRY")
    p.add_argument("--to", dest="target", required=True, choices=names, metavar="ENTRY")
    p.add_argument("--input-size", type=int, nargs="+", required=True)
    p.add_argument("--kernel", type=int, nargs="+", required=True)
    p.add_argument("--stride", type=int, nargs="+")
    p.add_argument("--dilation", type=int, nargs="+")
    p.add_argument("--groups", type=int, default=1)
    p.add_argument("--in-channels", type=int, default=1)
    p.add_argument("--out-channels", type=int, default=1)
    p.add_argument("--bias", action="store_true")
    p.add_argument("--padding", help="in the source's terms: an int, [[begin, end], ...], "
                                     "SAME or VALID")
    p.add_argument("--output-padding", type=int, nargs="+")
    p.add_argument("--output-shape", type=int, nargs="+")
    p.add_argument("--dtype", default="float32", choices=DTYPES)
    p.add_argument("--script", type=Path, help="write a standalone script that verifies the "
                                               "port")
    p.add_argument("--json", action="store_true", help="print the port as JSON")
    return p


def main(argv: list[str] | None = None) -> int:
    from tconv.reports.usage import UsageError

    args = parser().parse_args(argv)
    for name in (args.source, args.target):
        if not adapters.installed(adapters.backend(name)):
            raise UsageError(f"{name}: its framework is not installed here")
    try:
        case = case_from(args)
        workers = Workers()
        try:
            result = port(args.source, args.target, case, workers, registry.load())
        finally:
            workers.close()
    except PortError as error:
        raise UsageError(str(error)) from None
    if args.json:
        print(json.dumps(result.record(), indent=1, sort_keys=True))
    else:
        sys.stdout.write(text(result))
    if args.script is not None and result.verified:
        args.script.write_text(standalone(result), encoding="utf-8")
        if not args.json:
            print(f"script: {args.script}")
    return 0 if result.verified else 1
