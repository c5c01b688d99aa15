"""Isolation: a framework call that aborts, segfaults, hangs or raises ends that check alone;
the worker is restarted and later checks run. A crash says how the process died and, with
log files (TCONV_LOG_DIR), what it wrote just before."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tconv import adapters
from tconv.adapters import logs
from tconv.adapters.workers import Worker, how_it_ended
from tconv.cases.case import Case
from tconv.conformance.judge import judge


def case(fault: str) -> Case:
    return Case("faults", f"{fault}-k3-s2", 2, 2, 4, 2, (4, 3), (3, 2), (2, 1), (1, 2),
                ((1, 0), (0, 1)), (1, 0), True, "float64")


@pytest.fixture(scope="module")
def worker():
    # generous enough for a first start on a loaded machine; the hang sleeps an hour
    w = Worker("faults", timeout=15.0)
    yield w
    w.close()


def run(worker: Worker, fault: str):
    c = case(fault)
    adapter = adapters.load("faults")
    plan = adapter.plan(c)
    x, w, b = c.arrays()
    return judge(c, plan, worker.call("faults", plan.native, x, w, b, c.dtype), x, w, b)


SEQUENCE = [
    ("none", "pass"), ("abort", "crash"), ("none", "pass"), ("segfault", "crash"),
    ("none", "pass"), ("hang", "timeout"), ("none", "pass"), ("raise", "error"),
    ("memory", "error"), ("none", "pass"),
    ("nan", "mismatch"), ("shape", "shape"), ("shift", "mismatch"), ("none", "pass"),
]


def test_each_fault_ends_its_own_check_only(worker) -> None:
    """One worker through the whole sequence (one test, so xdist keeps it in one process)."""
    got = [(fault, run(worker, fault).status) for fault, _ in SEQUENCE]
    assert got == SEQUENCE
    assert worker.starts == 4   # the first start, then after abort, segfault and hang
    assert worker.version("faults") == "0"


def test_error_messages_come_back_as_text(worker) -> None:
    verdict = run(worker, "raise")
    assert verdict.detail == "RuntimeError: injected failure <b>with markup</b>"
    assert np.isfinite(run(worker, "none").bound_units)


def test_a_backend_can_run_from_another_virtual_environment(tmp_path) -> None:
    """Two workers of one backend, each from its own venv, in one run (the upgrade gate's
    mechanism). The second venv borrows this one's packages through a .pth file, so no
    install is needed; its interpreter and prefix are its own."""
    import site
    import subprocess
    import sys
    import venv

    other = tmp_path / "other-venv"
    venv.EnvBuilder(with_pip=False).create(other)
    python = other / "bin" / "python"
    target = subprocess.run([str(python), "-c", "import site; print(site.getsitepackages()[0])"],
                            capture_output=True, text=True, check=True).stdout.strip()
    # addsitedir, as tconv upgrade writes it: this environment's own .pth files (an editable
    # tconv's among them) run there too.
    (Path(target) / "borrowed.pth").write_text("".join(
        f"import site; site.addsitedir({p!r})\n" for p in site.getsitepackages()))
    here, there = Worker("faults", timeout=30), Worker("faults", python=str(python), timeout=30)
    try:
        assert here.prefix() == sys.prefix
        assert there.prefix() == str(other)
        c = case("none")
        plan = adapters.load("faults").plan(c)
        x, w, b = c.arrays()
        first = here.call("faults", plan.native, x, w, b, c.dtype)
        second = there.call("faults", plan.native, x, w, b, c.dtype)
        assert first.status == second.status == "ok"
        np.testing.assert_array_equal(first.y, second.y)
    finally:
        here.close()
        there.close()


def test_a_grown_worker_is_recycled_after_its_answer() -> None:
    """A worker past its memory limit answers, then is ended; the next check starts a fresh
    one and passes (the limit here is below any Python process's size)."""
    w = Worker("faults", timeout=30.0, recycle_mib=1.0)
    try:
        assert run(w, "none").status == "pass" and w.recycled == 1 and w.channel is None
        assert run(w, "none").status == "pass" and w.starts == 2 and w.recycled == 2
    finally:
        w.close()
    big = Worker("faults", timeout=30.0)
    try:
        run(big, "none")
        run(big, "none")
        assert big.recycled == 0 and big.starts == 1
    finally:
        big.close()


def test_how_a_process_ended_in_words() -> None:
    assert how_it_ended(-6) == "died of SIGABRT (signal 6)"
    assert how_it_ended(-9) == "died of SIGKILL (signal 9)"
    assert how_it_ended(-11) == "died of SIGSEGV (signal 11)"
    assert how_it_ended(3) == "exited with status 3"
    assert how_it_ended(None) == ""


def test_a_crash_names_the_signal_and_the_last_output(tmp_path, monkeypatch) -> None:
    """With TCONV_LOG_DIR the worker's fds 1 and 2 go to <dir>/faults.log (appended by every
    process of the backend); a crash's detail is one line: how the process ended, then the
    last lines it wrote during the call. Without it, the way it died alone."""
    monkeypatch.setenv(logs.LOG_DIR, str(tmp_path / "logs"))
    w = Worker("faults", timeout=30.0)
    try:
        assert run(w, "none").status == "pass"
        details = {fault: run(w, fault).detail for fault in ("abort", "segfault", "exit")}
        assert run(w, "none").status == "pass"
    finally:
        w.close()
    assert details == {
        "abort": "worker process died of SIGABRT (signal 6); last lines of faults.log during "
                 "the call: faults: aborting now",
        "segfault": "worker process died of SIGSEGV (signal 11); last lines of faults.log "
                    "during the call: faults: reading address 0 now",
        "exit": "worker process exited with status 3; last lines of faults.log during the "
                "call: faults: exiting with status 3 now"}
    log = (tmp_path / "logs" / "faults.log").read_text()
    assert log.count(logs.MARKER) == 4          # four processes, one file
    assert "faults: aborting now" in log
    monkeypatch.delenv(logs.LOG_DIR)
    bare = Worker("faults", timeout=30.0)
    try:
        assert run(bare, "abort").detail == "worker process died of SIGABRT (signal 6)"
    finally:
        bare.close()


def test_the_tail_of_a_log(tmp_path) -> None:
    log = tmp_path / "b.log"
    log.write_text("before the call\n")
    offset = logs.size(log)
    with open(log, "a") as file:
        file.write(f"{logs.MARKER} 123 started ---\n\n\x1b[1;31mred\x1b[m\ttabbed\n")
        file.write("".join(f"line {i}\n" for i in range(8)) + "x" * 500 + "\n")
    assert logs.tail(log, offset, lines=3) == ["line 6", "line 7", "x" * 197 + "..."]
    assert logs.tail(log, offset)[:1] == ["line 4"]          # five by default
    assert logs.tail(log, offset, lines=20)[0] == "red tabbed"    # escapes and controls gone
    assert logs.tail(log, 0, lines=20)[0] == "before the call"
    assert logs.tail(tmp_path / "missing.log", 0) == [] and logs.tail(None) == []
    # a native stack trace's frames are addresses: the message before them is what is shown
    log.write_text("F1201 23:59:41.893988   30677 simplifier.cc:586] Check failed: x\n"
                   "\tRHS shape: f32[1,2]\n*** Check failure stack trace: ***\n"
                   "    @     0x7f5386eca75f  std::_Function_handler<>::_M_invoke()\n"
                   "PC: @     0x7f5397ea71f5  (unknown)\n")
    assert logs.tail(log) == ["F1201 23:59:41.893988   30677 simplifier.cc:586] Check failed: x",
                              "RHS shape: f32[1,2]"]
    assert logs.quote(log, ["a", "b"]) == "; last lines of b.log during the call: a | b"
    assert logs.quote(log, []) == "; no output in b.log during the call"
