"""Exact vectors and relations from the literature (``semantics.md`` §2-3)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import examples
from tconv.cases.literature import VECTORS, Vector
from tconv.oracle import conv_transpose, geometry


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: v.name)
def test_exact_vector(vector: Vector) -> None:
    x = np.array(vector.input, dtype=float)[None, None]
    w = np.array(vector.kernel, dtype=float)[None, None]
    y = conv_transpose(x, w, stride=vector.stride, padding=vector.padding)
    np.testing.assert_array_equal(y[0, 0], np.array(vector.expected, dtype=float))


def test_bias_is_added_after_the_convolution_everywhere() -> None:
    x = np.array([[[2.0, 3.0, 0.0, -1.0]]])
    w = np.array([[[1.0, 2.0, -1.0]]])
    y = conv_transpose(x, w, np.array([0.5]), stride=2, padding=((1, 3),), output_padding=4)
    # full = [2,4,1,6,-3,0,-1,-2,1]; window from 1, length 9 - 1 - 3 + 4 = 9, zeros past the end.
    np.testing.assert_array_equal(y[0, 0], np.array([4, 1, 6, -3, 0, -1, -2, 1, 0]) + 0.5)


def nearest_upsample_then_full_conv(x: np.ndarray, q: np.ndarray) -> np.ndarray:
    """2x nearest-neighbour upsampling, then a stride-1 full convolution (np.convolve flips)."""
    up = np.repeat(x, 2)
    return np.convolve(up, q, mode="full")


@settings(max_examples=examples(100))
@given(st.integers(1, 8), st.integers(0, 2**32 - 1))
def test_nearest_neighbour_relation(n: int, seed: int) -> None:
    """Stride 2, kernel (q0, q0+q1, q1+q2, q2) = nearest upsampling + full conv with q."""
    rng = np.random.default_rng(seed)
    x, q = rng.standard_normal(n), rng.standard_normal(3)
    kernel = np.array([q[0], q[0] + q[1], q[1] + q[2], q[2]])
    y = conv_transpose(x[None, None], kernel[None, None], stride=2)[0, 0]
    np.testing.assert_allclose(y, nearest_upsample_then_full_conv(x, q), rtol=1e-12, atol=1e-12)


def bilinear_half_pixel(image: np.ndarray, factor: int) -> np.ndarray:
    """Bilinear upsampling with half-pixel centres (align_corners=False), axis by axis: output
    pixel p samples the input at (p + 0.5) / factor - 0.5, clamped at the border."""
    for axis in (0, 1):
        n = image.shape[axis]
        where = (np.arange(n * factor) + 0.5) / factor - 0.5
        image = np.apply_along_axis(lambda v, at=where, n=n: np.interp(at, np.arange(n), v),
                                    axis, image)
    return image


@settings(max_examples=examples(50))
@given(st.integers(2, 7), st.integers(2, 7), st.integers(1, 3), st.integers(0, 2**32 - 1))
def test_bilinear_relation(h: int, w: int, channels: int, seed: int) -> None:
    """FCN's bilinear kernel (4x4, stride 2, padding 1, one kernel per channel) equals bilinear
    interpolation with half-pixel centres away from the border."""
    x = np.random.default_rng(seed).standard_normal((1, channels, h, w))
    taps = np.array([0.25, 0.75, 0.75, 0.25])
    kernel = np.broadcast_to(np.outer(taps, taps), (channels, 1, 4, 4))
    y = conv_transpose(x, kernel, stride=2, padding=1, groups=channels)
    assert y.shape == (1, channels, 2 * h, 2 * w)
    for c in range(channels):
        expected = bilinear_half_pixel(x[0, c], 2)
        np.testing.assert_allclose(y[0, c, 1:-1, 1:-1], expected[1:-1, 1:-1], rtol=1e-12,
                                   atol=1e-12)


def output_length(i: int, k: int, s: int = 1, p: int = 0, a: int = 0) -> int:
    return geometry((i,), (k,), stride=s, padding=p, output_padding=a).output_size[0]


@settings(max_examples=examples(100))
@given(st.integers(1, 20), st.integers(1, 9), st.integers(1, 5), st.integers(0, 4),
       st.integers(0, 4))
def test_dumoulin_visin_output_sizes(i: int, k: int, s: int, p: int, a: int) -> None:
    """Relationships 8-14 of Dumoulin & Visin (2016), dilation 1, as far as sizes are >= 0."""
    assert output_length(i, k) == i + k - 1                                    # no padding
    if i + k - 1 - 2 * p >= 0:
        assert output_length(i, k, p=p) == i + k - 1 - 2 * p                   # padding p
    if k % 2:
        assert output_length(i, k, p=(k - 1) // 2) == i                         # half padding
    if i >= k:
        assert output_length(i, k, p=k - 1) == i - (k - 1)                      # full padding
    assert output_length(i, k, s) == s * (i - 1) + k                           # stride s
    if s * (i - 1) + k - 2 * p >= 0:
        assert output_length(i, k, s, p) == s * (i - 1) + k - 2 * p
        assert output_length(i, k, s, p, a) == s * (i - 1) + a + k - 2 * p    # output padding
    # and the arrays have those sizes
    y = conv_transpose(np.ones((1, 1, i)), np.ones((1, 1, k)), stride=s)
    assert y.shape == (1, 1, s * (i - 1) + k)
