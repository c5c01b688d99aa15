"""The results of a run: one JSON object per check, one per line of ``results.jsonl``.

The conformance run appends each line as its check ends and flushes it, so a run killed at any
moment leaves every finished check readable; a line cut short is skipped (and counted) by
``read``. Every report (``report.json``, ``report.md``, ``report.html``), the gate and the merge
are built from these lines alone.

A line's fields (``FIELDS``), in the oracle's words:

- ``check_id``: ``adapter::case_id::check::device``, unique within one framework version;
- ``case_id``, ``case`` (the case's parameters), ``family``, ``dtype``, ``check``
  (``forward`` or ``gradients``);
- ``adapter``, ``backend``, ``entry_point``, ``framework_version``, ``device`` (``cpu``,
  ``cuda``, ``cuda-strict``: ``adapters.devices``), ``precision`` (on CUDA: the float32
  arithmetic asked for, and the framework's switch with its value as evidence; "" on the CPU);
- ``status`` (``STATUSES``; ``known`` when a registered discrepancy matched), ``observed`` (the
  status the judge gave, ``known`` or not), ``detail``, ``known_issue`` (the registry's evidence);
- ``expected_shape``, ``actual_shape``, ``max_abs_error``, ``bound_units`` (the error in units
  of the oracle's bound), ``worst_index``, ``error_type``, ``error_message``;
- ``call`` (the native call), ``error_map`` (where the error sits, for a value difference:
  ``{"rows": ..., "cols": ..., "values": [[...]]}`` in bound units, see ``judge.error_map``);
- ``conventions`` (the entry point's declared conventions, ``adapters.Conventions``, as the
  run's version of tconv declared them), ``reproducer`` (the standalone script of a check
  that did not pass, else null), ``known_entry`` (the registry entry that matched, with the
  file it came from, else null): what a report needs, so that a report built on another
  machine or version from these lines shows what that run saw (schema 1.2);
- converter paths (``adapters.conversion``; schema 1.3): ``stage`` (``export``, ``load`` or
  ``run``: the stage that raised, else ""), ``source_output`` (the source entry point's own
  answer against the converted model's: ``entry_point``, ``status``, ``agree``,
  ``max_abs_difference``; null for a framework's own entry point), ``artefact`` (the converted
  file of a check that did not pass: ``suffix``, ``bytes``, ``base64``; else null);
- ``timing`` (seconds: ``framework_s`` inside the framework call as the worker measured it,
  its import and compilation included on first use; ``round_trip_s`` as the controller saw
  it; ``oracle_s`` judging it; null for a check that never reached a framework);
- ``duration_s``, ``pytest_outcome`` (added by the writer).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path

import numpy as np

from tconv.cases.case import Case, OutputShape
from tconv.conformance.status import STATUSES, Status

# 1.1: the optional "precision" field; 1.2: "conventions", "reproducer", "known_entry";
# 1.3: converter paths' "stage", "source_output" and "artefact".
SCHEMA_VERSION = "1.3"

FIELDS = ("check_id", "case_id", "case", "family", "dtype", "check", "adapter", "backend",
          "entry_point", "framework_version", "device", "precision", "status", "observed",
          "detail", "known_issue", "expected_shape", "actual_shape", "max_abs_error",
          "bound_units", "worst_index", "error_type", "error_message", "call", "error_map",
          "conventions", "reproducer", "known_entry", "stage", "source_output", "artefact",
          "timing", "duration_s", "pytest_outcome")
__all__ = ["FIELDS", "QUOTING", "SCHEMA_VERSION", "STATUSES", "VOLATILE", "case_record",
           "check_id", "comparable", "conventions_record", "parse", "read", "record",
           "write_line"]

# Fields that change from run to run without any change in behaviour (a converted file's bytes
# hold the exporter's names and metadata).
VOLATILE = ("duration_s", "timing", "artefact")
# Fields that may quote a crashed framework's own output, which changes from run to run too
# (adapters.logs.unquote).
QUOTING = ("detail", "error_message", "reproducer")


def comparable(row: dict) -> dict:
    """``row`` as two runs that behaved alike agree on it: without the volatile fields, and
    without the framework output a crash detail quotes."""
    from tconv.adapters import logs

    kept = {k: v for k, v in row.items() if k not in VOLATILE}
    for key in QUOTING:
        if isinstance(kept.get(key), str):
            kept[key] = logs.unquote(kept[key])
    return kept


def check_id(adapter: str, case_id: str, check: str, device: str) -> str:
    return f"{adapter}::{case_id}::{check}::{device}"


def parse(text: str) -> tuple[list[dict], int]:
    """The complete lines of a results file, and how many lines were unreadable (a line cut
    short by a killed run, or anything that is not one JSON object with a ``check_id``)."""
    rows, broken = [], 0
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            broken += 1
            continue
        if isinstance(row, dict) and isinstance(row.get("check_id"), str):
            rows.append(row)
        else:
            broken += 1
    return rows, broken


def read(paths: Iterable[Path]) -> tuple[list[dict], int]:
    """Every readable check of ``paths``, in file order, and the count of unreadable lines."""
    rows, broken = [], 0
    for path in paths:
        more, bad = parse(Path(path).read_text(encoding="utf-8", errors="replace"))
        rows += more
        broken += bad
    return rows, broken


def write_line(path: str | Path, row: dict) -> None:
    """Append ``row`` as one line and flush it: a killed writer leaves at most one partial
    line, which ``parse`` skips."""
    with open(path, "a", encoding="utf-8") as out:
        out.write(json.dumps(row, sort_keys=True) + "\n")
        out.flush()


def case_record(case: Case) -> dict:
    """The case's parameters in the oracle's words, as JSON values."""
    record = asdict(case)
    padding = case.padding
    record["padding"] = (padding if isinstance(padding, str) else
                         {"output_shape": list(padding.size)} if isinstance(padding, OutputShape)
                         else [list(pair) for pair in padding])
    record["dims"] = case.dims
    return record


def conventions_record(conventions) -> dict:
    """An entry point's declared conventions (``adapters.Conventions``) as JSON values."""
    return {key: list(value) if isinstance(value, tuple) else value
            for key, value in asdict(conventions).items()}


