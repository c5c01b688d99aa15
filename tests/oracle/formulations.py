"""Independent formulations of the transposed convolution, for checking the oracle.

Nothing here imports ``oracle``: each function computes the same operation another way
(``semantics.md`` §2), written from the definition with plain loops and NumPy.
Arguments are per-axis tuples: ``stride``, ``dilation``, ``pads`` ((begin, end) pairs),
``output_padding``; ``w`` is ``(C_in, C_out/groups, *kernel)``.
"""

from __future__ import annotations

import itertools

import numpy as np


def _sizes(x, w, stride, dilation, pads, output_padding):
    full = [(n - 1) * s + d * (k - 1) + 1
            for n, k, s, d in zip(x.shape[2:], w.shape[2:], stride, dilation)]
    out = [f - b - e + a for f, (b, e), a in zip(full, pads, output_padding)]
    return full, out


def direct(x, w, bias, stride, dilation, pads, output_padding, groups):
    """(a) The definition, one input element and one kernel tap at a time."""
    batch, c_in, *space = x.shape
    _, per_group, *kernel = w.shape
    _, out = _sizes(x, w, stride, dilation, pads, output_padding)
    y = np.zeros((batch, per_group * groups, *out))
    for c in range(c_in):
        group = c // (c_in // groups)
        for m in range(per_group):
            o = group * per_group + m
            for i in itertools.product(*map(range, space)):
                for j in itertools.product(*map(range, kernel)):
                    pos = tuple(ii * s + jj * d - b
                                for ii, jj, s, d, (b, _) in zip(i, j, stride, dilation, pads))
                    if all(0 <= p < size for p, size in zip(pos, out)):
                        y[(slice(None), o, *pos)] += x[(slice(None), c, *i)] * w[(c, m, *j)]
    if bias is not None:
        y += np.asarray(bias).reshape(-1, *[1] * len(space))
    return y


def forward_matrix(w, in_size, out_size, stride, dilation, pads, output_padding, groups):
    """The forward convolution, as a matrix ``C`` (rows: its outputs, ``C_in x in_size``;
    columns: its inputs, ``C_out x out_size``), whose transpose is the transposed convolution.

    The forward convolution reads a signal of the transposed output's size, padded by ``begin``
    in front and ``end - output_padding`` behind (negative: cropped), so that it has exactly
    ``in_size`` outputs: row ``(c, i)`` reads column ``(o, i*s + j*d - begin)`` with weight
    ``w[c, m, j]``, for output channel ``o`` of ``c``'s group.
    """
    c_in, per_group, *kernel = w.shape
    rows = list(itertools.product(range(c_in), *map(range, in_size)))
    cols = list(itertools.product(range(per_group * groups), *map(range, out_size)))
    col_index = {col: k for k, col in enumerate(cols)}
    matrix = np.zeros((len(rows), len(cols)))
    for r, (c, *i) in enumerate(rows):
        group = c // (c_in // groups)
        for m in range(per_group):
            for j in itertools.product(*map(range, kernel)):
                q = tuple(ii * s + jj * d - b
                          for ii, jj, s, d, (b, _) in zip(i, j, stride, dilation, pads))
                col = (group * per_group + m, *q)
                if col in col_index:  # outside: the forward conv reads padding there
                    matrix[r, col_index[col]] += w[(c, m, *j)]
    return matrix


def matrix(x, w, bias, stride, dilation, pads, output_padding, groups):
    """(b) ``y = Cᵀ x`` with ``C`` the forward convolution's matrix."""
    batch = x.shape[0]
    _, out = _sizes(x, w, stride, dilation, pads, output_padding)
    c = forward_matrix(w, x.shape[2:], out, stride, dilation, pads, output_padding, groups)
    y = (c.T @ x.reshape(batch, -1).T).T.reshape(batch, w.shape[1] * groups, *out)
    if bias is not None:
        y += np.asarray(bias).reshape(-1, *[1] * len(out))
    return y


def _pad_or_crop(a, axis, before, after):
    """Zero-pad (positive) or crop (negative) one axis at each end."""
    a = np.moveaxis(a, axis, 0)
    a = np.concatenate([np.zeros((max(before, 0), *a.shape[1:]), a.dtype), a,
                        np.zeros((max(after, 0), *a.shape[1:]), a.dtype)])
    a = a[max(-before, 0): max(len(a) - max(-after, 0), max(-before, 0))]
    return np.moveaxis(a, 0, axis)


