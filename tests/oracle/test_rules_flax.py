"""Flax's padding vocabulary (``oracle.rules.flax``) against relationships derived apart from
lax's padding arithmetic: SAME is the adjoint of the forward SAME convolution of an ``n*s``
input (``n*s`` elements, the smaller crop first), VALID crops nothing and reaches at least
``n*s``, a pair pads the stride-dilated input (semantics.md §2, the zero-insertion view), the
nnx docstring's PyTorch equivalence (``d*(k-1) - p`` crops ``p``), CIRCULAR as a window only
where nothing wraps, and ``express`` giving back every window it is asked for."""

from __future__ import annotations

import itertools

import pytest

from tconv.oracle.rules import Axis, Canonical, NotExpressible
from tconv.oracle.rules import flax as rules

AXES = [Axis(n, k, s, d) for n, k, s, d in
        itertools.product((1, 2, 3, 5), (1, 2, 3, 4, 5), (1, 2, 3), (1, 2))]


def span(axis: Axis) -> int:
    """The dilated kernel, counted afresh."""
    return (axis.k - 1) * axis.d + 1


def test_same_is_the_adjoint_of_the_forward_same_convolution() -> None:
    for axis in AXES:
        window = rules.mode(axis, "SAME")
        assert window.size(axis) == axis.n * axis.s, (axis, window)
        # The forward SAME convolution of n*s elements pads max(span - s, 0) in all, the
        # smaller half in front; its adjoint crops exactly that.
        total = max(span(axis) - axis.s, 0)
        assert window.begin == total // 2, (axis, window)


def test_valid_crops_nothing_and_reaches_n_times_s() -> None:
    for axis in AXES:
        window = rules.mode(axis, "VALID")
        assert window.begin == 0
        assert window.size(axis) == (axis.n - 1) * axis.s + max(span(axis), axis.s)


def test_a_pair_pads_the_stride_dilated_input() -> None:
    for axis in AXES:
        for low, high in itertools.product(range(-1, 4), repeat=2):
            stuffed = (axis.n - 1) * axis.s + 1 + low + high
            if stuffed - span(axis) + 1 < 1:
                continue    # no element (lax refuses what would be shorter than nothing)
            window = rules.pads(axis, low, high)
            # a stride-1 correlation of the padded, stuffed input with the dilated kernel
            assert window.size(axis) == stuffed - span(axis) + 1, (axis, low, high)
            assert window.begin == span(axis) - 1 - low


def test_the_nnx_docstring_pytorch_equivalence() -> None:
    """nnx: to invert ``Conv`` with padding ``p``, pass ``dilation * (kernel_size - 1) - p``:
    PyTorch's ``padding=p``, which crops ``p`` at each end."""
    for axis in AXES:
        for p in range(3):
            if Canonical(p, p).size(axis) < 1:
                continue
            pad = axis.d * (axis.k - 1) - p
            assert rules.pads(axis, pad, pad).same_window(Canonical(p, p)), (axis, p)


def test_circular_is_valid_where_nothing_wraps_and_no_window_elsewhere() -> None:
    for axis in AXES:
        if span(axis) <= axis.s:
            window = rules.mode(axis, "CIRCULAR")
            assert window == rules.mode(axis, "VALID")
            assert window.size(axis) == axis.n * axis.s    # one period exactly
        else:
            with pytest.raises(NotExpressible, match="CIRCULAR"):
                rules.mode(axis, "CIRCULAR")


def test_transpose_kernel_reads_the_scatter_form() -> None:
    assert rules.kernel_flipped(False) and not rules.kernel_flipped(True)


def test_express_gives_back_every_window_with_an_element() -> None:
    for axis in AXES:
        for begin, end, a in itertools.product(range(-2, 4), range(-2, 4), range(3)):
            want = Canonical(begin, end, a)
            if want.size(axis) < 1:
                continue
            padding = rules.express(axis, want)["padding"]
            got = (rules.mode(axis, padding) if isinstance(padding, str)
                   else rules.pads(axis, *padding))
            assert got.same_window(want), (axis, want, padding, got)
