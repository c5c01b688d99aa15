"""The oracle against formulations that share no code with it (``semantics.md`` §2)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings

from conftest import examples
from tconv.oracle import conv, conv_transpose
from tests.oracle import formulations as f
from tests.oracle.strategies import Config, configs

# Computed in float64 by different summation orders: agreement to a few ulps of the magnitudes.
RTOL, ATOL = 1e-12, 1e-12


def check(expected: np.ndarray, actual: np.ndarray) -> None:
    __tracebackhide__ = True
    assert actual.shape == expected.shape, f"shape {actual.shape}, expected {expected.shape}"
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=ATOL)


@settings(max_examples=examples(500))
@given(configs())
def test_oracle_agrees_with_all_three_formulations(config: Config) -> None:
    x, w, b = config.arrays()
    y = conv_transpose(x, w, b, **config.kwargs())
    assert y.dtype == np.float64
    assert y.shape == (config.batch, config.groups * config.out_per_group, *config.output_size)
    args = config.formulation_args()
    check(f.direct(x, w, b, *args), y)
    check(f.matrix(x, w, b, *args), y)
    check(f.zero_insertion(x, w, b, *args), y)


@settings(max_examples=examples(200))
@given(configs(min_output=1))
def test_adjoint_identity(config: Config) -> None:
    """<conv(u), v> = <u, conv_transpose(v)> for the same kernel and parameters, where the
    forward convolution reads the transposed output's size padded by (begin, end - a)."""
    v, w, _ = config.arrays()
    u = np.random.default_rng(config.seed + 1).standard_normal(
        (config.batch, config.groups * config.out_per_group, *config.output_size))
    forward_pads = tuple((b, e - a) for (b, e), a in zip(config.pads, config.output_padding))
    cu = conv(u, w, stride=config.stride, padding=forward_pads, dilation=config.dilation,
              groups=config.groups)
    assert cu.shape == v.shape
    ctv = conv_transpose(v, w, **config.kwargs())
    lhs, rhs = float(np.vdot(cu, v)), float(np.vdot(u, ctv))
    scale = np.vdot(np.abs(cu), np.abs(v)) + 1.0
    assert abs(lhs - rhs) <= 1e-12 * scale, (lhs, rhs)


@settings(max_examples=examples(200))
@given(configs())
def test_forward_conv_agrees_with_loops(config: Config) -> None:
    """oracle.conv against a loop over its definition, with asymmetric and negative pads."""
    _, w, b = config.arrays()
    x = np.random.default_rng(config.seed).standard_normal(
        (config.batch, config.groups * config.out_per_group, *config.full_size))
    # Pad or crop at each end, never cropping more than the whole signal.
    pads = tuple((max(-b, -(n // 2)), e % 3 - 1) for (b, e), n in zip(config.pads, config.full_size))
    expected = f.forward_conv(x, w, config.stride, config.dilation, pads, config.groups)
    actual = conv(x, w, stride=config.stride, padding=pads, dilation=config.dilation,
                  groups=config.groups)
    check(expected, actual)
    bias = np.arange(w.shape[0], dtype=float)
    with_bias = conv(x, w, bias, stride=config.stride, padding=pads, dilation=config.dilation,
                     groups=config.groups)
    check(expected + bias.reshape(-1, *[1] * len(config.kernel)), with_bias)