def zero_insertion(x, w, bias, stride, dilation, pads, output_padding, groups, dtype=np.float64):
    """(c) Insert ``s-1`` zeros between input elements, pad ``d*(k-1) - p`` on each side (plus
    output_padding behind), flip the kernel, and cross-correlate with stride 1, dilation ``d``.

    All arithmetic in ``dtype``, so the bound tests can use it as a float32 computation.
    """
    x = np.asarray(x, dtype)
    w = np.asarray(w, dtype)
    batch, c_in, *space = x.shape
    _, per_group, *kernel = w.shape
    up = np.zeros((batch, c_in, *[(n - 1) * s + 1 for n, s in zip(space, stride)]), dtype)
    up[(slice(None), slice(None), *[slice(None, None, s) for s in stride])] = x
    for axis, (k, d, (b, e), a) in enumerate(zip(kernel, dilation, pads, output_padding)):
        up = _pad_or_crop(up, axis + 2, d * (k - 1) - b, d * (k - 1) - e + a)
    flipped = w[(slice(None), slice(None), *[slice(None, None, -1)] * len(kernel))]
    out = [p - d * (k - 1) for p, d, k in zip(up.shape[2:], dilation, kernel)]
    y = np.zeros((batch, per_group * groups, *out), dtype)
    per_in = c_in // groups
    for g in range(groups):
        xs = up[:, g * per_in:(g + 1) * per_in]
        ws = flipped[g * per_in:(g + 1) * per_in]
        for j in itertools.product(*map(range, kernel)):
            window = xs[(slice(None), slice(None),
                         *[slice(jj * d, jj * d + n) for jj, d, n in zip(j, dilation, out)])]
            y[:, g * per_group:(g + 1) * per_group] += np.einsum(
                "nc...,cm->nm...", window, ws[(slice(None), slice(None), *j)])
    if bias is not None:
        y += np.asarray(bias, dtype).reshape(-1, *[1] * len(space))
    return y


def forward_conv(x, w, stride, dilation, pads, groups):
    """Cross-correlation with ``w (C_out, C_in/groups, *kernel)``, by loops over outputs."""
    batch, c_in, *space = x.shape
    c_out, per_group, *kernel = w.shape
    xp = x
    for axis, (b, e) in enumerate(pads):
        xp = _pad_or_crop(xp, axis + 2, b, e)
    out = [max((p - d * (k - 1) - 1) // s + 1, 0)
           for p, k, s, d in zip(xp.shape[2:], kernel, stride, dilation)]
    y = np.zeros((batch, c_out, *out))
    for o in range(c_out):
        group = o // (c_out // groups)
        for i in itertools.product(*map(range, out)):
            for j in itertools.product(*map(range, kernel)):
                q = tuple(ii * s + jj * d for ii, jj, s, d in zip(i, j, stride, dilation))
                for m in range(per_group):
                    y[(slice(None), o, *i)] += xp[(slice(None), group * per_group + m, *q)] * w[
                        (o, m, *j)]
    return y


def weight_gradient(x, dy, kernel, stride, dilation, pads, groups):
    """``dw[c, m, j] = sum over n, i of x[n, c, i] * dy[n, o, i*s + j*d - begin]`` (zero where
    that position lies outside ``dy``), for output channel ``o`` of ``c``'s group: the
    gradient of ``y = direct(x, w, ...)`` with respect to ``w``, by loops."""
    batch, c_in, *space = x.shape
    per_group = dy.shape[1] // groups
    dw = np.zeros((c_in, per_group, *kernel))
    for c in range(c_in):
        group = c // (c_in // groups)
        for m in range(per_group):
            for j in itertools.product(*map(range, kernel)):
                for i in itertools.product(*map(range, space)):
                    pos = tuple(ii * s + jj * d - b
                                for ii, jj, s, d, (b, _) in zip(i, j, stride, dilation, pads))
                    if all(0 <= p < size for p, size in zip(pos, dy.shape[2:])):
                        dw[(c, m, *j)] += np.vdot(x[(slice(None), c, *i)],
                                                  dy[(slice(None), group * per_group + m, *pos)])
    return dw
