"""The progress display's counting (``conformance.progress``), fed made-up pytest reports:
totals from the collected ids, a check counted once whatever reports it sends, a skip that
checked nothing leaving the total, failures and errors kept for the end, the time left from
the pace so far; and what the plain and the live displays write."""

from __future__ import annotations

import io
from types import SimpleNamespace

from tconv.conformance import progress
from tconv.conformance.progress import Live, Plain, Tally


def nodeid(param: str, test: str = "test_forward") -> str:
    return f"conformance/suite/{test}.py::{test}[{param}]"


A = [nodeid(f"a.one::edge/case{i}/float32") for i in range(4)]
B = [nodeid(f"b.one::edge/case{i}/float32::cuda") for i in range(2)]
EXPLORE = nodeid("a.one", "test_explore")
BACKEND = {"a.one": "alpha", "b.one": "beta"}


def backend_of(test_id: str) -> str | None:
    return BACKEND.get(progress.entry_point(test_id))


def report(test_id: str, when: str = "call", outcome: str = "passed", *, row: dict | None = None,
           duration: float = 1.0, text: str = "") -> SimpleNamespace:
    return SimpleNamespace(nodeid=test_id, when=when, outcome=outcome,
                           passed=outcome == "passed", failed=outcome == "failed",
                           skipped=outcome == "skipped", duration=duration,
                           user_properties=[("tconv", row)] if row else [],
                           longreprtext=text)


def row(test_id: str, status: str, detail: str = "") -> dict:
    return {"check_id": test_id.split("[")[1][:-1], "backend": backend_of(test_id),
            "status": status, "detail": detail}


def collected() -> Tally:
    tally = Tally()
    tally.collected([*A, *B, EXPLORE, "tests/test_other.py::test_x"], backend_of, now=100.0)
    return tally


def test_entry_point_of_a_test_id() -> None:
    assert progress.entry_point(A[0]) == "a.one"
    assert progress.entry_point(B[0]) == "b.one"
    assert progress.entry_point(EXPLORE) == "a.one"
    assert progress.entry_point("tests/test_other.py::test_x") == ""
    assert progress.entry_point(nodeid("a.one::user/odd[name]/float32")) == "a.one"


def test_totals_come_from_the_collection() -> None:
    tally = collected()
    assert {n: b.total for n, b in tally.backends.items()} == {"alpha": 5, "beta": 2}
    assert tally.total == 7 and tally.done == 0
    tally.collected(A, backend_of, now=200.0)      # a second xdist worker's collection
    assert tally.total == 7 and tally.started == 100.0


def test_each_check_is_counted_once_with_its_outcome() -> None:
    tally = collected()
    assert tally.record(report(A[0], "setup"), 101.0) is None        # a setup that passed
    assert tally.record(report(A[0], row=row(A[0], "pass")), 102.0) == "alpha"
    assert tally.record(report(A[0], "teardown"), 102.0) is None
    failed = row(A[1], "crash", "worker process died of SIGABRT (signal 6)")
    assert tally.record(report(A[1], outcome="failed", row=failed), 103.0) == "alpha"
    unsupported = report(A[2], outcome="skipped", row=row(A[2], "unsupported"))
    assert tally.record(unsupported, 104.0) == "alpha"               # a check, skipped
    alpha = tally.backends["alpha"]
    assert (alpha.done, alpha.total, alpha.new) == (3, 5, 1)
    assert tally.failures == [("a.one::edge/case1/float32", "crash",
                               "worker process died of SIGABRT (signal 6)")]
    assert alpha.started == 101.0                  # the first check's end less its duration


def test_a_skip_that_checked_nothing_leaves_the_total() -> None:
    tally = collected()
    tally.record(report(EXPLORE, outcome="skipped"), 101.0)
    assert tally.backends["alpha"].total == 4 and tally.backends["alpha"].done == 0
    for test_id in A:
        tally.record(report(test_id, row=row(test_id, "pass")), 102.0)
    assert tally.backends["alpha"].finished


