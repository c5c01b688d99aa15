"""results.jsonl: one whole line per check, written by one process even under xdist."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

# Under xdist the controller writes (the plugin's writer runs in every process); and the suite
# runs by its package name from any directory, as `tconv run` starts it.
SUITE = str(Path(__file__).resolve().parents[2] / "conformance" / "suite" / "test_forward.py")


@pytest.mark.parametrize("workers, where", [("0", [SUITE]), ("2", [SUITE]),
                                            ("2", ["--pyargs", "tconv.conformance.suite"])])
def test_one_line_per_check(tmp_path, workers, where) -> None:
    results = tmp_path / "results.jsonl"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-n", workers, "-p", "no:cacheprovider",
         *where, "--adapters", "torch.functional", "--profile", "quick",
         "-k", "test_forward and literature", "--results", str(results)],
        capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert run.returncode == 0, run.stdout[-2000:]
    rows = [json.loads(line) for line in results.read_text().splitlines()]
    assert len(rows) == 5 == len({r["case_id"] for r in rows})      # the 5 exact vectors
    # PyTorch cannot crop more at the end than in front: the 2-D vector's (0, 1) is unsupported
    assert sorted(r["status"] for r in rows) == ["pass"] * 4 + ["unsupported"]
    for row in rows:
        assert row["check"] == "forward"
        assert set(row["case"]) >= {"stride", "padding", "output_padding", "dilation", "groups"}
        if row["status"] == "pass":   # (an unsupported case never reaches the framework)
            assert row["framework_version"].startswith("2.")
            assert row["bound_units"] <= 1 and row["pytest_outcome"] == "passed"