def _listed(shape: tuple[int, ...] | None) -> list[int] | None:
    return None if shape is None else list(shape)


def _number(value: float | None) -> float | str | None:
    """JSON has no infinity or NaN (a NaN output is infinitely many bound units off): those
    are written as the strings "inf" and "nan"."""
    return value if value is None or np.isfinite(value) else str(value)


def _source_output(found: dict | None) -> dict | None:
    return None if found is None else {
        **found, "max_abs_difference": _number(found.get("max_abs_difference"))}


def _artefact(artefact: tuple[str, bytes] | None) -> dict | None:
    """A converter path's converted file as JSON: its suffix and its bytes in base64."""
    if artefact is None:
        return None
    suffix, data = artefact
    return {"suffix": suffix, "bytes": len(data), "base64": base64.b64encode(data).decode()}


def record(result, case: Case, known=None) -> dict:
    """One line of results.jsonl for the check ``result`` (``pipeline.Check``) of ``case``:
    what was checked, how it ended, and the evidence; ``known``: the registry entry
    (``registry.Known``) that expects this outcome, or None."""
    from tconv import adapters
    from tconv.conformance.judge import Verdict
    from tconv.conformance.reproducer import reproducer

    v = result.verdict or Verdict(result.status, result.detail)
    adapter = adapters.load(result.adapter)
    row = {"check_id": check_id(result.adapter, case.id, result.kind, result.device),
           "case_id": case.id, "case": case_record(case), "family": case.family,
           "dtype": case.dtype, "check": result.kind, "adapter": result.adapter,
           "backend": adapters.backend(result.adapter),
           "entry_point": adapter.conventions.entry_point,
           "framework_version": result.version, "device": result.device,
           "precision": result.precision,
           # plain strings: a row travels between processes (execnet) and into JSON
           "status": str(Status.KNOWN if known else result.status),
           "observed": str(result.status),
           "detail": result.detail, "known_issue": known.evidence if known else "",
           "expected_shape": _listed(v.expected_shape), "actual_shape": _listed(v.actual_shape),
           "max_abs_error": _number(v.max_abs_error), "bound_units": _number(v.bound_units),
           "worst_index": _listed(v.worst_index),
           "error_type": v.error_type, "error_message": v.error_message,
           "call": result.call, "error_map": v.error_map,
           "conventions": conventions_record(adapter.conventions),
           "known_entry": known.record() if known else None,
           "stage": result.stage, "source_output": _source_output(result.source_output),
           "artefact": _artefact(result.artefact), "timing": result.timing}
    row["reproducer"] = reproducer(row)
    return row
