"""MLX's padding vocabulary (``oracle.rules.mlx``) against what its source computes: the
padding of the stride-dilated input ``(d*(k-1) - p, d*(k-1) - p + output_padding)`` is the
full result cropped ``p`` at both ends and extended ``output_padding`` at the end (the output
size relationship of PyTorch's docstring); the groups note of the 2-D and 3-D functions; and
``express`` giving back every window it can spell."""

from __future__ import annotations

import itertools

import pytest

from tconv.oracle.rules import Axis, Canonical, NotExpressible, RuleViolation
from tconv.oracle.rules import mlx as rules

AXES = [Axis(n, k, s, d) for n, k, s, d in
        itertools.product((1, 2, 3, 5), (1, 2, 3, 4, 5), (1, 2, 3), (1, 2))]


def test_padding_is_the_size_mlx_computes() -> None:
    for axis in AXES:
        for p, q in itertools.product(range(axis.d * (axis.k - 1) + 1), range(4)):
            # conv_transpose_general: conv_output_shape + output_padding
            size = (axis.n - 1) * axis.s - 2 * p + axis.d * (axis.k - 1) + 1 + q
            window = rules.padding(p, q)
            assert window.size(axis) == size
            # the low padding of the dilated input is d*(k-1) - p: p cropped in front
            assert window.begin == p and window.end == p and window.output_padding == q


def test_groups_only_in_one_d_by_the_docstrings() -> None:
    rules.limits(1, 4)
    rules.limits(2, 1)
    rules.limits(3, 1)
    for dims in (2, 3):
        with pytest.raises(RuleViolation, match="groups=1"):
            rules.limits(dims, 2)


def test_express_gives_back_every_window_it_can_spell() -> None:
    for axis in AXES:
        for begin, end, a in itertools.product(range(-1, 4), range(-2, 4), range(3)):
            want = Canonical(begin, end, a)
            if begin < 0 or begin - end + a < 0 or want.size(axis) < 1:
                with pytest.raises(NotExpressible):
                    rules.express(axis, want)
                continue
            spelled = rules.express(axis, want)
            got = rules.padding(spelled["padding"], spelled["output_padding"])
            assert got.same_window(want), (axis, want, spelled)
