"""What ``tconv run`` shows on the terminal: by default the progress per backend, the new
discrepancies and where the reports are, report.html last; pytest's own output and the
frameworks' output go to OUT/logs, never to the terminal. ``-v`` shows pytest's output as
pytest does; the frameworks' output still goes to the logs. Driven through the test-only
``faults`` backend, whose abort says "faults: aborting now" on stderr first."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAID = "faults: aborting now"


def _cases(path: Path) -> Path:
    path.write_text("".join(f'[[cases]]\nname = "{name}"\nin_channels = 1\nout_channels = 1\n'
                            f'input_size = [4]\nkernel = 3\nstride = 2\npadding = [[1, 0]]\n\n'
                            for name in ("none-first", "abort", "none-after")))
    return path


def tconv_run(out: Path, cases: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tconv.reports.cli", "run", "--out", str(out),
                           "--adapters", "faults", "--cases", str(cases), "--check-timeout",
                           "30", *extra], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)


def test_the_terminal_shows_progress_and_the_logs_hold_the_rest(tmp_path) -> None:
    out, cases = tmp_path / "out", _cases(tmp_path / "cases.toml")
    run = tconv_run(out, cases, "-n", "2")
    assert run.returncode == 1, run.stdout[-3000:] + run.stderr[-3000:]   # a discrepancy
    lines = [line.strip() for line in (run.stdout + run.stderr).splitlines()]
    # the framework's own output is in its backend's log, not on the terminal
    assert SAID not in lines, lines
    assert SAID in (out / "logs" / "faults.log").read_text()
    # pytest's own output is in its log
    for words in ("test session starts", "PASSED", "FAILED", "Captured"):
        assert not any(words in line for line in lines), (words, lines)
    pytest_log = (out / "logs" / "pytest.log").read_text()
    assert "test session starts" in pytest_log and "1 failed, 2 passed" in pytest_log
    # the progress, the new discrepancy with how the worker died, the counts, the reports
    assert "tconv: checks of 1 backend(s): faults" in lines
    assert any(line.startswith("tconv: faults: 3/3 checks done in") for line in lines), lines
    assert "new discrepancies: 1 (every detail is in the reports)" in lines
    assert any(line.startswith("faults::user/abort/float32::forward::cpu  crash: worker "
                               "process died of SIGABRT (signal 6)") and line.endswith(SAID)
               for line in lines), lines
    assert "tconv run: 3 checks: 2 pass, 1 crash" in lines
    assert run.stdout.splitlines()[-1] == f"  report: {out / 'report.html'}"
    # and what it writes is what it wrote before
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert sorted(r["status"] for r in rows) == ["crash", "pass", "pass"]   # any order (xdist)
    assert {p.name for p in out.iterdir()} == {"results.jsonl", "conformance.xml", "report.json",
                                               "report.md", "report.html", "logs"}


def test_verbose_shows_what_pytest_shows(tmp_path) -> None:
    out, cases = tmp_path / "out", _cases(tmp_path / "cases.toml")
    assert tconv_run(out, cases, "-n", "0").returncode == 1
    run = tconv_run(out, cases, "-n", "0", "-v")       # into the same folder: fresh logs
    assert run.returncode == 1, run.stdout[-3000:] + run.stderr[-3000:]
    lines = [line.strip() for line in (run.stdout + run.stderr).splitlines()]
    assert any("test session starts" in line for line in lines)
    assert any("test_forward[faults::user/none-first/float32] PASSED" in line
               for line in lines), lines
    assert not any(line.startswith("tconv: checks of") for line in lines)
    assert SAID not in lines
    assert run.stdout.splitlines()[-1] == f"  report: {out / 'report.html'}"
    assert (out / "logs" / "faults.log").read_text().count(SAID) == 1
    assert not (out / "logs" / "pytest.log").exists()     # the earlier run's, removed
