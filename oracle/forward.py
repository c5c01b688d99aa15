"""The forward convolution, as the frameworks define it: a cross-correlation (no flip).

One spatial axis, stride ``s``, dilation ``d``, padding ``(begin, end)``::

    xp = [0]*begin + x + [0]*end            # a negative begin or end crops instead
    y[i] = sum over j of xp[i*s + j*d] * w[j] + bias,   for every i with i*s + d*(k-1) < len(xp)

The weight is ``(C_out, C_in/groups, *kernel)``. A transposed convolution with the same kernel
and parameters is this operation's adjoint (``semantics.md`` §2.3).
"""

from __future__ import annotations

import numpy as np

from tconv.oracle import taps
from tconv.oracle._args import IntOrTuple, Padding, operands, padding_pairs, per_dim


def conv_output_size(padded: int, kernel: int, stride: int, dilation: int) -> int:
    """Number of window positions ``i*s`` with the dilated kernel inside ``padded`` elements."""
    return max((padded - dilation * (kernel - 1) - 1) // stride + 1, 0)


def conv(
    x: np.ndarray,
    w: np.ndarray,
    bias: np.ndarray | None = None,
    *,
    stride: IntOrTuple = 1,
    padding: Padding = 0,
    dilation: IntOrTuple = 1,
    groups: int = 1,
) -> np.ndarray:
    """Cross-correlation of ``x (N, C_in, *spatial)`` with ``w (C_out, C_in/groups, *kernel)``.

    Computed in float64 from the values given; returns ``(N, C_out, *out)``.
    """
    x, w, bias, _ = operands(x, w, bias, groups)
    ndim = x.ndim - 2
    stride = per_dim(stride, ndim, "stride", 1)
    dilation = per_dim(dilation, ndim, "dilation", 1)
    pairs = padding_pairs(padding, ndim)
    padded = [n + b + e for n, (b, e) in zip(x.shape[2:], pairs)]
    if min(padded) < 0:
        raise ValueError(f"padding crops more than the input: padded size {tuple(padded)}")
    xp = taps.window(x, [-b for b, _ in pairs], padded)
    count = [conv_output_size(p, k, s, d)
             for p, k, s, d in zip(padded, w.shape[2:], stride, dilation)]
    y = taps.gather(xp, w, stride, dilation, groups, count)
    if bias is not None:
        y += bias.reshape(bias.shape + (1,) * ndim)
    return y
