"""The controller and the xdist workers do not keep each check's record after it is written:
pytest keeps every report and every item to the end of the session, and the records (about
10 KiB each as Python objects) made a 58,200-check controller grow to 3.6 GiB.

A probe plugin, loaded in every process of a real run, counts at the session's end the
records still held by the reports pytest's terminal reporter kept and by the items.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PROBE = '''
import json, os

def pytest_sessionfinish(session):
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    reports = [r for rs in (reporter.stats.values() if reporter else ()) for r in rs
               if hasattr(r, "user_properties")]
    held = sum(1 for r in reports for key, _ in r.user_properties if key == "tconv")
    items = sum(1 for i in session.items for key, _ in i.user_properties if key == "tconv")
    calls = sum(1 for r in reports if getattr(r, "when", "") == "call")
    with open(os.path.join(os.environ["PROBE_OUT"], f"{os.getpid()}.json"), "w") as fh:
        json.dump({"reports_holding": held, "items_holding": items, "call_reports": calls,
                   "items": len(session.items)}, fh)
'''


@pytest.mark.parametrize("workers", ["0", "2"])
def test_records_leave_reports_and_items(tmp_path, workers) -> None:
    (tmp_path / "probe_plugin.py").write_text(PROBE)
    out = tmp_path / "probe"
    out.mkdir()
    results = tmp_path / "results.jsonl"
    env = {**os.environ, "PROBE_OUT": str(out),
           "PYTHONPATH": str(tmp_path)}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "--pyargs", "tconv.conformance.suite",
         "--profile", "quick", "--adapters", "onnx.reference", "-k", "literature",
         "--results", str(results), "-p", "probe_plugin", "-p", "no:cacheprovider", "-q",
         "-n", workers],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode in (0, 1), run.stdout[-2000:] + run.stderr[-2000:]
    written = results.read_text().splitlines()
    assert written, "no check was written"
    counts = [json.loads(p.read_text()) for p in out.glob("*.json")]
    assert len(counts) == (1 if workers == "0" else 3)   # the controller and its workers
    assert sum(c["items"] for c in counts) >= len(written)
    # the controller saw (and kept) a call report per check, none of them with its record
    assert max(c["call_reports"] for c in counts) >= len(written)
    assert all(c["reports_holding"] == 0 and c["items_holding"] == 0 for c in counts), counts
