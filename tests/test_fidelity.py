"""The converter fidelity table: each cell's word from the check that ran, and the table built
from those records only."""

from __future__ import annotations

import pytest

from tconv.adapters.workers import Workers
from tconv.conformance.pipeline import Check
from tconv.conformance.status import Status
from tconv.reports import conventions, fidelity


def check(status: Status, source: dict | None = None, stage: str = "") -> Check:
    return Check("p", "c", status, "d", stage=stage, source_output=source)


@pytest.mark.parametrize(("made", "cell"), [
    (check(Status.PASS, {"status": "ok", "agree": True}), "faithful"),
    (check(Status.UNSUPPORTED), "n/a"),
    (check(Status.ERROR, {"status": "ok", "agree": None}, "load"), "refused"),
    (check(Status.CRASH, {"status": "ok", "agree": None}, ""), "refused"),
    (check(Status.ERROR, {"status": "error", "agree": None}, "run"), "as the source"),
    (check(Status.MISMATCH, {"status": "ok", "agree": False}), "silently different"),
    (check(Status.SHAPE, {"status": "ok", "agree": False}), "silently different"),
    (check(Status.MISMATCH, {"status": "ok", "agree": True}), "as the source"),
])
def test_each_cell_says_how_its_check_ended(made: Check, cell: str) -> None:
    assert fidelity.verdict(made) == cell


def test_every_feature_case_isolates_its_feature() -> None:
    from tconv.reports import features

    for feature, case in fidelity.CASES.items():
        found = features.features({"case": {**case.__dict__, "padding": _padding(case),
                                            "dims": case.dims}, "check": "forward"})
        word = feature.split(",")[0]
        if word in features.FEATURES:
            assert word in found, (feature, found)


def _padding(case):
    padding = case.padding
    if isinstance(padding, str):
        return padding
    if hasattr(padding, "size"):
        return {"output_shape": list(padding.size)}
    return [list(p) for p in padding]


def test_the_table_comes_from_the_checks_of_a_converter_path() -> None:
    workers = Workers(timeout=30.0)
    try:
        rows = fidelity.run(["faults", "faults.converted"], workers)
    finally:
        workers.close()
    assert {r["adapter"] for r in rows} == {"faults.converted"}   # converter paths only
    cells = {r["feature"]: r["cell"] for r in rows}
    assert cells["explicit symmetric padding"] == "faithful"
    assert cells["SAME, kernel < stride"] == "n/a"   # faults takes explicit pairs only
    lines = conventions.fidelity_table(rows, conventions.Notes())
    [row] = [line for line in lines if line.startswith("| `faults.converted`")]
    assert row.count("**faithful**") == sum(c == "faithful" for c in cells.values())
    assert "(from `faults`; numpy " in row


def test_every_feature_has_its_own_check_id() -> None:
    ids = [case.id for case in fidelity.CASES.values()]
    assert len(set(ids)) == len(ids)
