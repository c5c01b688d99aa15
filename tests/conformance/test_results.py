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


def test_rows_compare_without_a_crashed_frameworks_own_words() -> None:
    """Two runs of a crash quote the framework's output with its own timestamps and addresses:
    reports (build.stable) and merges compare the rows without it, and without timings."""
    from tconv.conformance import results

    def crash(said: str, status: str = "crash", seconds: float = 1.0) -> dict:
        detail = ("worker process died of SIGABRT (signal 6); last lines of jax.log during "
                  f"the call: F1201 {said} simplifier.cc:586] Check failed")
        return {"check_id": "c", "status": status, "detail": detail, "timing": {"s": seconds},
                "reproducer": f"# Recorded detail: {detail}\nimport numpy\n"}

    first, second = crash("23:59:41.89   30677"), crash("00:01:02.03   411", seconds=2.0)
    assert first != second
    assert results.comparable(first) == results.comparable(second)
    assert results.comparable(first)["detail"] == (
        "worker process died of SIGABRT (signal 6); last lines of jax.log during the call: "
        "(not compared)")
    assert results.comparable(first)["reproducer"].endswith("(not compared)\nimport numpy\n")
    assert results.comparable(first) != results.comparable(crash("x", status="known"))
