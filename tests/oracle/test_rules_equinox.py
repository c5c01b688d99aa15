"""Equinox's padding vocabulary (``oracle.rules.equinox``) against the relationships its
documentation states: SAME gives ``n*s - output_padding`` elements with the odd crop at the end
(SAME_LOWER: at the start), VALID crops nothing, explicit pairs crop what they say, the
output_padding limit, and ``express`` giving back every window it is asked for."""

from __future__ import annotations

import itertools

import pytest

from tconv.oracle.rules import Axis, Canonical, NotExpressible, RuleViolation
from tconv.oracle.rules import equinox as rules

AXES = [Axis(n, k, s, d) for n, k, s, d in
        itertools.product((1, 2, 3, 5), (1, 2, 3, 4, 5), (1, 2, 3), (1, 2))]


@pytest.mark.parametrize("mode", ["SAME", "SAME_LOWER"])
def test_same_gives_n_times_s_minus_output_padding(mode: str) -> None:
    for axis in AXES:
        for a in range(axis.s):
            window = rules.mode(axis, mode, a)
            assert window.size(axis) == axis.n * axis.s - a, (axis, a, window)
            assert window.begin >= 0 and window.end >= 0 and window.output_padding >= 0
            crop = window.begin + window.end
            if crop % 2:   # the odd element: at the end for SAME, at the start for SAME_LOWER
                bigger = window.end if mode == "SAME" else window.begin
                assert bigger == crop // 2 + 1
            else:
                assert window.begin == window.end


def test_valid_and_pairs_crop_what_they_say() -> None:
    for axis in AXES:
        assert rules.mode(axis, "VALID", 0) == Canonical(0, 0, 0)
        assert rules.mode(axis, "VALID", 1) == Canonical(0, 0, 1)
    assert rules.pads(1, 2, 1) == Canonical(1, 2, 1)


def test_output_padding_must_stay_below_the_stride() -> None:
    rules.limits(Axis(4, 3, 2), 1)
    rules.limits(Axis(4, 3, 2), 0)
    with pytest.raises(RuleViolation, match="output_padding < stride"):
        rules.limits(Axis(4, 3, 2), 2)


def test_express_gives_back_every_window_with_an_element() -> None:
    for axis in AXES:
        for begin, end, a in itertools.product(range(-2, 4), range(-2, 4), range(3)):
            want = Canonical(begin, end, a)
            if want.size(axis) < 1:
                with pytest.raises(NotExpressible):
                    rules.express(axis, want)
                continue
            spelled = rules.express(axis, want)
            got = rules.pads(*spelled["padding"], spelled["output_padding"])
            assert got.size(axis) == want.size(axis) and got.begin == want.begin
