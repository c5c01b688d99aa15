"""OpenVINO's padding vocabulary (``oracle.rules.openvino``) against its specification's formulas
(ConvolutionBackpropData-1): explicit pads crop what they say and output_padding extends at the
end; same_upper, same_lower and valid crop nothing without output_shape; with output_shape the
crop totals ``L + output_padding - output_shape``, its odd element at the beginning for
same_upper and at the end otherwise; ``express`` gives back every window it can spell."""

from __future__ import annotations

import itertools

import pytest

from tconv.oracle.rules import Axis, Canonical, NotExpressible, RuleViolation
from tconv.oracle.rules import openvino as rules

AXES = [Axis(n, k, s, d) for n, k, s, d in
        itertools.product((1, 2, 3, 5), (1, 2, 3, 4, 5), (1, 2, 3), (1, 2))]


def test_the_specs_output_size_without_output_shape() -> None:
    for axis in AXES:
        for a in range(3):
            # Y = s(X - 1) + (K - 1)d + 1 - pads_begin - pads_end + output_padding
            assert rules.backprop_data(axis, "explicit", (1, 2), a).size(axis) == \
                axis.full - 3 + a
            for auto_pad in ("same_upper", "same_lower", "valid"):
                # "if auto_pads != None: pads_begin[i] = 0; pads_end[i] = 0"
                assert rules.backprop_data(axis, auto_pad, (1, 2), a) == Canonical(0, 0, a)


@pytest.mark.parametrize("auto_pad", rules.AUTO_PADS)
def test_output_shape_is_the_size_and_splits_as_the_formula_says(auto_pad: str) -> None:
    for axis in AXES:
        for a, out in itertools.product(range(2), range(1, axis.full + 4)):
            window = rules.backprop_data(axis, auto_pad, (0, 0), a, out)
            assert window.size(axis) == out
            total = axis.full + a - out
            if total < 0:
                assert window == Canonical(0, 0, a - total)
            elif auto_pad == "same_upper":
                assert (window.begin, window.end) == (total - total // 2, total // 2)
            else:
                assert (window.begin, window.end) == (total // 2, total - total // 2)


def test_the_literature_vector_with_output_shape() -> None:
    # [2,3,0,-1] * [1,2,-1], stride 2: the full result has 9 elements; output_shape 6 crops 3
    axis = Axis(4, 3, 2)
    assert rules.backprop_data(axis, "same_upper", output_shape=6) == Canonical(2, 1, 0)
    assert rules.backprop_data(axis, "same_lower", output_shape=6) == Canonical(1, 2, 0)


def test_limits_and_vocabulary() -> None:
    rules.limits((0, 3), 5)   # no upper limit on output_padding in the spec
    rules.limits((0, 0), 0)
    with pytest.raises(RuleViolation, match="non-negative"):
        rules.limits((-1, 0), 0)
    with pytest.raises(RuleViolation, match="non-negative"):
        rules.limits((0, 0), -1)
    with pytest.raises(RuleViolation, match="auto_pad"):
        rules.backprop_data(Axis(3, 3), "SAME")


def test_express_gives_back_every_window_with_no_leading_zeros() -> None:
    for axis in AXES:
        for begin, end, a in itertools.product(range(-2, 4), range(-2, 4), range(3)):
            want = Canonical(begin, end, a)
            if want.size(axis) < 1 or begin < 0:
                with pytest.raises(NotExpressible):
                    rules.express(axis, want)
                continue
            spelled = rules.express(axis, want)
            got = rules.backprop_data(axis, spelled["auto_pad"], spelled["pads"],
                                      spelled["output_padding"])
            assert got.same_window(want)
            assert min(spelled["pads"]) >= 0 and spelled["output_padding"] >= 0
            if end >= 0:       # spelled as the case says it, so output_padding reaches OpenVINO
                assert spelled["pads"] == (begin, end) and spelled["output_padding"] == a
