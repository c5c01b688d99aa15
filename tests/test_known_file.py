"""A registry of one's own (``tconv run --known FILE``): its entries join the project's for the
run, the checks they expect are ``known``, and the results, the report and the gate say which
file each came from."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tconv.reports import gate

ROOT = Path(__file__).resolve().parent.parent

CASES = ('[[cases]]\nname = "shift-ours"\nin_channels = 1\nout_channels = 1\ninput_size = [5]\n'
         'kernel = 3\nstride = 2\npadding = [[1, 1]]\ndtype = "float64"\n\n'
         '[[cases]]\nname = "none-fine"\nin_channels = 1\nout_channels = 1\ninput_size = [5]\n'
         'kernel = 3\nstride = 2\npadding = [[1, 1]]\ndtype = "float64"\n')
OURS = ('[[issue]]\nadapter = "faults"\ncase = "user/shift-*"\nstatus = "mismatch"\n'
        'versions = ""\nevidence = "our own build shifts every output by one"\n')


def _run(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess:
    (tmp_path / "cases.toml").write_text(CASES)
    return subprocess.run(
        [sys.executable, "-m", "tconv.reports.cli", "run", "--out", str(tmp_path / "out"),
         "--adapters", "faults", "--cases", str(tmp_path / "cases.toml"), "-q", *extra],
        cwd=tmp_path, capture_output=True, text=True, timeout=600)


def test_a_known_file_of_ones_own(tmp_path) -> None:
    ours = tmp_path / "ours.toml"
    ours.write_text(OURS)
    without = _run(tmp_path)
    assert without.returncode == 1, without.stdout[-2000:]     # the shift is a discrepancy
    run = _run(tmp_path, "--known", str(ours))
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    rows = {r["case"]["name"]: r for r in map(
        json.loads, (tmp_path / "out" / "results.jsonl").read_text().splitlines())}
    shifted = rows["shift-ours"]
    assert shifted["status"] == "known" and shifted["observed"] == "mismatch"
    assert shifted["known_entry"]["source"] == str(ours)
    assert shifted["known_issue"] == "our own build shifts every output by one"
    assert rows["none-fine"]["status"] == "pass" and rows["none-fine"]["known_entry"] is None
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert [(e["source"], e["matched"]) for e in report["known_issues"]] == [(str(ours), 1)]
    verdict = gate.compare([], list(rows.values()))
    assert verdict.registries == {str(ours): 1}
    assert f"1 from {ours}" in gate.render(verdict)


def test_a_known_file_with_a_rule_outside_the_language_is_refused(tmp_path) -> None:
    ours = tmp_path / "ours.toml"
    ours.write_text(OURS + 'where = "__import__(\'os\').getcwd() != \'\'"\n')
    run = _run(tmp_path, "--known", str(ours))
    assert run.returncode == 2 and run.stderr.count("\n") == 1, run.stderr
    assert f"{ours}: issue 1: where:" in run.stderr
    assert not (tmp_path / "out").exists()
