"""Merge the results of several runs (machines, CI jobs) into one ``results.jsonl``.

Rows are the same check when their ``check_id`` (which names the device) and
``framework_version`` agree; runs on different devices or framework versions are different
checks and all are kept. The same check twice with identical rows (``results.comparable``:
the volatile fields and a crashed framework's quoted output aside) is kept once; twice with a
different outcome, the later file's row is kept and a note names the check and both files.
Unreadable lines (a run killed while writing) are skipped and noted per file.

    python -m reports.merge A/results.jsonl B/results.jsonl ... --out DIR
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import NoReturn

from tconv.conformance import results


def _key(row: dict) -> tuple[str, str]:
    # The device is part of check_id (results.check_id).
    return (row["check_id"], str(row.get("framework_version") or ""))


def _content(row: dict) -> dict:
    return results.comparable(row)


def _outcome(row: dict) -> str:
    status, observed = row.get("status"), row.get("observed")
    return f"{status} (observed {observed})" if observed and observed != status else str(status)


def merge(paths: Iterable[str | Path]) -> tuple[list[dict], list[str]]:
    """Every readable row of ``paths`` without duplicates, sorted by check id then framework
    version, and the notes (conflicting duplicates, unreadable lines). A file that cannot be
    read raises ``OSError``."""
    kept: dict[tuple[str, str], tuple[dict, str]] = {}
    notes = []
    for path in paths:
        rows, broken = results.parse(Path(path).read_text(encoding="utf-8", errors="replace"))
        if broken:
            notes.append(f"{path}: {broken} unreadable line(s) skipped")
        for row in rows:
            key = _key(row)
            if key in kept:
                earlier, where = kept[key]
                if _content(earlier) == _content(row):
                    continue
                notes.append(f"{row['check_id']} ({key[1] or 'no version'}): {where} says "
                             f"{_outcome(earlier)}, {path} says {_outcome(row)}; kept {path}")
            kept[key] = (row, str(path))
    return [kept[key][0] for key in sorted(kept)], notes


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    """argparse whose usage errors are one line, raised rather than exiting."""

    def error(self, message: str) -> NoReturn:
        raise _UsageError(message.replace("\n", " "))


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(prog="tconv merge", description="Merge results.jsonl files into one.")
    parser.add_argument("results", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, required=True, help="writes OUT/results.jsonl")
    try:
        args = parser.parse_args(argv)
    except _UsageError as exc:
        print(f"tconv merge: {exc}", file=sys.stderr)
        return 2
    missing = [str(p) for p in args.results if not p.is_file()]
    if missing:
        print(f"tconv merge: no such results file: {', '.join(missing)}", file=sys.stderr)
        return 2
    try:
        rows, notes = merge(args.results)
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        print(f"tconv merge: {exc.filename}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    target = args.out / "results.jsonl"
    # Written aside and moved into place: OUT/results.jsonl may be one of the inputs.
    partial = args.out / ".results.jsonl.partial"
    partial.unlink(missing_ok=True)
    for row in rows:
        results.write_line(partial, row)
    partial.touch()  # no rows still leaves an (empty) results file
    os.replace(partial, target)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    print(f"merge: {len(rows)} checks from {len(args.results)} file(s), {len(notes)} note(s) "
          f"-> {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
