"""Gradients of ``conv_transpose`` with respect to ``x``, ``w`` and ``bias``.

For a loss with gradient ``dy`` at the output (``semantics.md`` §2.3): the output is a window of
``full``, so ``dy`` goes back into the full result by the window's adjoint (zeros where the
window cropped); from there each tap ``j`` of input element ``i`` reads ``dfull[i*s + j*d]``:

    dx[c, i]    = sum over j, m of w[c, m, j] * dfull[o, i*s + j*d]     (a forward convolution)
    dw[c, m, j] = sum over n, i of x[n, c, i] * dfull[n, o, i*s + j*d]  (a correlation of x, dy)
    dbias[o]    = sum of dy[:, o] over batch and space
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from tconv.oracle import taps
from tconv.oracle._args import IntOrTuple, Padding, as_float64, operands
from tconv.oracle.transpose import geometry


class Gradients(NamedTuple):
    x: np.ndarray
    w: np.ndarray
    bias: np.ndarray


def conv_transpose_grad(
    x: np.ndarray,
    w: np.ndarray,
    dy: np.ndarray,
    *,
    stride: IntOrTuple = 1,
    padding: Padding = 0,
    output_padding: IntOrTuple = 0,
    dilation: IntOrTuple = 1,
    groups: int = 1,
) -> Gradients:
    """``(dx, dw, dbias)`` of ``conv_transpose(x, w, bias, ...)`` for output gradient ``dy``."""
    x, w, _, out_channels = operands(x, w, None, groups, transposed=True)
    g = geometry(x.shape[2:], w.shape[2:], stride=stride, padding=padding,
                 output_padding=output_padding, dilation=dilation)
    dy = as_float64(dy, "dy")
    expected = (x.shape[0], out_channels, *g.output_size)
    if dy.shape != expected:
        raise ValueError(f"dy must have the output's shape {expected}, got {dy.shape}")
    dfull = taps.unwindow(dy, g.begin, g.full_size)

    # One set of columns serves both dx and dw (building it is most of the non-BLAS work).
    batch, in_channels = x.shape[:2]
    cols = taps.gathered(dfull, g.kernel, g.stride, g.dilation, groups, g.input_size)
    dx = taps.gather_columns(cols, w, batch, g.input_size)

    per_group, positions = in_channels // groups, math.prod(g.input_size)
    xg = x.reshape(batch, groups, per_group, positions).transpose(1, 2, 0, 3)
    xg = xg.reshape(groups, per_group, batch * positions)
    dw = (xg @ cols.transpose(0, 2, 1)).reshape(w.shape)

    dbias = dy.sum(axis=(0, *range(2, dy.ndim)))
    return Gradients(dx, dw, dbias)
