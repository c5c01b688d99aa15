"""The regression gate: compare a current run with a baseline, check by check.

Either side may be a ``results.jsonl`` file, a ``report.json`` document (its ``checks``) or a
baseline file written by ``write_baseline``; the format is told from the content. Checks are
keyed by ``check_id`` and each falls into one of five lists:

- **regression** (exit 1): a check that passed and no longer does, whatever it does now
  (``unsupported`` included: an entry point that stops expressing a case changed behaviour); a
  check whose non-pass status changed to another non-pass status; a check absent from the
  baseline whose status is failing (``status.FAILING``, or a status the format does not know);
  a ``known`` check whose signature changed: its ``observed`` status, its ``actual_shape``, or
  its error grew past its recorded magnitude.
- **improvement** (listed, never failing): a non-pass check that now passes; ``known`` ->
  ``pass`` is reported as a fixed known discrepancy.
- **missing**: in the baseline, absent from the current run (fails only with ``--strict``).
- **new**: absent from the baseline and not failing (``pass``, ``known`` or ``unsupported``).
- **unchanged**: everything else.

The magnitude of an error is the decimal order of ``bound_units``, ``floor(log10)``: 3e4 -> 8e4
is unchanged, 3e4 -> 2e5 is a regression. Bound units are already normalised by the oracle's
error bound, so what is left between runs is the spread of different summation orders, blocking
and thread counts, which stays within one order; a change of order is a different computation.

    python -m reports.gate --baseline BASELINE --current CURRENT [--json] [--strict]

Exit status: 1 on any regression (or, with ``--strict``, any missing check), 0 otherwise, 2 on
wrong usage or a file that cannot be read (one line naming the file).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import NoReturn

from tconv.conformance import results
from tconv.conformance.status import Status

BASELINE_VERSION = "1.0"
BASELINE_FIELDS = ("check_id", "status", "observed", "actual_shape", "expected_shape",
                   "bound_units", "framework_version", "known_issue")
# Statuses a check new to the run may have without failing the gate.
ACCEPTED_NEW = frozenset({Status.PASS, Status.KNOWN, Status.UNSUPPORTED})


class InputError(Exception):
    """A file the gate cannot use; the message names the file and the problem."""


@dataclass(frozen=True)
class Change:
    check_id: str
    before: str | None  # the baseline's status, None when absent
    after: str | None  # the current status, None when absent
    why: str


@dataclass
class GateResult:
    regressions: list[Change] = field(default_factory=list)
    improvements: list[Change] = field(default_factory=list)
    missing: list[Change] = field(default_factory=list)
    new: list[Change] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # unreadable lines, duplicate check ids
    # The registry files the current run's known checks were expected by, with their counts
    # (the project's known_issues.toml, and any --known file).
    registries: dict[str, int] = field(default_factory=dict)

    def failed(self, strict: bool = False) -> bool:
        return bool(self.regressions) or (strict and bool(self.missing))


def magnitude(bound_units: float | None) -> float | None:
    """The decimal order of an error in bound units; -inf for no error, inf for a NaN or
    infinite one, None when no error was recorded (a shape or an exception)."""
    if bound_units is None or isinstance(bound_units, bool):
        return None
    value = float(bound_units)
    if not math.isfinite(value):
        return math.inf
    if value <= 0:
        return -math.inf
    order = math.floor(math.log10(value))
    # log10 rounds: just below a power of ten it returns that power; correct by one.
    if 10.0 ** order > value:
        order -= 1
    elif 10.0 ** (order + 1) <= value:
        order += 1
    return order


def _known_signature_change(before: dict, after: dict) -> str | None:
    """Why a known discrepancy no longer looks the way it was registered, or None."""
    if before.get("observed") != after.get("observed"):
        return (f"known discrepancy now observed as {after.get('observed')} "
                f"(was {before.get('observed')})")
    if before.get("actual_shape") != after.get("actual_shape"):
        return (f"known discrepancy's output shape changed: {before.get('actual_shape')} -> "
                f"{after.get('actual_shape')}")
    was, now = magnitude(before.get("bound_units")), magnitude(after.get("bound_units"))
    if now is not None and (was is None or now > was):
        return (f"known discrepancy's error grew past its order of magnitude: "
                f"{before.get('bound_units')} -> {after.get('bound_units')} bound units")
    return None


def _classify(check_id: str, before: dict | None, after: dict | None, result: GateResult) -> None:
    was = None if before is None else before.get("status")
    now = None if after is None else after.get("status")
    if after is None:
        result.missing.append(Change(check_id, was, None, "absent from the current run"))
    elif before is None:
        if now in ACCEPTED_NEW:
            result.new.append(Change(check_id, None, now, "new check"))
        else:
            result.regressions.append(Change(check_id, None, now, f"new check, {now}"))
    elif was == now == Status.KNOWN:
        why = _known_signature_change(before, after)
        if why:
            result.regressions.append(Change(check_id, was, now, why + _registry(after)))
        else:
            result.unchanged.append(check_id)
    elif was == now:
        result.unchanged.append(check_id)
    elif now == Status.PASS:
        why = ("fixed: the known discrepancy no longer reproduces" + _registry(before)
               if was == Status.KNOWN else "passes")
        result.improvements.append(Change(check_id, was, now, why))
    elif was == Status.PASS:
        result.regressions.append(Change(check_id, was, now, f"passed, now {now}"))
    elif now == Status.KNOWN:
        # The brief's rule: any change between non-pass statuses is a regression; registering
        # an existing failure as known still needs the baseline refreshed.
        result.regressions.append(Change(
            check_id, was, now,
            f"status changed: now a registered known issue (observed {after.get('observed')})"
            + _registry(after)))
    else:
        result.regressions.append(Change(check_id, was, now, f"status changed: {was} -> {now}"))


def _source(row: dict) -> str:
    """The registry file whose entry the row matched ("" when the row does not say)."""
    entry = row.get("known_entry")
    return str(entry.get("source", "")) if isinstance(entry, dict) else ""


def _registry(row: dict) -> str:
    source = _source(row)
    return f" (registry: {source})" if source else ""


def _by_id(rows: Iterable[dict], label: str, notes: list[str]) -> dict[str, dict]:
    keyed: dict[str, dict] = {}
    duplicates = 0
    for row in rows:
        duplicates += row["check_id"] in keyed
        keyed[row["check_id"]] = row
    if duplicates:
        notes.append(f"{label}: {duplicates} duplicate check id(s), the last row of each kept")
    return keyed


def compare(baseline_rows: list[dict], current_rows: list[dict]) -> GateResult:
    """Classify every check of either side (see the module docstring)."""
    result = GateResult()
    before = _by_id(baseline_rows, "baseline", result.notes)
    after = _by_id(current_rows, "current", result.notes)
    for check_id in sorted(before.keys() | after.keys()):
        _classify(check_id, before.get(check_id), after.get(check_id), result)
    for row in after.values():
        if row.get("status") == Status.KNOWN and _source(row):
            result.registries[_source(row)] = result.registries.get(_source(row), 0) + 1
    return result


def _one_line(text: object) -> str:
    """File content on one terminal line: no control characters."""
    return "".join(c if c.isprintable() else " " for c in str(text))


def render(result: GateResult, strict: bool = False) -> str:
    """Text for a terminal or a CI log: regressions, improvements, missing, new, counts."""
    lines = []
    for title, changes in (("REGRESSION", result.regressions), ("improvement", result.improvements),
                           ("missing", result.missing), ("new", result.new)):
        lines += [_one_line(f"{title} {c.check_id}: {c.before or '-'} -> {c.after or '-'}: "
                            f"{c.why}") for c in changes]
    lines += [_one_line(f"note: {note}") for note in result.notes]
    if result.registries:
        lines.append(_one_line("known checks by registry file: " + ", ".join(
            f"{n} from {source}" for source, n in sorted(result.registries.items()))))
    verdict = "FAIL" if result.failed(strict) else "ok"
    lines.append(f"gate {verdict}: {len(result.regressions)} regression(s), "
                 f"{len(result.improvements)} improvement(s), {len(result.missing)} missing"
                 f"{' (strict)' if strict else ''}, {len(result.new)} new, "
                 f"{len(result.unchanged)} unchanged")
    return "\n".join(lines) + "\n"


def as_json(result: GateResult, strict: bool = False) -> dict:
    """The same lists as ``render``, as one JSON-ready object."""
    lists = ("regressions", "improvements", "missing", "new")
    return {"failed": result.failed(strict), "strict": strict,
            "counts": {name: len(getattr(result, name)) for name in (*lists, "unchanged")},
            **{name: [asdict(c) for c in getattr(result, name)] for name in lists},
            "unchanged": list(result.unchanged), "notes": list(result.notes),
            "registries": dict(sorted(result.registries.items()))}


def _round3(value: object) -> object:
    """3 significant digits: enough for an order of magnitude, stable across runs' noise."""
    if isinstance(value, float) and math.isfinite(value):
        return float(f"{value:.3g}")
    return value


