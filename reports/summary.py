"""report.md: the headline counts, the status matrix of case families × entry points, the
feature matrix (``reports.features``) (both with the converter paths apart from the frameworks'
entry points, each named with its path: ``reports.converters``), every new discrepancy with its
native call, and the known ones grouped by the registry entry they matched (``reports.groups``).
Fit for a pull-request comment; built by ``reports.build`` (``tconv report``) from results lines, a
partial run's included."""

from __future__ import annotations

import collections

from tconv.conformance.status import CLEAN, STATUSES, Status
from tconv.reports import converters, features, groups

ORDER = STATUSES


def _escape(text: str) -> str:
    """Framework text inside a Markdown table cell: no markup, no table breaks."""
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("|", "\\|").replace("`", "'").replace("\n", " "))


def markdown(rows: list[dict], broken: int) -> str:
    counts = collections.Counter(r["status"] for r in rows)
    entry_points = sorted({r["adapter"] for r in rows})
    versions = sorted({f"{r['backend']} {r['framework_version']}" for r in rows
                       if r["framework_version"]})
    lines = ["# tconv conformance report", "",
             f"{len(rows)} checks over {len(entry_points)} entry points: "
             + ", ".join(f"{counts[s]} {s}" for s in ORDER if counts[s]) + ".",
             "", "Frameworks: " + "; ".join(versions) + ".", ""]
    if broken:
        lines += [f"{broken} unreadable line(s) skipped (a run killed while writing).", ""]
    families = sorted({r["case"]["family"] for r in rows})
    lines += ["## Checks that ran, per family and entry point (passed/ran, then the rest)", "",
              "| entry point | " + " | ".join(families) + " |",
              "|---|" + "---|" * len(families)]
    kinds = converters.kinds(rows)
    for kind, entries in kinds:
        if len(kinds) > 1:
            lines.append(f"| *{kind}* |" + " |" * len(families))
        for entry, path in entries:
            cells = []
            for family in families:
                mine = [r for r in rows if r["adapter"] == entry
                        and r["case"]["family"] == family and r["status"] != Status.UNSUPPORTED]
                bad = collections.Counter(r["status"] for r in mine if r["status"] != Status.PASS)
                cells.append(f"{len(mine) - sum(bad.values())}/{len(mine)}"
                             + "".join(f" {n} {s}" for s, n in sorted(bad.items())))
            lines.append(f"| {_named(entry, path)} | " + " | ".join(cells) + " |")
    lines += ["", *_features(rows)]
    failing = [r for r in rows if r["status"] not in (*CLEAN, Status.KNOWN)]
    lines += [f"## New discrepancies ({len(failing)})", ""]
    for r in failing:
        lines += [f"- **{r['status']}** `{r['check_id']}`: {_escape(r['detail'])[:400]}",
                  f"  - call: `{_escape(r['call'])}`"]
    if not failing:
        lines.append("None: every check passed or matched a registered known issue.")
    else:
        lines += ["", "Each has a standalone reproducer script in report.json and report.html."]
    lines += _known(rows)
    return "\n".join(lines) + "\n"


def _feature_cell(counts: dict[str, int]) -> str:
    if not any(counts.values()):
        return "\u2014"
    cell = "/".join(str(counts[c]) for c in features.CATEGORIES)
    # New discrepancies are what a reader looks for: bold where there are any.
    return f"**{cell}**" if counts["new"] else cell


def _features(rows: list[dict]) -> list[str]:
    """The feature matrix: entry points × features, each cell pass/known/unsupported/new."""
    lines = ["## Features, per entry point (" + "/".join(features.CATEGORIES) + " checks)", "",
             "A check counts under every feature it exercises; new: a discrepancy no registry "
             "entry expects (bold where there are any); \u2014: no check.", "",
             "| entry point | " + " | ".join(_escape(f) for f in features.FEATURES) + " |",
             "|---|" + "---|" * len(features.FEATURES)]
    matrix = {entry["adapter"]: entry for entry in features.matrix(rows)}
    kinds = converters.kinds(rows)
    for kind, entries in kinds:
        if len(kinds) > 1:
            lines.append(f"| *{kind}* |" + " |" * len(features.FEATURES))
        for adapter, path in entries:
            cells = [_feature_cell(matrix[adapter]["features"][f]) for f in features.FEATURES]
            lines.append(f"| {_named(adapter, path)} | " + " | ".join(cells) + " |")
    return lines + [""]


def _named(entry: str, path: str) -> str:
    """A matrix row's name: the entry point, and a converter path's path beneath it."""
    return _escape(entry) + (f"<br>{_escape(path)}" if path else "")


def _known(rows: list[dict]) -> list[str]:
    """The known checks, one line per registry entry: its evidence once, with its count."""
    found = groups.known(rows)
    lines = ["", f"## Known discrepancies ({sum(len(g.rows) for g in found)} checks)", ""]
    for group in found:
        first = group.rows[0]
        entry = first.get("known_entry") or {}
        check = f", {entry['check']}" if entry.get("check") else ""
        evidence = entry.get("evidence") or first.get("known_issue") or ""
        lines.append(f"- `{_escape(str(first['adapter']))}` ({len(group.rows)}{check}): "
                     f"{_escape(str(evidence))}")
    return lines
