"""Fault injection through a whole conformance run: the test-only ``faults`` backend aborts,
segfaults, hangs, exhausts memory, raises, returns NaN, the wrong shape or a shifted answer on
chosen cases (a user case file; the fault is the first word of a case's name). The run
completes, each fault ends in its status, every other check is intact, and the worker is
restarted so later checks on the backend still run. A crash's detail names how the process
died and what it wrote to its log (TCONV_LOG_DIR) just before."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# In run order (one process, -n 0): a healthy check after every fault shows the restart.
SEQUENCE = [("none-first", "pass"), ("abort", "crash"), ("none-after-abort", "pass"),
            ("segfault", "crash"), ("none-after-segfault", "pass"), ("exit", "crash"),
            ("none-after-exit", "pass"), ("hang", "timeout"),
            ("none-after-hang", "pass"), ("memory", "error"), ("none-after-memory", "pass"),
            ("raise", "error"), ("nan", "mismatch"), ("shape", "shape"), ("shift", "mismatch"),
            ("none-last", "pass")]


def _case_file(path: Path) -> None:
    tables = [f'[[cases]]\nname = "{name}"\nin_channels = 2\nout_channels = 4\ngroups = 2\n'
              f'batch = 2\ninput_size = [4, 3]\nkernel = [3, 2]\nstride = [2, 1]\n'
              f'dilation = [1, 2]\npadding = [[1, 0], [0, 1]]\noutput_padding = [1, 0]\n'
              f'bias = true\ndtype = "float64"\n' for name, _ in SEQUENCE]
    path.write_text("\n".join(tables))


def test_every_fault_ends_in_its_status_and_the_run_goes_on(tmp_path) -> None:
    cases, results = tmp_path / "faults.toml", tmp_path / "results.jsonl"
    _case_file(cases)
    start = time.monotonic()
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-n", "0", "-p", "no:cacheprovider",
         "conformance/suite/test_forward.py", "--adapters", "faults", "--cases", str(cases),
         "--check-timeout", "10", "--results", str(results)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env={**os.environ, "TCONV_LOG_DIR": str(tmp_path / "logs")})
    seconds = time.monotonic() - start
    assert run.returncode == 1, run.stdout[-3000:]       # the faults are failures, not errors
    rows = [json.loads(line) for line in results.read_text().splitlines()]
    got = [(r["case"]["name"], r["status"]) for r in rows]
    assert got == SEQUENCE, got
    by_name = {r["case"]["name"]: r for r in rows}
    assert by_name["hang"]["detail"] == "no answer within 10 s"   # the per-check timeout
    # a crash names the signal or the exit status, and the faults adapter's last words,
    # read back from its log, on one line
    for name, death, said in (("abort", "died of SIGABRT (signal 6)", "faults: aborting now"),
                              ("segfault", "died of SIGSEGV (signal 11)",
                               "faults: reading address 0 now"),
                              ("exit", "exited with status 3",
                               "faults: exiting with status 3 now")):
        detail = by_name[name]["detail"]
        assert detail == (f"worker process {death}; last lines of faults.log during the call: "
                          f"{said}"), detail
    assert "faults: aborting now" in (tmp_path / "logs" / "faults.log").read_text()
    # ... and never on the terminal itself (pytest quotes the details of its failures)
    assert "faults: aborting now" not in (run.stdout + run.stderr).splitlines()
    assert "MemoryError" in by_name["memory"]["detail"]
    assert by_name["shape"]["actual_shape"] != by_name["shape"]["expected_shape"]
    assert by_name["shift"]["error_map"] is not None
    assert all(r["bound_units"] == 0.0 for r in rows if r["status"] == "pass")
    # the whole run, the 10 s hang included, stays far below the 120 s default timeout
    assert seconds < 100


def test_a_case_above_the_memory_cap_is_refused_before_any_framework_runs(tmp_path) -> None:
    """--memory-cap: the check ends unsupported with a message naming the case, the estimate
    and the option, and no worker was ever asked anything (no version, no timing)."""
    cases, results = tmp_path / "big.toml", tmp_path / "results.jsonl"
    cases.write_text('[[cases]]\nname = "none-big"\nin_channels = 64\nout_channels = 64\n'
                     'input_size = [64, 64]\nkernel = 4\nstride = 2\npadding = [[1, 1], [1, 1]]\n'
                     '\n[[cases]]\nname = "none-small"\nin_channels = 1\nout_channels = 1\n'
                     'input_size = [4]\nkernel = 3\n'
                     'padding = [[0, 0]]\n')
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-n", "0", "-p", "no:cacheprovider",
         "conformance/suite/test_forward.py", "--adapters", "faults", "--cases", str(cases),
         "--memory-cap", "1", "--results", str(results)],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:]
    rows = {r["case"]["name"]: r for r in map(json.loads, results.read_text().splitlines())}
    big, small = rows["none-big"], rows["none-small"]
    assert big["status"] == "unsupported"
    assert "user/none-big/float32" in big["detail"] and "--memory-cap" in big["detail"]
    assert "1.0 MiB" in big["detail"]
    assert big["framework_version"] == "" and big["timing"] is None
    assert small["status"] == "pass" and small["timing"]["framework_s"] > 0
