"""Converter paths in the reports: a check of a converter entry point (``adapters.conversion``)
records its source entry point in its conventions (``Conventions.source``); its path is read
from the row alone, so a report of lines written elsewhere shows what that run ran.

- ``path(row)``: ``source -> converter -> runtime`` (the source entry point, the converter
  as the conventions name it, the runtime: the last stage of the recorded entry point), ""
  for a framework's own entry point;
- ``kinds(rows)``: the entry points in the order the matrices list them, frameworks first,
  then converter paths, each with its path.
"""

from __future__ import annotations

ARROW = " -> "
FRAMEWORKS, CONVERTERS = "frameworks", "converter paths"


def path(row: dict) -> str:
    """The row's converter path, "" when its entry point is a framework's own."""
    conventions = row.get("conventions") or {}
    source = str(conventions.get("source") or "")
    if not source:
        return ""
    entry = str(conventions.get("entry_point") or row.get("entry_point") or "")
    runtime = entry.rsplit(ARROW, 1)[-1] if ARROW in entry else ""
    return ARROW.join(part for part in (source, str(conventions.get("framework") or ""),
                                        runtime) if part)


def kinds(rows: list[dict]) -> list[tuple[str, list[tuple[str, str]]]]:
    """``(kind, [(entry point, path), ...])`` for the frameworks' entry points, then the
    converter paths (a kind without entry points left out), each sorted by name."""
    found: dict[str, str] = {}
    for row in rows:
        adapter = str(row.get("adapter") or "")
        found[adapter] = found.get(adapter) or path(row)
    return [(kind, entries) for kind, entries in (
        (FRAMEWORKS, [(a, "") for a in sorted(found) if not found[a]]),
        (CONVERTERS, [(a, found[a]) for a in sorted(found) if found[a]])) if entries]
