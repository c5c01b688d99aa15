"""Where the kernel taps land: the scatter that defines a transposed convolution, its adjoint
(the gather that defines a forward convolution), and the output window.

Along one spatial axis, with stride ``s`` and dilation ``d``, input element ``i`` and kernel tap
``j`` meet at position ``i*s + j*d`` of the full result (``semantics.md`` §1). For a fixed tap
``j`` the positions reached by all ``i`` form one strided slice, so both the scatter and the
gather are a loop over kernel taps of whole-array additions, and the products themselves are
one matrix product per group (BLAS).
"""

from __future__ import annotations

import itertools
import math
import threading
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np


def full_size(size: int, kernel: int, stride: int, dilation: int) -> int:
    """Length of the full (uncropped) result: ``(n - 1)*s + d*(k - 1) + 1``."""
    return (size - 1) * stride + dilation * (kernel - 1) + 1


def tap_slices(
    tap: Sequence[int], stride: Sequence[int], dilation: Sequence[int], count: Sequence[int]
) -> tuple[slice, ...]:
    """Positions ``i*s + j*d`` for ``i`` in ``range(count)``, one slice per spatial axis."""
    return tuple(
        slice(j * d, j * d + max((n - 1) * s + 1, 0), s)
        for j, s, d, n in zip(tap, stride, dilation, count)
    )


