"""PyTensor's padding vocabulary (``oracle.rules.pytensor``) against the output shapes its
docstrings state (full ``N+M-1``, valid ``max(N, M) - min(N, M) + 1``, same ``N``), against
NumPy's and SciPy's own modes of the same name (which PyTensor's ``perform`` methods call), the
'valid' dominance rule, and ``express`` finding the mode of every window it can spell."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from tconv.oracle.rules import Axis, Canonical, NotExpressible, RuleViolation
from tconv.oracle.rules import pytensor as rules

AXES = [Axis(n, k) for n, k in itertools.product((1, 2, 3, 5, 8), (1, 2, 3, 4, 5, 9))]
LENGTHS = {"full": lambda n, k: n + k - 1, "valid": lambda n, k: max(n, k) - min(n, k) + 1,
           "same": lambda n, k: n}


@pytest.mark.parametrize("mode", rules.MODES)
def test_each_mode_gives_the_documented_length(mode: str) -> None:
    for axis in AXES:
        window = rules.mode(axis, mode)
        assert window.size(axis) == LENGTHS[mode](axis.n, axis.k), (axis, window)
        assert window.begin >= 0 and window.end >= 0 and window.output_padding == 0


@pytest.mark.parametrize("mode", rules.MODES)
def test_each_mode_selects_what_numpy_selects(mode: str) -> None:
    """The window of the full convolution that ``numpy.convolve`` returns for the mode
    (``Convolve1d.perform`` calls it; 'same' is PyTensor's own padding, which for the kernel
    as second argument agrees with SciPy's centring)."""
    from scipy import signal

    rng = np.random.default_rng(0)
    for axis in AXES:
        x, w = rng.standard_normal(axis.n), rng.standard_normal(axis.k)
        full = np.convolve(x, w)
        window = rules.mode(axis, mode)
        want = full[window.begin:len(full) - window.end]
        got = signal.convolve(x, w, mode=mode) if mode == "same" else np.convolve(x, w, mode)
        np.testing.assert_allclose(got, want, atol=1e-12)


def test_same_puts_the_odd_crop_at_the_end() -> None:
    assert rules.mode(Axis(5, 3), "same") == Canonical(1, 1)
    assert rules.mode(Axis(5, 4), "same") == Canonical(1, 2)
    assert rules.mode(Axis(5, 2), "same") == Canonical(0, 1)


def test_valid_needs_one_input_to_dominate_on_every_axis() -> None:
    rules.limits([Axis(5, 3), Axis(4, 4)], "valid")
    rules.limits([Axis(2, 3), Axis(1, 4)], "valid")
    rules.limits([Axis(2, 2), Axis(2, 3)], "valid")        # equal on one axis: the kernel dominates
    rules.limits([Axis(2, 3), Axis(5, 4)], "full")
    with pytest.raises(RuleViolation, match="dominate"):
        rules.limits([Axis(2, 3), Axis(5, 4)], "valid")


def test_express_finds_the_mode_of_each_window_and_refuses_the_rest() -> None:
    for axis in AXES:
        for mode in rules.MODES:
            spelled = rules.express([axis], [rules.mode(axis, mode)])
            assert rules.mode(axis, spelled).same_window(rules.mode(axis, mode))
    with pytest.raises(NotExpressible):
        rules.express([Axis(5, 3)], [Canonical(2, 0, 0)])
    with pytest.raises(NotExpressible):   # one mode for every axis
        rules.express([Axis(5, 3), Axis(5, 3)], [Canonical(0, 0), Canonical(1, 1)])