def compact(rows: Iterable[dict]) -> list[dict]:
    """What the gate needs of each check, sorted by check id."""
    kept = [{"check_id": r["check_id"], "status": r.get("status"), "observed": r.get("observed"),
             "actual_shape": r.get("actual_shape"), "expected_shape": r.get("expected_shape"),
             "bound_units": _round3(r.get("bound_units")),
             "framework_version": r.get("framework_version"),
             "known_issue": bool(r.get("known_issue"))} for r in rows]
    return sorted(kept, key=lambda r: (r["check_id"], str(r["framework_version"])))


def write_baseline(rows: Iterable[dict], path: str | Path) -> int:
    """Write a baseline file (a header line, then one sorted-keys line per check, sorted by
    check id, so that it diffs well in git); returns the number of checks written."""
    kept = compact(rows)
    statuses: dict[str, int] = {}
    for row in kept:
        statuses[str(row["status"])] = statuses.get(str(row["status"]), 0) + 1
    header = {"tconv_baseline": BASELINE_VERSION, "checks": len(kept),
              "statuses": dict(sorted(statuses.items()))}
    lines = [json.dumps(header, sort_keys=True)] + [json.dumps(r, sort_keys=True) for r in kept]
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(kept)


def _report_rows(document: dict, path: str) -> tuple[list[dict], int]:
    checks = document["checks"]
    if not isinstance(checks, list):
        raise InputError(f"{path}: 'checks' is not a list")
    rows = [c for c in checks if isinstance(c, dict) and isinstance(c.get("check_id"), str)]
    return rows, len(checks) - len(rows)


