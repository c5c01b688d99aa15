"""The discrepancies of a run in groups, as a reader fixes them: known checks by the registry
entry that matched them (one evidence paragraph, many checks), new discrepancies by signature
(the same failure on several cases). Used by report.md and report.html.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from tconv.conformance.status import CLEAN, Status

# A number standing alone (not the digits of a name such as float16 or conv_transpose2d):
# sizes, indexes, errors and addresses that differ from case to case of one failure.
_NUMBER = re.compile(r"(?<![\w.])[-+]?(?:0x[0-9a-fA-F]+|\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)")


@dataclass(frozen=True)
class Group:
    """Checks that share a registry entry (``kind`` "known") or a signature ("new"), sorted by
    check id; ``key`` identifies the group."""

    kind: str
    key: str
    rows: tuple[dict, ...]


def without_numbers(text: str) -> str:
    """``text`` with every standalone number written as ``#``."""
    return _NUMBER.sub("#", text)


def known_key(row: dict) -> str:
    """The registry entry a known check matched: its ``known_entry`` record, or for lines
    written before schema 1.2, its adapter and the entry's evidence."""
    entry = row.get("known_entry")
    if entry:
        return json.dumps(entry, sort_keys=True)
    return json.dumps([str(row.get("adapter") or ""), str(row.get("known_issue") or "")])


def signature(row: dict) -> str:
    """A new discrepancy's signature: adapter, observed status, error type and the detail
    without its numbers."""
    return json.dumps([str(row.get("adapter") or ""),
                       str(row.get("observed") or row.get("status") or ""),
                       str(row.get("error_type") or ""),
                       without_numbers(str(row.get("detail") or ""))])


def _grouped(kind: str, rows: list[dict], key) -> list[Group]:
    found: dict[str, list[dict]] = {}
    for row in rows:
        found.setdefault(key(row), []).append(row)
    return [Group(kind, k, tuple(sorted(found[k], key=lambda r: str(r.get("check_id")))))
            for k in sorted(found)]


def known(rows: list[dict]) -> list[Group]:
    """The known checks of ``rows``, one group per registry entry."""
    return _grouped("known", [r for r in rows if r.get("status") == Status.KNOWN], known_key)


def new(rows: list[dict]) -> list[Group]:
    """The checks of ``rows`` that are discrepancies no registry entry expects (any status but
    pass, unsupported and known), one group per signature."""
    failing = [r for r in rows if r.get("status") not in (*CLEAN, Status.KNOWN)]
    return _grouped("new", failing, signature)


def discrepancies(rows: list[dict]) -> list[Group]:
    """Every group of ``rows``: new discrepancies first, then the known ones."""
    return new(rows) + known(rows)
