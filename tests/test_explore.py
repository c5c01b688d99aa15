"""The exploration finds a parameter-dependent bug and shrinks it to a minimal case; drawn
cases are valid case-file cases; a registered rule explains what it covers."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings

from tconv.adapters.workers import Workers
from tconv.cases import userfile
from tconv.conformance import registry
from tconv.conformance.explore import case_toml, cases, explore


def test_a_swapped_crop_is_found_and_shrunk() -> None:
    """``faults.swapped`` takes explicit crops from the wrong ends: only asymmetric explicit
    padding shows it. The smallest such case: 1-D, batch 1, one channel, input 1, kernel 2,
    crops (0, 1) or (1, 0)."""
    workers = Workers(timeout=60)
    try:
        found = explore("faults.swapped", workers, [], examples=200)
    finally:
        workers.close()
    assert found is not None
    case, check = found
    assert check.status == "mismatch"
    assert (case.dims, case.batch, case.in_channels, case.out_channels, case.groups) == \
        (1, 1, 1, 1, 1)
    assert case.input_size == (1,) and case.kernel == (2,) and case.stride == (1,)
    assert case.padding in (((0, 1),), ((1, 0),)) and not case.bias


def test_a_registered_rule_explains_the_same_bug() -> None:
    rule = registry.Known("faults.swapped", "nothing", "mismatch", "", "e",
                          where="mode == 'explicit' and any(b != e for b, e in pads)")
    workers = Workers(timeout=60)
    try:
        assert explore("faults.swapped", workers, [rule], examples=100) is None
    finally:
        workers.close()


@settings(max_examples=100)
@given(cases())
def test_drawn_cases_are_case_file_cases(case) -> None:
    """Every drawn case, written as a case-file table, loads back to the same parameters (so a
    minimal case can be rerun with ``tconv run --cases``)."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "drawn.toml"
        path.write_text(case_toml(case) + "\n")
        loaded, = userfile.load(path)
    fields = ("batch", "in_channels", "out_channels", "groups", "input_size", "kernel",
              "stride", "dilation", "padding", "output_padding", "bias", "dtype")
    assert [getattr(loaded, f) for f in fields] == [getattr(case, f) for f in fields]