def test_errors_outside_a_check_are_kept() -> None:
    tally = collected()
    tally.record(report(B[0], "setup", "failed", text="fixture exploded\nValueError: x"), 101.0)
    tally.record(report(B[0], "teardown", "failed", text="teardown broke"), 101.0)
    tally.record(report(B[1], "???", "failed", text="worker 'gw0' crashed"), 102.0)
    tally.record(report("tests/test_other.py::test_x", outcome="failed", text="boom"), 102.0)
    beta = tally.backends["beta"]
    assert (beta.done, beta.new) == (2, 2) and beta.finished
    assert [what for what, _ in tally.errors] == [B[0], f"{B[0]} (teardown)", B[1],
                                                  "tests/test_other.py::test_x"]
    assert not tally.failures


def test_a_check_the_collection_did_not_show_joins_its_backend() -> None:
    tally = collected()
    extra = nodeid("b.one::user/late/float64")
    tally.record(report(extra, row=row(extra, "pass")), 101.0)
    assert tally.backends["beta"].total == 3 and tally.backends["beta"].done == 1


def test_time_left_from_the_pace_so_far() -> None:
    tally = collected()
    assert tally.left(100.0) is None and tally.left(100.0, "alpha") is None
    tally.record(report(A[0], row=row(A[0], "pass"), duration=2.0), 110.0)
    # alpha: 1 of 5 in 2 s (it began at 108) -> 4 more take 4 * (112 - 108) at 112
    assert tally.left(112.0, "alpha") == 16.0
    # the run: 1 of 7 in 12 s -> 6 more take 72 s
    assert tally.left(112.0) == 72.0


def test_plain_lines() -> None:
    out = io.StringIO()
    plain, tally = Plain(out), collected()
    plain.start(tally, 100.0)
    for i, test_id in enumerate([EXPLORE, *A, *B]):     # the exploration's module first
        if test_id == EXPLORE:
            name = tally.record(report(test_id, outcome="skipped"), 101.0 + i)
        else:
            outcome = "failed" if test_id == B[1] else "passed"
            status = "mismatch" if outcome == "failed" else "pass"
            name = tally.record(report(test_id, outcome=outcome,
                                       row=row(test_id, status, "at (0,): got 2 <b>")),
                                101.0 + i)
        plain.update(tally, name, 101.0 + i)
    plain.stop(tally, tally.ending(None))
    lines = out.getvalue().splitlines()
    assert lines[0] == "tconv: checks of 2 backend(s): alpha, beta"
    assert "tconv: alpha: 4/4 checks done in 0:04" in lines      # from 101 (102 less 1 s)
    assert "tconv: beta: 2/2 checks done in 0:02, 1 new discrepancy" in lines
    assert "tconv: 3/6 checks (50%) in 0:04, about 0:04 left" in lines
    assert "tconv: 6/6 checks (100%) in 0:07" in lines
    assert len(lines) == 1 + 6 + 2 + 2, lines   # the start, a line per tenth, two ends, the end
    assert lines[-2:] == ["new discrepancies: 1 (every detail is in the reports)",
                          "  b.one::edge/case1/float32::cuda  mismatch: at (0,): got 2 <b>"]


def test_the_end_lists_a_few_and_counts_the_rest(tmp_path) -> None:
    tally = Tally()
    tally.failures = [(f"c{i}", "mismatch", "x" * 500) for i in range(12)]
    tally.errors = [("collecting the suite", "\n".join(f"line {i}" for i in range(30)))]
    lines = tally.ending(tmp_path / "pytest.log")
    assert lines[0] == "new discrepancies: 12 (every detail is in the reports)"
    assert len(lines[1]) < progress.DETAIL_WIDTH + 30 and lines[1].endswith("...")
    assert lines[11] == "  and 2 more"
    assert lines[12] == (f"errors outside the checks: 1 (pytest's whole output: "
                         f"{tmp_path / 'pytest.log'})")
    assert lines[-1] == "    line 29" and len(lines) == 14 + progress.ERROR_LINES


def test_live_display_draws_every_backend() -> None:
    out = io.StringIO()
    live, tally = Live(out), collected()
    live.console.width = 120
    live.start(tally, 100.0)
    tally.record(report(EXPLORE, outcome="skipped"), 100.5)
    for test_id in A:
        live.update(tally, tally.record(report(test_id, row=row(test_id, "pass")), 101.0),
                    101.0)
    live.stop(tally, ["new discrepancies: 1 [not markup]"])
    text = out.getvalue()
    for words in ("alpha", "beta", "all", "4/4", "0/2", "done in 0:01",
                  "new discrepancies: 1 [not markup]"):
        assert words in text, (words, text)