def load(path: str | Path) -> tuple[list[dict], int, str]:
    """The checks of ``path``, the count of unreadable lines or entries, and the format found
    (``results``, ``report`` or ``baseline``). Raises ``InputError`` naming the file."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        raise InputError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{name}: is a directory") from None
    except OSError as exc:
        raise InputError(f"{name}: cannot read ({exc.strerror or exc})") from None
    try:
        document = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        document = None
    if isinstance(document, dict) and "checks" in document:
        return (*_report_rows(document, name), "report")
    first, _, rest = text.lstrip().partition("\n")
    try:
        header = json.loads(first)
    except json.JSONDecodeError:
        header = None
    if isinstance(header, dict) and "tconv_baseline" in header:
        if header["tconv_baseline"] != BASELINE_VERSION:
            raise InputError(f"{name}: baseline version {header['tconv_baseline']!r} "
                             f"(this gate reads {BASELINE_VERSION})")
        return (*results.parse(rest), "baseline")
    rows, broken = results.parse(text)
    if not rows:
        raise InputError(f"{name}: no readable check ({broken} unreadable line(s))")
    return rows, broken, "results"


class _Parser(argparse.ArgumentParser):
    """argparse whose usage errors are one line, raised rather than exiting."""

    def error(self, message: str) -> NoReturn:
        raise InputError(_one_line(message))


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(prog="tconv gate", description="Compare a run with a baseline.")
    parser.add_argument("--baseline", required=True, help="results.jsonl, report.json or baseline")
    parser.add_argument("--current", required=True, help="results.jsonl, report.json or baseline")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--strict", action="store_true", help="missing checks fail too")
    try:
        args = parser.parse_args(argv)
        baseline, bad_before, _ = load(args.baseline)
        current, bad_after, _ = load(args.current)
    except InputError as exc:
        print(f"tconv gate: {exc}", file=sys.stderr)
        return 2
    result = compare(baseline, current)
    for label, path, bad in (("baseline", args.baseline, bad_before),
                             ("current", args.current, bad_after)):
        if bad:
            result.notes.append(f"{label} {path}: {bad} unreadable line(s) skipped")
    if args.json:
        print(json.dumps(as_json(result, args.strict), indent=1))
    else:
        sys.stdout.write(render(result, args.strict))
    return 1 if result.failed(args.strict) else 0


if __name__ == "__main__":
    sys.exit(main())
