"""The element-wise error bound of ``semantics.md`` §4, computed from the data.

An output element is ``b + sum of x_j * w_j`` over the ``n`` terms that reach it. Summed in a
format with unit roundoff ``u`` in any order (Higham, *Accuracy and Stability of Numerical
Algorithms*, 2nd ed., §3.1, eq. 3.4-3.5), the error is at most ``gamma(n+1) * (|b| + sum |x_j
w_j|)`` with ``gamma(n) = n*u / (1 - n*u)``. To that we add:

- input rounding, when the inputs are rounded to a narrower format before the products (TF32 on
  GPUs): each product is then off by at most ``(2*v + v**2) * |x_j w_j|`` for that format's
  unit roundoff ``v``;
- underflow: each of the ``n + 1`` operations may lose up to half the smallest subnormal
  (Higham §2.1, the model with an absolute term);
- rounding the stored result to the output format: ``u_out * (|y| + error)``.

``sum |x_j w_j|`` is itself a transposed convolution of ``|x|`` and ``|w|`` (one oracle call),
and ``n`` is (input channels per group) times the product over axes of the taps that reach
each position, counted exactly per axis. Winograd or FFT algorithms are not covered by this
bound; errors are reported in bound units rather than widening it.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from tconv.oracle import taps
from tconv.oracle._args import IntOrTuple, Padding, operands
from tconv.oracle.gradients import Gradients, conv_transpose_grad
from tconv.oracle.transpose import geometry

# Unit roundoff u = 2**-p (p: significand bits with the hidden bit) and half the smallest
# subnormal, per format. TF32 keeps float32's exponent and float16's 10 stored bits.
FORMATS: dict[str, tuple[float, float]] = {
    "float64": (2.0**-53, 2.0**-1075),
    "float32": (2.0**-24, 2.0**-150),
    "tf32": (2.0**-11, 2.0**-150),
    "float16": (2.0**-11, 2.0**-25),
    "bfloat16": (2.0**-8, 2.0**-134),
}


def unit_roundoff(dtype: object) -> float:
    """Unit roundoff of a format given by name or NumPy dtype."""
    return FORMATS[format_name(dtype)][0]


def format_name(dtype: object) -> str:
    name = dtype if isinstance(dtype, str) else np.dtype(dtype).name
    if name not in FORMATS:
        raise ValueError(f"dtype must be one of {sorted(FORMATS)}, got {name!r}")
    return name


def gamma(n: np.ndarray, u: float) -> np.ndarray:
    """Higham's ``gamma_n = n*u / (1 - n*u)``; infinite where ``n*u >= 1`` (no bound)."""
    nu = n * u
    # At n*u >= 1 the denominator is clipped to +0, so the division itself gives +inf.
    with np.errstate(divide="ignore"):
        return nu / np.maximum(1 - nu, 0)


def term_counts(g, in_per_group: int) -> np.ndarray:
    """Number of products ``x_j * w_j`` that reach each output position (spatial shape)."""
    count = np.ones(())
    for n, k, s, d, b, size in zip(g.input_size, g.kernel, g.stride, g.dilation, g.begin,
                                   g.output_size):
        full = np.zeros(taps.full_size(n, k, s, d))
        for j in range(k):
            full[j * d: j * d + (n - 1) * s + 1: s] += 1
        axis = taps.window(full[None, None], [b], [size])[0, 0]
        count = np.multiply.outer(count, axis)
    return count * in_per_group


