"""tinygrad's padding vocabulary (``oracle.rules.tinygrad``) against its source: the flat form
is read last axis first (``flat_to_grouped``), one int or one per axis means the same crop at
both ends (``resolve_pool_pads``), a pair crops what it says and ``output_padding`` extends at
the end, and ``express`` gives back every window."""

from __future__ import annotations

import itertools

import pytest

from tconv.oracle.rules import Axis, Canonical, NotExpressible
from tconv.oracle.rules import tinygrad as rules

AXES = [Axis(n, k, s, d) for n, k, s, d in
        itertools.product((1, 2, 3, 5), (1, 2, 3, 4, 5), (1, 2, 3), (1, 2))]


def test_the_flat_form_is_last_axis_first() -> None:
    # the docstring: (padding_left, padding_right, padding_top, padding_bottom) for (H, W)
    assert rules.flat([(1, 2), (3, 4)]) == (3, 4, 1, 2)
    assert rules.grouped((3, 4, 1, 2)) == ((1, 2), (3, 4))
    for pairs in ([(0, 1)], [(1, 2), (3, 4)], [(1, 2), (3, 4), (5, 6)]):
        assert rules.grouped(rules.flat(pairs)) == tuple(pairs)


def test_per_axis_form_is_the_same_crop_at_both_ends() -> None:
    # resolve_pool_pads: (p_h, p_w) -> [p_h, p_h, p_w, p_w][::-1], the flat (p_w, p_w, p_h, p_h)
    per_axis = (1, 2)
    flat = [p for p in per_axis for _ in range(2)][::-1]
    assert rules.grouped(tuple(flat)) == ((1, 1), (2, 2))


def test_pairs_crop_what_they_say_and_output_padding_extends_at_the_end() -> None:
    for axis in AXES:
        for begin, end, a in itertools.product(range(-1, 3), range(-1, 3), range(3)):
            window = rules.pads(begin, end, a)
            # conv2d's padding of the dilated input: (d*(k-1) - begin, d*(k-1) - end + a)
            lo = axis.d * (axis.k - 1) - begin
            hi = axis.d * (axis.k - 1) - end + a
            dilated = (axis.n - 1) * axis.s + 1
            assert window.size(axis) == dilated + lo + hi - axis.dilated_kernel + 1


def test_express_gives_back_every_window() -> None:
    for axis in AXES:
        for begin, end, a in itertools.product(range(-2, 4), range(-2, 4), range(3)):
            want = Canonical(begin, end, a)
            if want.size(axis) < 0:
                with pytest.raises(NotExpressible):
                    rules.express(axis, want)
                continue
            spelled = rules.express(axis, want)
            assert rules.pads(*spelled["padding"], spelled["output_padding"]) == want
