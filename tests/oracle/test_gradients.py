"""conv_transpose's gradients against finite differences and their definitions."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings

from conftest import examples
from tconv.oracle import conv_transpose, conv_transpose_grad
from tests.oracle.strategies import Config, configs


def loss(config: Config, x, w, b, dy) -> float:
    return float(np.vdot(conv_transpose(x, w, b, **config.kwargs()), dy))


@settings(max_examples=examples(150))
@given(configs(min_output=1))
def test_gradients_match_central_differences(config: Config) -> None:
    """The loss <conv_transpose(x, w, b), dy> is linear in each of x, w, b, so a central
    difference along a random direction is exact up to rounding."""
    x, w, b = config.arrays()
    if b is None:
        b = np.zeros(config.groups * config.out_per_group)
    rng = np.random.default_rng(config.seed + 7)
    dy = rng.standard_normal((config.batch, len(b), *config.output_size))
    grads = conv_transpose_grad(x, w, dy, **config.kwargs())
    assert grads.x.shape == x.shape and grads.w.shape == w.shape and grads.bias.shape == b.shape
    h = 0.5
    for name, value, grad in (("x", x, grads.x), ("w", w, grads.w), ("bias", b, grads.bias)):
        direction = rng.standard_normal(value.shape)
        args = {"x": x, "w": w, "b": b}
        key = "b" if name == "bias" else name
        plus = loss(config, **{**args, key: value + h * direction}, dy=dy)
        minus = loss(config, **{**args, key: value - h * direction}, dy=dy)
        numeric = (plus - minus) / (2 * h)
        analytic = float(np.vdot(grad, direction))
        scale = abs(plus) + abs(minus) + 1.0
        assert abs(numeric - analytic) <= 1e-11 * scale, (name, numeric, analytic)


def test_bias_gradient_sums_over_batch_and_space() -> None:
    x = np.ones((2, 1, 3, 3))
    w = np.ones((1, 2, 2, 2))
    dy = np.arange(2 * 2 * 4 * 4, dtype=float).reshape(2, 2, 4, 4)
    grads = conv_transpose_grad(x, w, dy)
    np.testing.assert_array_equal(grads.bias, dy.sum(axis=(0, 2, 3)))


def test_gradient_rejects_a_dy_of_the_wrong_shape() -> None:
    import pytest

    with pytest.raises(ValueError, match=r"dy must have the output's shape \(1, 1, 4\)"):
        conv_transpose_grad(np.ones((1, 1, 2)), np.ones((1, 1, 3)), np.ones((1, 1, 5)))
