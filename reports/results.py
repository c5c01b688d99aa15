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
- ``timing`` (seconds: ``framework_s`` inside the framework call as the worker measured it,
  its import and compilation included on first use; ``round_trip_s`` as the controller saw
  it; ``oracle_s`` judging it; null for a check that never reached a framework);
- ``duration_s``, ``pytest_outcome`` (added by the writer).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

SCHEMA_VERSION = "1.1"  # 1.1: the optional "precision" field

# Most to least severe is not implied; this is the order reports list them in.
STATUSES = ("pass", "known", "precision", "mismatch", "shape", "error", "accepted-invalid",
            "crash", "timeout", "unsupported")
FAILING = ("precision", "mismatch", "shape", "error", "accepted-invalid", "crash", "timeout")

FIELDS = ("check_id", "case_id", "case", "family", "dtype", "check", "adapter", "backend",
          "entry_point", "framework_version", "device", "precision", "status", "observed",
          "detail",
          "known_issue", "expected_shape", "actual_shape", "max_abs_error", "bound_units",
          "worst_index", "error_type", "error_message", "call", "error_map", "timing",
          "duration_s", "pytest_outcome")

# Fields that change from run to run without any change in behaviour.
VOLATILE = ("duration_s", "timing")


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