def error_bound(
    x: np.ndarray,
    w: np.ndarray,
    bias: np.ndarray | None = None,
    *,
    dtype: object,
    stride: IntOrTuple = 1,
    padding: Padding = 0,
    output_padding: IntOrTuple = 0,
    dilation: IntOrTuple = 1,
    groups: int = 1,
    accumulation: object = None,
    input_rounding: object = None,
) -> np.ndarray:
    """Largest error, element by element, of ``conv_transpose(x, w, bias, ...)`` computed in
    floating point from these values and stored as ``dtype``.

    ``accumulation``: the format products and sums are computed in (default: ``dtype``).
    ``input_rounding``: a format the inputs are rounded to before the products (``"tf32"``),
    or None when they are used as given.
    """
    x, w, bias, _ = operands(x, w, bias, groups, transposed=True)
    g = geometry(x.shape[2:], w.shape[2:], stride=stride, padding=padding,
                 output_padding=output_padding, dilation=dilation)
    # The scatter itself: conv_transpose would check and convert |x| and |w| all over again.
    magnitude = taps.scatter(np.abs(x), np.abs(w), g.stride, g.dilation, groups, g.begin,
                             g.output_size)
    n = term_counts(g, x.shape[1] // groups)
    b = 0.0 if bias is None else np.abs(bias).reshape(bias.shape + (1,) * len(g.kernel))
    return _bound(magnitude, n, b, dtype, accumulation, input_rounding)


# Elements per block of the bound's arithmetic: its eight to eleven element-wise steps then run
# on temporaries that stay in the core's cache instead of as many passes over memory.
BLOCK = 32768


def _bound(magnitude: np.ndarray, n: np.ndarray | float, b: np.ndarray | float, dtype: object,
           accumulation: object, input_rounding: object) -> np.ndarray:
    """The bound of a sum ``b + sum of n products`` whose magnitudes sum to ``magnitude``,
    written over ``magnitude`` where it can be (callers pass arrays of their own).

    ``n`` is a scalar or has the trailing (spatial) shape of ``magnitude``; ``b`` is a scalar
    or ``(C, 1, ...)`` against ``magnitude``'s ``(N, C, ...)``.
    """
    u_out, tiny_out = FORMATS[format_name(dtype)]
    u_acc, tiny_acc = FORMATS[format_name(dtype if accumulation is None else accumulation)]
    v = 0.0 if input_rounding is None else unit_roundoff(input_rounding)
    consts = _Consts(2 * v + v * v, (1 + v) ** 2, u_out, tiny_out)
    gam, tiny_n = gamma(n + 1, u_acc), (n + 1) * tiny_acc
    if magnitude.size == 0:
        return np.empty(magnitude.shape)
    if np.ndim(n) == 0 and np.ndim(b) == 0:
        rows, back = _as_rows(magnitude)
        gam, tiny_n = np.asarray(gam).reshape((1, 1)), np.asarray(tiny_n).reshape((1, 1))
    else:
        plane = math.prod(np.shape(n))
        gam, tiny_n = gam.reshape((1, plane)), tiny_n.reshape((1, plane))
        if np.ndim(b):
            b = np.broadcast_to(b, magnitude.shape[:2] + (1,) * (magnitude.ndim - 2))
        # The scatter gives (N, C, ...) laid out channel-major when groups == 1: take the rows
        # in that order rather than copy.
        swap = not magnitude.flags.c_contiguous and magnitude.swapaxes(0, 1).flags.c_contiguous
        if swap:
            magnitude, b = magnitude.swapaxes(0, 1), np.swapaxes(b, 0, 1) if np.ndim(b) else b
        magnitude = np.ascontiguousarray(magnitude)
        rows = magnitude.reshape(magnitude.size // plane, plane)
        b = b.reshape(b.size, 1) if np.ndim(b) else b
        back = (lambda r: r.reshape(magnitude.shape).swapaxes(0, 1)) if swap else None
    # In place: the magnitudes are ours, and a fresh output array costs its page faults.
    _blocks(rows, gam, tiny_n, b, consts, out=rows)
    return rows.reshape(magnitude.shape) if back is None else back(rows)


class _Consts(NamedTuple):
    rounding: float  # 2v + v^2: the products' error from rounding the inputs
    widening: float  # (1 + v)^2
    u_out: float
    tiny_out: float


def _as_rows(a: np.ndarray):
    """``a`` as a column in its own memory order (a view for any dense layout), and the
    function that gives such a column back the shape of ``a``."""
    perm = np.argsort(a.strides, kind="stable")[::-1]
    view = a.transpose(perm)
    if not view.flags.c_contiguous:
        view, perm = np.ascontiguousarray(a), np.arange(a.ndim)
    shape, inverse = view.shape, np.argsort(perm)
    # One element per row: blocks of rows are then contiguous runs, one loop each.
    return view.reshape(view.size, 1), lambda r: r.reshape(shape).transpose(inverse)


def _blocks(rows: np.ndarray, gam: np.ndarray, tiny_n: np.ndarray, b: np.ndarray | float,
            c: _Consts, out: np.ndarray) -> None:
    """The bound's arithmetic, block of rows by block of rows; the same operations in the same
    order as on whole arrays, so the same values."""
    per = max(1, BLOCK // max(rows.shape[1], 1))
    r_buf, s_buf = np.empty((per, rows.shape[1])), np.empty((per, rows.shape[1]))
    # No input rounding and no bias: 1*m, 0 + m and 0 + 1*m are m itself, bit for bit,
    # because a magnitude is never -0 (a sum of |x w| started at +0); a NaN m gives the same
    # NaN either way, as the next operation quiets it.
    plain = c.rounding == 0.0 and c.widening == 1.0 and np.ndim(b) == 0 and b == 0.0
    for start in range(0, rows.shape[0], per):
        mag = rows[start:start + per]
        r, s, o = r_buf[:len(mag)], s_buf[:len(mag)], out[start:start + per]
        bb = b[start:start + per] if np.ndim(b) else b
        np.multiply(c.rounding, mag, out=r)          # rounded_inputs
        if plain:
            np.multiply(gam, mag, out=s)
        else:
            np.multiply(c.widening, mag, out=s)
            np.add(bb, s, out=s)
            np.multiply(gam, s, out=s)
        np.add(s, tiny_n, out=s)                     # summed
        np.add(r, s, out=r)                          # computed
        if plain:
            np.add(mag, r, out=s)
        else:
            np.add(bb, mag, out=s)
            np.add(s, r, out=s)
        np.multiply(c.u_out, s, out=s)
        np.add(r, s, out=o)
        np.add(o, c.tiny_out, out=o)


def gradient_bounds(
    x: np.ndarray,
    w: np.ndarray,
    dy: np.ndarray,
    *,
    dtype: object,
    stride: IntOrTuple = 1,
    padding: Padding = 0,
    output_padding: IntOrTuple = 0,
    dilation: IntOrTuple = 1,
    groups: int = 1,
    accumulation: object = None,
    input_rounding: object = None,
) -> Gradients:
    """Element-wise bounds on the errors of ``conv_transpose_grad`` computed in floating point,
    the same model as ``error_bound``: each gradient element is a sum of products whose
    magnitudes are the gradients of ``|x|``, ``|w|``, ``|dy|``, and whose count is at most
    ``C_out/groups * taps`` (dx), ``N * input positions`` (dw), ``N * output positions``
    (dbias)."""
    x, w, _, _ = operands(x, w, None, groups, transposed=True)
    magnitude = conv_transpose_grad(np.abs(x), np.abs(w), np.abs(np.asarray(dy, float)),
                                    stride=stride, padding=padding,
                                    output_padding=output_padding, dilation=dilation,
                                    groups=groups)
    counts = (w.shape[1] * math.prod(w.shape[2:]), x.shape[0] * math.prod(x.shape[2:]),
              x.shape[0] * math.prod(np.shape(dy)[2:]))
    return Gradients(*(_bound(m, float(n), 0.0, dtype, accumulation, input_rounding)
                       for m, n in zip(magnitude, counts)))
