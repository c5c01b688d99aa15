"""report.md: the headline counts, the status matrix of case families × entry points, and
every check that did not pass, with its native call. Fit for a pull-request comment; built by
``reports.build`` (``tconv report``) from results lines, a partial run's included."""

from __future__ import annotations

import collections

from tconv.conformance.status import CLEAN, STATUSES, Status

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
    for entry in entry_points:
        cells = []
        for family in families:
            mine = [r for r in rows if r["adapter"] == entry and r["case"]["family"] == family
                    and r["status"] != Status.UNSUPPORTED]
            bad = collections.Counter(r["status"] for r in mine if r["status"] != Status.PASS)
            cells.append(f"{len(mine) - sum(bad.values())}/{len(mine)}"
                         + "".join(f" {n} {s}" for s, n in sorted(bad.items())))
        lines.append(f"| {entry} | " + " | ".join(cells) + " |")
    failing = [r for r in rows if r["status"] not in (*CLEAN, Status.KNOWN)]
    lines += ["", f"## New discrepancies ({len(failing)})", ""]
    for r in failing:
        lines += [f"- **{r['status']}** `{r['check_id']}`: {_escape(r['detail'])[:400]}",
                  f"  - call: `{_escape(r['call'])}`"]
    if not failing:
        lines.append("None: every check passed or matched a registered known issue.")
    else:
        lines += ["", "Each has a standalone reproducer script in report.json and report.html."]
    known = collections.Counter((r["adapter"], r["known_issue"]) for r in rows
                                if r["status"] == Status.KNOWN)
    lines += ["", f"## Known discrepancies ({sum(known.values())} checks)", ""]
    lines += [f"- `{adapter}` ({n}): {_escape(evidence)}" for (adapter, evidence), n in
              sorted(known.items())]
    return "\n".join(lines) + "\n"
