"""A run killed at any moment: ``tconv report`` rebuilds a valid report from what was written,
with no finished check lost and no half-written line taken for a result.

The main job (``tconv run``, pytest and its framework workers, one process group) is killed
with SIGKILL once its results file holds a given number of lines, from before the first check
to deep into the run, under one process and under xdist; one variant also leaves a line cut
short, as a kill in the middle of a write does.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pytest

from tconv.reports import build

ROOT = Path(__file__).resolve().parent.parent
RUN = ["--profile", "quick", "--adapters", "torch.functional,onnx.reference",
       "-p", "no:cacheprovider", "-q"]


def _kill_after(out: Path, lines: int, workers: str) -> None:
    """Start the main job and SIGKILL its whole process group once ``lines`` lines are
    written (or, for 0, as soon as the results file exists: before any check ends)."""
    results = out / "results.jsonl"
    job = subprocess.Popen([sys.executable, "-m", "tconv.reports.cli", "run", "--out", str(out),
                            *RUN, "-n", workers], cwd=ROOT, start_new_session=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    try:
        while time.monotonic() < deadline and job.poll() is None:
            if results.is_file() and results.read_bytes().count(b"\n") >= lines:
                break
            time.sleep(0.02)
        assert job.poll() is None, "the run ended before the kill point: choose a larger run"
    finally:
        os.killpg(job.pid, signal.SIGKILL)
        job.wait(timeout=30)


@pytest.mark.parametrize("lines, workers, cut", [
    (0, "0", False), (1, "0", False), (7, "0", True), (40, "0", False), (3, "2", False),
    (60, "2", True)])
def test_killed_run_rebuilds(tmp_path, lines, workers, cut) -> None:
    out = tmp_path / "run"
    _kill_after(out, lines, workers)
    results = out / "results.jsonl"
    written = results.read_bytes()
    if cut:   # the kill struck while a line was being written
        written += b'{"check_id": "torch.functional::edge/'
        results.write_bytes(written)
    whole = [json.loads(line) for line in written.split(b"\n")[:-1]]
    assert len(whole) >= lines

    rebuilt = tmp_path / "rebuilt"
    run = subprocess.run([sys.executable, "-m", "tconv.reports.cli", "report", str(results),
                          "--out", str(rebuilt)], cwd=ROOT, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    doc = json.loads((rebuilt / "report.json").read_text())
    jsonschema.validate(doc, json.loads(build.SCHEMA.read_text()))
    assert sorted(c["check_id"] for c in doc["checks"]) == sorted(r["check_id"] for r in whole)
    assert doc["sources"][0]["unreadable_lines"] == int(cut)
    assert doc["summary"]["checks"] == len(whole)
    assert (rebuilt / "report.html").stat().st_size > 0
    assert f"{len(whole)} checks" in (rebuilt / "report.md").read_text()
