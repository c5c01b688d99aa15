"""MindSpore's padding vocabulary (``oracle.rules.mindspore``) against the relationships its
documentation states: pad_mode 'pad' crops what padding says (the size ``full - before - after
+ output_padding``), 'same' gives ``n*stride`` elements with the odd one cropped at the end,
'valid' crops nothing, the output_padding and depth-dilation limits, and ``express`` giving
back every window MindSpore can spell (Conv1dTranspose: one padding, no output_padding)."""

from __future__ import annotations

import itertools

import pytest

from tconv.oracle.rules import Axis, Canonical, NotExpressible, RuleViolation
from tconv.oracle.rules import mindspore as rules

AXES = [Axis(n, k, s, d) for n, k, s, d in
        itertools.product((1, 2, 3, 4, 5, 6), (1, 2, 3, 4, 5), (1, 2, 3, 4), (1, 2, 3))]


def test_pad_crops_what_it_says() -> None:
    for axis in AXES:
        for before, after, a in itertools.product(range(3), range(3), range(2)):
            window = rules.pads(before, after, a)
            # Conv2dTranspose's docstring: H_in*s - (p0 + p1) + k + (d - 1)*(k - 1) - s + op
            documented = (axis.n * axis.s - (before + after) + axis.k
                          + (axis.d - 1) * (axis.k - 1) - axis.s + a)
            assert window.size(axis) == documented
            assert window.begin == before


def test_same_gives_n_times_stride_with_the_odd_element_at_the_end() -> None:
    for axis in AXES:
        window = rules.same(axis)
        assert window.size(axis) == axis.n * axis.s
        if axis.full >= axis.n * axis.s:
            assert window.output_padding == 0
            assert window.begin <= window.end <= window.begin + 1
        else:                      # a kernel shorter than the stride: zeros at the end
            assert (window.begin, window.end) == (0, 0)
        assert rules.mode(axis, "SAME") == window               # any case
        # output_padding (which limits refuses here) adds to the window's own extension
        assert rules.mode(axis, "same", 1).size(axis) == axis.n * axis.s + 1
    assert rules.same(Axis(5, 3, 2)) == Canonical(0, 1, 0)       # 11 -> 10, probed on 2.10.0
    assert rules.same(Axis(5, 3, 1, 2)) == Canonical(2, 2, 0)    # 9 -> 5


def test_valid_is_the_full_result() -> None:
    for axis in AXES:
        assert rules.mode(axis, "valid") == Canonical(0, 0, 0)
        assert rules.mode(axis, "valid", 1) == Canonical(0, 0, 1)
        # Conv1dTranspose's docstring: (L_in - 1)*s + d*(k - 1) + 1
        assert rules.mode(axis, "VALID").size(axis) == \
            (axis.n - 1) * axis.s + axis.d * (axis.k - 1) + 1


def test_limits() -> None:
    rules.limits(Axis(4, 3, 2), 0, 0, 1)
    rules.limits(Axis(4, 3, 1, 3), 1, 2, 2)                   # below max(stride, dilation)
    with pytest.raises(RuleViolation, match="max\\(stride, dilation\\)"):
        rules.limits(Axis(4, 3, 2), 0, 0, 2)
    with pytest.raises(RuleViolation, match="pad_mode must be 'pad'"):
        rules.limits(Axis(4, 3, 2), 0, 0, 1, "same")
    with pytest.raises(RuleViolation, match="pad_mode must be 'pad'"):
        rules.limits(Axis(4, 3, 2), 0, 0, 1, "VALID")
    with pytest.raises(RuleViolation, match="greater than or equal to 0"):
        rules.limits(Axis(4, 3, 2), -1, 0, 0)
    rules.limits(Axis(4, 3, 2, 2), 0, 0, 0)                    # height and width dilate
    with pytest.raises(RuleViolation, match="depth of parameter 'dilation' must be 1"):
        rules.limits(Axis(4, 3, 2, 2), 0, 0, 0, depth=True)


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_express_gives_back_every_window_it_can_spell(dims: int) -> None:
    spelled_some = 0
    for axis in AXES:
        for begin, end, a in itertools.product(range(-2, 4), range(-2, 4), range(3)):
            want = Canonical(begin, end, a)
            try:
                spelled = rules.express(axis, want, dims)
            except NotExpressible:
                assert (begin < 0 or want.size(axis) < 1 or end - a < 0 and
                        (dims == 1 or a - end >= max(axis.s, axis.d)) or
                        dims == 1 and max(end - a, 0) != begin)
                continue
            spelled_some += 1
            before, after = spelled["padding"]
            got = rules.pads(before, after, spelled["output_padding"])
            assert got.same_window(want)
            rules.limits(axis, before, after, spelled["output_padding"])
            if dims == 1:
                assert before == after and spelled["output_padding"] == 0
    assert spelled_some > 0