def window_taps(
    tap: Sequence[int],
    stride: Sequence[int],
    dilation: Sequence[int],
    count: Sequence[int],
    begin: Sequence[int],
    out_size: Sequence[int],
) -> tuple[tuple[slice, ...], tuple[slice, ...]] | None:
    """Where tap ``j`` lands inside the output window: the inputs ``i`` whose position
    ``i*s + j*d - begin`` lies in ``[0, out_size)``, and those positions, per axis; None if
    the tap lands outside the window everywhere."""
    inputs, outputs = [], []
    for j, s, d, n, b, o in zip(tap, stride, dilation, count, begin, out_size):
        first = max(0, -((j * d - b) // s))          # smallest i with i*s + j*d - b >= 0
        last = min(n - 1, (o - 1 + b - j * d) // s)  # largest i with i*s + j*d - b < o
        if first > last:
            return None
        start = first * s + j * d - b
        inputs.append(slice(first, last + 1))
        outputs.append(slice(start, start + (last - first) * s + 1, s))
    return tuple(inputs), tuple(outputs)


def scatter(
    x: np.ndarray,
    w: np.ndarray,
    stride: Sequence[int],
    dilation: Sequence[int],
    groups: int,
    begin: Sequence[int],
    out_size: Sequence[int],
) -> np.ndarray:
    """``y[n, o, i*s + j*d - begin] += x[n, c, i] * w[c, m, j]`` inside the window
    ``[0, out_size)``: the transposed convolution, positions outside the full result left zero.

    ``x``: ``(N, C_in, *spatial)``; ``w``: ``(C_in, C_out // groups, *kernel)``; input channel
    ``c`` of group ``g`` feeds output channel ``o = g * (C_out // groups) + m``.
    """
    batch, in_channels, *spatial = x.shape
    _, out_per_group, *kernel = w.shape
    in_per_group = in_channels // groups
    if in_per_group == 1 and out_per_group == 1 and np.isfinite(w).all():
        return depthwise_scatter(x, w, stride, dilation, begin, out_size)
    taps, positions = math.prod(kernel), math.prod(spatial)

    # products[g, m, j, n, i] = sum over c in group g of w[c, m, j] * x[n, c, i]
    # (w is read in its own layout: BLAS takes the transposed view without a copy)
    xg = x.reshape(batch, groups, in_per_group, positions).transpose(1, 2, 0, 3)
    xg = xg.reshape(groups, in_per_group, batch * positions)
    wg = w.reshape(groups, in_per_group, out_per_group * taps).transpose(0, 2, 1)
    # One input channel per group (depthwise): the sum has one term, a broadcast product.
    if in_per_group == 1:
        products = wg * xg
    else:
        shape = (groups, out_per_group * taps, batch * positions)
        products = np.matmul(wg, xg, out=_work_array(shape, "products"))
    products = products.reshape(groups, out_per_group, *kernel, batch, *spatial)
    if all(k == s and d == 1 and b == 0 and o == n * s for k, s, d, b, o, n
           in zip(kernel, stride, dilation, begin, out_size, spatial)):
        return _tiled(products, batch, out_size)

    y = np.zeros((groups, out_per_group, batch, *out_size))
    # Taps closer than the stride on every axis (U-Net's 2x2/s2) never land on the same
    # position: each sum is 0 + one product, computed without reading y back.
    disjoint = all((k - 1) * d < s for k, d, s in zip(kernel, dilation, stride))
    for tap in np.ndindex(*kernel):
        where = window_taps(tap, stride, dilation, spatial, begin, out_size)
        if where is not None:
            inputs, outputs = where
            target = y[(..., *outputs)]
            product = products[(slice(None), slice(None), *tap, slice(None), *inputs)]
            np.add(0.0 if disjoint else target, product, out=target)
    y = y.transpose(2, 0, 1, *range(3, y.ndim))
    return y.reshape(batch, groups * out_per_group, *out_size)


def _tiled(products: np.ndarray, batch: int, out_size: Sequence[int]) -> np.ndarray:
    """``scatter`` when the taps tile the output exactly (kernel = stride, no dilation, no
    padding: U-Net's 2x2/s2): output ``i*k + j`` of an axis is ``0 + product[j, i]``, so the
    whole output is one reordering of the products, written in one call instead of one
    strided addition per tap and a final transposition."""
    groups, out_per_group, *rest = products.shape
    ndim = len(out_size)
    kernel, spatial = rest[:ndim], rest[ndim + 1:]
    y = np.empty((batch, groups * out_per_group, *out_size))
    # y[n, g*M + m, i*k + j] seen as [n, g, m, i1, j1, i2, j2, ...]
    tiles = y.reshape(batch, groups, out_per_group,
                      *(v for n, k in zip(spatial, kernel) for v in (n, k)))
    order = [2 + ndim, 0, 1, *(a for d in range(ndim) for a in (3 + ndim + d, 2 + d))]
    np.add(0.0, products.transpose(order), out=tiles)  # 0 + p, as the additions would give
    return y


# Largest work array kept from call to call (bytes), per use and per thread.
WORK_LIMIT = 32 << 20


class _Work(threading.local):
    """The arrays kept in one thread, one per use; a use not named here is a bug."""

    products: np.ndarray | None = None
    columns: np.ndarray | None = None


_work = _Work()


def _work_array(shape: tuple[int, ...], use: str) -> np.ndarray:
    """An uninitialised float64 array for an intermediate (``use``: "products", "columns"),
    reused from call to call: a fresh one of tens of MB costs about as much in page faults
    (the kernel zeroes every page) as the additions that read it. Arrays larger than
    ``WORK_LIMIT`` are not kept."""
    size = math.prod(shape)
    if size * 8 > WORK_LIMIT:
        return np.empty(shape)
    buffer = getattr(_work, use)
    if buffer is None or buffer.size < size:
        buffer = np.empty(size)
        setattr(_work, use, buffer)
    return buffer[:size].reshape(shape)


# Elements of a depthwise block's phase buffer: small enough to stay in a core's cache while
# every tap adds into it (measured on FCN 130x130 phases: 7 rows beat 1, 3 and 60).
DEPTHWISE_BLOCK = 1 << 17


def depthwise_scatter(
    x: np.ndarray,
    w: np.ndarray,
    stride: Sequence[int],
    dilation: Sequence[int],
    begin: Sequence[int],
    out_size: Sequence[int],
) -> np.ndarray:
    """``scatter`` for one input and one output channel per group (depthwise) and a finite
    ``w``: no sum over channels, so no matrix product; each tap is one multiply and one add.

    The full result is kept split by phase: position ``f = q*s + r`` of an axis goes to phase
    ``r``, place ``q``, and each phase is one flat plane. Tap ``j`` (``r = j*d mod s``,
    ``q = i + j*d // s``) then adds one contiguous run into its phase's plane, because ``x``
    is padded with zeros to the plane's row lengths. The padding adds ``w * 0 = ±0`` to other
    places, which changes nothing: a sum started at +0 is never -0. Every output element gets
    the same products in the same tap order, from zero, as in ``scatter``: identical results.
    Rows ``(n, c)`` go in blocks that stay in cache.
    """
    batch, channels, *spatial = x.shape
    kernel = w.shape[2:]
    rows = batch * channels
    plan = _DepthwisePlan.of(spatial, kernel, stride, dilation, begin, out_size)
    x_rows = x.reshape(rows, *spatial)
    taps = len(plan.tap_runs)
    w_rows = np.broadcast_to(w.reshape((1, channels, taps)), (batch, channels, taps))
    w_rows = w_rows.reshape((rows, taps, 1))
    y = np.zeros((rows, *out_size))
    _depthwise_rows(plan, x_rows, w_rows, y, range(0, rows, plan.per))
    return y.reshape(batch, channels, *out_size)


class _DepthwisePlan(NamedTuple):
    """Where each tap's run goes in the phase buffer, and how phases map to the output."""

    spatial: tuple[int, ...]
    strides: tuple[int, ...]
    lengths: tuple[int, ...]
    run: int                                   # flat length of x padded to the plane's rows
    tap_runs: list[tuple[tuple[int, ...], int]]
    copies: list[tuple[tuple, tuple]]
    per: int                                   # rows per block

    @classmethod
    def of(cls, spatial, kernel, stride, dilation, begin, out_size) -> _DepthwisePlan:
        phases = [_Phases.of(n, k, s, d)
                  for n, k, s, d in zip(spatial, kernel, stride, dilation)]
        strides = tuple(p.stride for p in phases)
        lengths = tuple(p.length for p in phases)
        run = int(np.ravel_multi_index([n - 1 for n in spatial], lengths)) + 1
        per = max(1, DEPTHWISE_BLOCK // (math.prod(strides) * math.prod(lengths)))
        return cls(tuple(spatial), strides, lengths, run,
                   [_tap_run(tap, phases, dilation) for tap in np.ndindex(*kernel)],
                   _phase_copies(phases, begin, out_size), per)


def _depthwise_rows(plan: _DepthwisePlan, x_rows: np.ndarray, w_rows: np.ndarray,
                    y: np.ndarray, starts: range) -> None:
    """The blocks of rows beginning at ``starts``: taps into the phase buffer, then out."""
    per, spatial, run = plan.per, plan.spatial, plan.run
    buffer = np.empty((per, *plan.strides, math.prod(plan.lengths)))
    padded = np.zeros((per, spatial[0], *plan.lengths[1:]))
    product = np.empty((per, padded[0].size))
    for start in starts:
        xb = x_rows[start:start + per]
        nb = len(xb)
        buf, xp, prod, wb = buffer[:nb], padded[:nb], product[:nb], w_rows[start:start + nb]
        xp[(slice(None), *(slice(n) for n in spatial))] = xb
        xflat = xp.reshape((nb, prod.shape[1]))
        buf.fill(0.0)
        for t, (phase, offset) in enumerate(plan.tap_runs):
            np.multiply(wb[:, t], xflat, out=prod)
            target = buf[(slice(None), *phase, slice(offset, offset + run))]
            np.add(target, prod[:, :run], out=target)
        planes = buf.reshape(nb, *plan.strides, *plan.lengths)
        yb = y[start:start + nb]
        for out_index, buf_index in plan.copies:
            yb[(slice(None), *out_index)] = planes[(slice(None), *buf_index)]


class _Phases(NamedTuple):
    """One axis of the full result split by phase: ``stride`` phases of ``length`` each."""

    stride: int
    length: int

    @classmethod
    def of(cls, size: int, kernel: int, stride: int, dilation: int) -> _Phases:
        return cls(stride, -(-full_size(size, kernel, stride, dilation) // stride))


def _tap_run(tap, phases, dilation) -> tuple[tuple[int, ...], int]:
    """Tap ``j``'s phase per axis and the flat offset of its run in that phase's plane."""
    split = [divmod(j * d, p.stride) for j, p, d in zip(tap, phases, dilation)]
    offset = np.ravel_multi_index([q for q, _ in split], [p.length for p in phases])
    return tuple(r for _, r in split), int(offset)


def _phase_copies(phases, begin, out_size) -> list[tuple[tuple, tuple]]:
    """(output slices, phase buffer index) for each combination of phases: output ``o`` is
    full position ``f = o + begin``; positions outside the buffer stay zero."""
    per_axis = []
    for p, b, o in zip(phases, begin, out_size):
        lo, hi = max(b, 0), min(b + o, p.stride * p.length)
        axis = []
        for r in range(p.stride):
            first = lo + (r - lo) % p.stride
            if first < hi:
                count = (hi - 1 - first) // p.stride + 1
                out = slice(first - b, first - b + (count - 1) * p.stride + 1, p.stride)
                axis.append((out, r, slice(first // p.stride, first // p.stride + count)))
        per_axis.append(axis)
    return [(tuple(out for out, _, _ in combo),
             tuple(r for _, r, _ in combo) + tuple(q for _, _, q in combo))
            for combo in itertools.product(*per_axis)]


def gathered(
    src: np.ndarray,
    kernel: Sequence[int],
    stride: Sequence[int],
    dilation: Sequence[int],
    groups: int,
    count: Sequence[int],
) -> np.ndarray:
    """``cols[g, (m, j), (n, i)] = src[n, g*M + m, i*s + j*d]``: the adjoint of the scatter's
    placement, laid out as one matrix per group for the products that follow."""
    batch, channels = src.shape[:2]
    per_group = channels // groups
    taps, positions = math.prod(kernel), math.prod(count)
    # The columns are a C-ordered array: each tap's slice is written once, straight into its
    # place (stacking the slices and then reordering them copied everything twice).
    cols = _work_array((groups, per_group, taps, batch, *count), "columns")
    for t, tap in enumerate(np.ndindex(*kernel)):
        part = src[(..., *tap_slices(tap, stride, dilation, count))]
        part = part.reshape(batch, groups, per_group, *count)
        cols[:, :, t] = part.transpose(1, 2, 0, *range(3, part.ndim))
    return cols.reshape(groups, per_group * taps, batch * positions)


def gather(
    src: np.ndarray,
    w: np.ndarray,
    stride: Sequence[int],
    dilation: Sequence[int],
    groups: int,
    count: Sequence[int],
) -> np.ndarray:
    """``out[n, c, i] = sum over j, m of w[c, m, j] * src[n, g*M + m, i*s + j*d]``.

    ``w``: ``(C, M, *kernel)`` with ``c`` in group ``g``. This is the forward convolution
    (cross-correlation) of ``src``, and the gradient of ``scatter`` with respect to ``x``.
    """
    kernel = w.shape[2:]
    return gather_columns(gathered(src, kernel, stride, dilation, groups, count), w,
                          src.shape[0], count)


def gather_columns(
    cols: np.ndarray, w: np.ndarray, batch: int, count: Sequence[int]
) -> np.ndarray:
    """``gather`` from columns already laid out by ``gathered`` (the gradients reuse them)."""
    channels, per_group, *kernel = w.shape
    groups = cols.shape[0]
    out = w.reshape(groups, channels // groups, per_group * math.prod(kernel)) @ cols
    out = out.reshape(channels, batch, *count)
    return out.transpose(1, 0, *range(2, out.ndim))


def _overlap(size: int, begin: int, length: int) -> tuple[slice, slice]:
    """Window ``[begin, begin + length)`` of a ``size``-long axis: (part of the axis, part of
    the window) where they overlap; window positions outside the axis read zeros."""
    first, last = max(begin, 0), min(begin + length, size)
    last = max(last, first)
    return slice(first, last), slice(first - begin, last - begin)


def window(full: np.ndarray, begin: Sequence[int], out_size: Sequence[int]) -> np.ndarray:
    """``out[..., o] = full[..., begin + o]``, zero where ``begin + o`` lies outside ``full``."""
    parts = [_overlap(n, b, o) for n, b, o in zip(full.shape[2:], begin, out_size)]
    out = np.zeros(full.shape[:2] + tuple(out_size))
    out[(..., *(dst for _, dst in parts))] = full[(..., *(src for src, _ in parts))]
    return out


def unwindow(out: np.ndarray, begin: Sequence[int], size: Sequence[int]) -> np.ndarray:
    """The adjoint of ``window``: ``out`` placed at ``begin`` in zeros of the full ``size``."""
    parts = [_overlap(n, b, o) for n, b, o in zip(size, begin, out.shape[2:])]
    full = np.zeros(out.shape[:2] + tuple(size))
    full[(..., *(src for src, _ in parts))] = out[(..., *(dst for _, dst in parts))]
    return full
