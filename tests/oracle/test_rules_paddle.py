"""PaddlePaddle's padding vocabulary (``oracle.rules.paddle``) against the relationships its
documentation and source state: explicit pairs crop what they say, SAME pads as the forward
convolution of the transposed convolution's input with the undilated kernel (``n*s`` elements
when the stride divides the input and the kernel is at least the stride), VALID crops nothing,
``output_size`` lies in ``[H'_out, H'_out + stride)``, the output_padding limits, and
``express`` giving back every window Paddle can spell."""

from __future__ import annotations

import itertools

import pytest

from tconv.oracle.rules import Axis, Canonical, NotExpressible, RuleViolation
from tconv.oracle.rules import paddle as rules

AXES = [Axis(n, k, s, d) for n, k, s, d in
        itertools.product((1, 2, 3, 4, 5, 6), (1, 2, 3, 4, 5), (1, 2, 3), (1, 2))]


def test_pairs_and_valid_crop_what_they_say() -> None:
    assert rules.pads(1, 2, 1) == Canonical(1, 2, 1)
    for axis in AXES:
        assert rules.mode(axis, "VALID", 1) == Canonical(0, 0, 1)
        assert rules.mode(axis, "valid") == Canonical(0, 0, 0)     # any case


def test_same_is_the_forward_padding_of_the_input_with_the_undilated_kernel() -> None:
    for axis in AXES:
        window = rules.mode(axis, "SAME")
        out = -(-axis.n // axis.s)
        total = max((out - 1) * axis.s + axis.k - axis.n, 0)
        assert (window.begin, window.end) == (total // 2, total - total // 2)   # odd: at the end
        assert window.begin <= window.end <= window.begin + 1
        assert rules.mode(axis, "SAME", 1) == Canonical(window.begin, window.end, 1)
        # the size Paddle infers, with dilation 1 under SAME
        assert rules.inferred(axis, window.begin, window.end, "SAME") == \
            (axis.n - 1) * axis.s - total + axis.k
        if axis.n % axis.s == 0 and axis.k >= axis.s:
            assert rules.inferred(axis, window.begin, window.end, "SAME") == axis.n * axis.s


def test_same_counts_the_stride_not_the_ceiling_when_it_does_not_divide() -> None:
    # n=5, k=3, s=2: the forward SAME padding of 5 is 2, so 9 elements, not TF's n*s = 10
    axis = Axis(5, 3, 2)
    assert rules.mode(axis, "SAME") == Canonical(1, 1, 0)
    assert rules.inferred(axis, 1, 1, "SAME") == 9


def test_output_size_lies_below_the_inferred_size_plus_the_stride() -> None:
    for axis in AXES:
        infer = rules.inferred(axis, 0, 0)
        assert infer == axis.full
        for size in range(infer, infer + axis.s):
            assert rules.output_size(axis, 0, 0, size) == Canonical(0, 0, size - infer)
        with pytest.raises(RuleViolation, match="less than inferred size \\+ stride"):
            rules.output_size(axis, 0, 0, infer + axis.s)
        with pytest.raises(RuleViolation, match="not be less than the inferred"):
            rules.output_size(axis, 0, 0, infer - 1)
        # under SAME the inferred size is the undilated kernel's
        before, after = rules.same_padding(axis)
        infer = (axis.n - 1) * axis.s - before - after + axis.k
        for size in range(infer, infer + axis.s):
            assert rules.output_size(axis, before, after, size, "SAME") == \
                Canonical(before, after, size - infer)


def test_output_padding_limits() -> None:
    rules.limits(Axis(4, 3, 2), 0, 0, 1, dims=2)
    rules.limits(Axis(4, 3, 2, 3), 0, 0, 2, dims=2)      # below max(stride, dilation)
    rules.limits(Axis(4, 3, 2), 0, 0, 0, dims=2)
    rules.limits(Axis(4, 3, 2, 4), 0, 0, 3, dims=2)      # above the stride: only 1-D refuses
    rules.limits(Axis(4, 3, 2, 4), 0, 0, 2, dims=1)      # 1-D: equal to the stride is allowed
    with pytest.raises(RuleViolation, match="either stride or dilation"):
        rules.limits(Axis(4, 3, 2), 0, 0, 2, dims=2)
    with pytest.raises(RuleViolation, match="either stride or dilation"):   # SAME: dilation 1
        rules.limits(Axis(4, 3, 2, 3), 0, 0, 2, dims=2, spelled="SAME")
    with pytest.raises(RuleViolation, match="not be greater than stride"):  # conv1d_transpose
        rules.limits(Axis(4, 3, 2, 4), 0, 0, 3, dims=1)
    with pytest.raises(RuleViolation, match="larger than or equal to 0"):
        rules.limits(Axis(4, 3, 2), -1, 0, 0, dims=2)


def test_express_gives_back_every_window_it_can_spell() -> None:
    for axis in AXES:
        for begin, end, a in itertools.product(range(-2, 4), range(-2, 4), range(3)):
            want = Canonical(begin, end, a)
            try:
                spelled = rules.express(axis, want)
            except NotExpressible:
                net = end - a
                assert begin < 0 or want.size(axis) < 1 or -net >= max(axis.s, axis.d)
                continue
            before, after = spelled["padding"]
            got = rules.pads(before, after, spelled["output_padding"])
            assert got.same_window(want)
            assert before >= 0 and after >= 0
            assert spelled["output_padding"] < max(axis.s, axis.d)
