"""The transposed convolution, as ``semantics.md`` §1 defines it.

One spatial axis, stride ``s``, dilation ``d``, kernel ``w[0..k-1]``, input ``x[0..n-1]``::

    full[i*s + j*d] += x[i] * w[j]          # scatter; the kernel is not flipped
    len(full) = (n - 1)*s + d*(k - 1) + 1
    y = full[begin : len(full) - end + output_padding]     # zero past the end of full
    y += bias

``padding`` gives ``(begin, end)`` per axis. Window positions outside ``full`` read zero, so
``output_padding`` selects values that ``end`` would have cropped, then zeros; a negative
``begin`` or ``end`` (which no framework spells directly, but JAX's explicit padding implies)
reads zeros before or after ``full``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tconv.oracle import taps
from tconv.oracle._args import IntOrTuple, Padding, operands, padding_pairs, per_dim


@dataclass(frozen=True)
class Geometry:
    """Per spatial axis: the canonical parameters and the sizes they give."""

    stride: tuple[int, ...]
    dilation: tuple[int, ...]
    begin: tuple[int, ...]
    end: tuple[int, ...]
    output_padding: tuple[int, ...]
    input_size: tuple[int, ...]
    kernel: tuple[int, ...]

    @property
    def full_size(self) -> tuple[int, ...]:
        return tuple(
            taps.full_size(n, k, s, d)
            for n, k, s, d in zip(self.input_size, self.kernel, self.stride, self.dilation)
        )

    @property
    def output_size(self) -> tuple[int, ...]:
        return tuple(
            f - b - e + a
            for f, b, e, a in zip(self.full_size, self.begin, self.end, self.output_padding)
        )


def geometry(
    input_size: tuple[int, ...],
    kernel: tuple[int, ...],
    *,
    stride: IntOrTuple = 1,
    padding: Padding = 0,
    output_padding: IntOrTuple = 0,
    dilation: IntOrTuple = 1,
) -> Geometry:
    """Check the geometry arguments of ``conv_transpose`` and return them per axis."""
    ndim = len(input_size)
    pairs = padding_pairs(padding, ndim)
    g = Geometry(
        stride=per_dim(stride, ndim, "stride", 1),
        dilation=per_dim(dilation, ndim, "dilation", 1),
        begin=tuple(b for b, _ in pairs),
        end=tuple(e for _, e in pairs),
        output_padding=per_dim(output_padding, ndim, "output_padding", 0),
        input_size=tuple(input_size),
        kernel=tuple(kernel),
    )
    for size in g.output_size:
        if size < 0:
            raise ValueError(
                f"padding crops more than the full result: output size {g.output_size}"
            )
    return g


def conv_transpose(
    x: np.ndarray,
    w: np.ndarray,
    bias: np.ndarray | None = None,
    *,
    stride: IntOrTuple = 1,
    padding: Padding = 0,
    output_padding: IntOrTuple = 0,
    dilation: IntOrTuple = 1,
    groups: int = 1,
) -> np.ndarray:
    """Transposed convolution of ``x (N, C_in, *spatial)`` with ``w (C_in, C_out/groups,
    *kernel)``, computed in float64 from the values given. Returns ``(N, C_out, *out)``."""
    x, w, bias, _ = operands(x, w, bias, groups, transposed=True)
    g = geometry(x.shape[2:], w.shape[2:], stride=stride, padding=padding,
                 output_padding=output_padding, dilation=dilation)
    y = taps.scatter(x, w, g.stride, g.dilation, groups, g.begin, g.output_size)
    if bias is not None:
        y += bias.reshape(bias.shape + (1,) * len(g.kernel))
    return y
