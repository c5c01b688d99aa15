"""Every report of a run, built from its ``results.jsonl`` lines alone: ``report.json`` (the
whole run, schema ``reports/schema/report.schema.json``, the feature matrix of
``reports.features`` included), ``report.md`` (a pull-request summary) and ``report.html``
(one self-contained page). The lines carry what the reports show (each check's
conventions, registry entry, reproducer and framework version), so a report of lines written
on another machine or by another version of tconv shows what that run saw, never this
checkout's current code.

A partial run's results build the same reports: a line cut short by a killed run is skipped and
counted in ``sources``. The document's only volatile fields are ``generated_at`` and each
check's ``duration_s``: two runs on the same versions give the same document otherwise
(``stable``).
"""

from __future__ import annotations

import base64
import collections
import datetime
import json
import platform
import re
from pathlib import Path

from tconv.conformance import results
from tconv.conformance.status import STATUSES
from tconv.reports import features

SCHEMA = Path(__file__).with_name("schema") / "report.schema.json"
VERSION = "0.1.0"


def capabilities(rows: list[dict]) -> list[dict]:
    """Every entry point's conventions as its checks recorded them (``conventions``: what the
    run's tconv declared), with the framework versions they were recorded with; an entry
    point appears once per distinct declaration (merged runs of two tconv versions may
    differ)."""
    found: dict[tuple[str, str], dict] = {}
    for row in rows:
        conventions = row.get("conventions")
        if not conventions:
            continue
        key = (row["adapter"], json.dumps(conventions, sort_keys=True))
        entry = found.setdefault(key, {"adapter": row["adapter"], "backend": row["backend"],
                                       "framework_versions": [], **conventions})
        version = row.get("framework_version")
        if version and version not in entry["framework_versions"]:
            entry["framework_versions"] = sorted([*entry["framework_versions"], version])
    return [found[key] for key in sorted(found)]


def known_issues(rows: list[dict]) -> list[dict]:
    """The registry entries the checks recorded as matched (``known_entry``), each with the
    file it came from and the number of checks of this run it matched."""
    entries: dict[str, dict] = {}
    for row in rows:
        entry = row.get("known_entry")
        if entry:
            key = json.dumps(entry, sort_keys=True)
            entries.setdefault(key, {**entry, "matched": 0})["matched"] += 1
    return [entries[key] for key in sorted(entries)]


def document(rows: list[dict], sources: list[dict], command: list[str],
             cross: list[dict] | None = None) -> dict:
    """The report.json document of ``rows`` (any order; sorted here)."""
    rows = sorted(rows, key=lambda r: (r["check_id"], r["framework_version"]))
    frameworks: dict[str, set[str]] = collections.defaultdict(set)
    for row in rows:
        if row["framework_version"]:
            frameworks[row["backend"]].add(row["framework_version"])
    counts = collections.Counter(row["status"] for row in rows)
    return {
        "schema_version": results.SCHEMA_VERSION,
        "tool": {"name": "tconv", "version": VERSION},
        "generated_at": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": command,
        "environment": {"python": platform.python_version(), "platform": platform.platform(),
                        "devices": sorted({row["device"] for row in rows}),
                        "frameworks": {k: sorted(v) for k, v in sorted(frameworks.items())}},
        "sources": sources,
        "summary": {"checks": len(rows), "entry_points": len({r["adapter"] for r in rows}),
                    "statuses": {s: counts[s] for s in STATUSES if counts[s]}},
        "checks": [{**row, "reproducer": row.get("reproducer"),
                    "artefact": _artefact_file(row)} for row in rows],
        "cross_framework": cross or [],
        "capabilities": capabilities(rows),
        "known_issues": known_issues(rows),
        "feature_matrix": features.record(rows),
    }


def stable(doc: dict) -> dict:
    """``doc`` without what changes from run to run when behaviour does not: the time it was
    generated, the command line, the paths read, each check's duration, and the framework's
    own output a crash detail quotes (``results.comparable``)."""
    volatile = {"generated_at", "command", "sources"}
    kept = {k: v for k, v in doc.items() if k not in volatile}
    kept["checks"] = [results.comparable(row) for row in doc["checks"]]
    return kept


def load(paths: list[Path]) -> tuple[list[dict], list[dict]]:
    """The checks of ``paths`` and a ``sources`` entry per file."""
    rows, sources = [], []
    for path in paths:
        mine, broken = results.read([path])
        rows += mine
        sources.append({"path": str(path), "checks": len(mine), "unreadable_lines": broken})
    return rows, sources


def write(paths: list[Path], out: Path, command: list[str],
          cross: Path | None = None) -> dict:
    """Build and write report.json, report.md and report.html into ``out``."""
    from tconv.reports import html, summary

    rows, sources = load(paths)
    cross_rows = json.loads(cross.read_text()) if cross and cross.is_file() else []
    doc = document(rows, sources, command, cross_rows)
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n",
                                     encoding="utf-8")
    broken = sum(s["unreadable_lines"] for s in sources)
    (out / "report.md").write_text(summary.markdown(doc["checks"], broken), encoding="utf-8")
    (out / "report.html").write_text(html.render(doc), encoding="utf-8")
    artefacts(rows, out / ARTEFACTS)
    return doc


def _artefact_file(row: dict) -> dict | None:
    """A row's converted file as report.json names it: where ``write`` puts it, not its
    bytes."""
    found = row.get("artefact")
    return None if not found else {"suffix": found["suffix"], "bytes": found["bytes"],
                                   "file": f"{ARTEFACTS}/{artefact_name(row)}"}


ARTEFACTS = "artefacts"  # OUT/artefacts/: the converted files of converter checks not passed


def artefact_name(row: dict) -> str:
    """The file name of a row's converted file: its check id, made a plain file name."""
    return re.sub(r"[^A-Za-z0-9_.=-]+", "_", row["check_id"]) + row["artefact"]["suffix"]


def artefacts(rows: list[dict], folder: Path) -> list[Path]:
    """Write the converted file of every row that carries one (``results.record``)."""
    written = []
    for row in rows:
        if row.get("artefact"):
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / artefact_name(row)
            path.write_bytes(base64.b64decode(row["artefact"]["base64"]))
            written.append(path)
    return written
