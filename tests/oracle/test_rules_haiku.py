"""Haiku's padding vocabulary (``oracle.rules.haiku``) against relationships derived apart from
its padding arithmetic: SAME gives ``n*s`` elements and VALID crops nothing (as lax), a pair
pads the stride-dilated input, ``output_shape`` accepts exactly the sizes whose forward
convolution maps back to ``n`` (SAME: ``ceil(o / s) == n``; VALID: Dumoulin & Visin's
``o = s(n - 1) + a + k`` with ``0 <= a < s``), each as the adjoint of that forward convolution,
refuses the rest with Haiku's words, and ``express`` gives back every window."""

from __future__ import annotations

import itertools

import pytest

from tconv.oracle.rules import Axis, Canonical, RuleViolation
from tconv.oracle.rules import haiku as rules

# Haiku has no kernel dilation.
AXES = [Axis(n, k, s) for n, k, s in itertools.product((1, 2, 3, 5), (1, 2, 3, 4, 5),
                                                          (1, 2, 3))]


def full(axis: Axis) -> int:
    return (axis.n - 1) * axis.s + axis.k


def test_same_and_valid_without_output_shape() -> None:
    for axis in AXES:
        same, valid = rules.mode(axis, "SAME"), rules.mode(axis, "VALID")
        assert same.size(axis) == axis.n * axis.s
        assert same.begin == max(axis.k - axis.s, 0) // 2
        assert valid.begin == 0 and valid.size(axis) == (axis.n - 1) * axis.s + max(axis.k,
                                                                                     axis.s)


def test_a_pair_pads_the_stride_dilated_input() -> None:
    for axis in AXES:
        for low, high in itertools.product(range(-1, 4), repeat=2):
            size = (axis.n - 1) * axis.s + 1 + low + high - axis.k + 1
            if size >= 1:
                window = rules.pads(axis, low, high)
                assert window.size(axis) == size and window.begin == axis.k - 1 - low


def test_output_shape_valid_takes_every_output_padding_below_the_stride() -> None:
    for axis in AXES:
        for size in range(1, full(axis) + 2 * axis.s):
            if full(axis) <= size < full(axis) + axis.s:   # o = s(n-1) + a + k, 0 <= a < s
                window = rules.output_shape(axis, "VALID", size)
                assert window.size(axis) == size and window.begin == 0
                assert window.same_window(Canonical(0, 0, size - full(axis)))
            else:
                with pytest.raises(RuleViolation, match="doesn't match the actual input size"):
                    rules.output_shape(axis, "VALID", size)


def test_output_shape_same_is_the_adjoint_of_the_forward_same_convolution() -> None:
    for axis in AXES:
        for size in range(1, full(axis) + 2 * axis.s):
            if -(-size // axis.s) == axis.n:   # a forward SAME convolution of size o gives n
                window = rules.output_shape(axis, "SAME", size)
                total = max((axis.n - 1) * axis.s + axis.k - size, 0)
                assert window.size(axis) == size and window.begin == total // 2, (axis, size)
            else:
                with pytest.raises(RuleViolation, match=f"actual input size {axis.n}"):
                    rules.output_shape(axis, "SAME", size)


def test_output_shape_without_a_string_is_refused() -> None:
    with pytest.raises(RuleViolation, match="must be 'VALID' or 'SAME'"):
        rules.adjusted_padding(Axis(4, 3, 2), "CIRCULAR", 8)


def test_the_kernel_is_read_flipped() -> None:
    assert rules.KERNEL_FLIPPED


def test_express_gives_back_every_window_with_an_element() -> None:
    for axis in AXES:
        for begin, end, a in itertools.product(range(-2, 4), range(-2, 4), range(3)):
            want = Canonical(begin, end, a)
            if want.size(axis) >= 1:
                padding = rules.express(axis, want)["padding"]
                got = (rules.mode(axis, padding) if isinstance(padding, str)
                       else rules.pads(axis, *padding))
                assert got.same_window(want), (axis, want, padding, got)
