"""Argument checking shared by the oracle's public functions.

Every public function of the oracle takes its geometry in the same words (stride, padding,
output_padding, dilation, groups); this module turns those arguments into one tuple per spatial
dimension and raises ``ValueError`` naming the argument when one is malformed. It imposes only
what the mathematics needs: framework limits (PyTorch's ``output_padding < stride``, say) are
rules of those frameworks, described in ``oracle.rules``, not rules of the operation.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np

IntOrTuple = int | Sequence[int]
Padding = int | Sequence[int] | Sequence[tuple[int, int]]


def _as_int(value: object, name: str) -> int:
    # bool is an int subclass in Python, but True as a stride is a bug, not a request.
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    return int(value)


def per_dim(value: IntOrTuple, ndim: int, name: str, minimum: int) -> tuple[int, ...]:
    """One integer per spatial dimension, each at least ``minimum``."""
    if isinstance(value, Sequence) and not isinstance(value, str):
        if len(value) != ndim:
            raise ValueError(f"{name} needs {ndim} values (one per spatial dim), got {len(value)}")
        values = tuple(_as_int(v, name) for v in value)
    else:
        values = (_as_int(value, name),) * ndim
    for v in values:
        if v < minimum:
            raise ValueError(f"{name} must be >= {minimum}, got {v}")
    return values


def padding_pairs(padding: Padding, ndim: int) -> tuple[tuple[int, int], ...]:
    """``(begin, end)`` per spatial dimension from an int, one int per dim, or one pair per dim.

    Negative values are allowed: a negative ``begin`` or ``end`` widens the window past the
    computed values, which then reads zeros (see ``conv_transpose``).
    """
    if isinstance(padding, Sequence) and not isinstance(padding, str):
        if len(padding) != ndim:
            raise ValueError(
                f"padding needs {ndim} entries (one per spatial dim), got {len(padding)}"
            )
        pairs = []
        for entry in padding:
            if isinstance(entry, Sequence) and not isinstance(entry, str):
                if len(entry) != 2:
                    raise ValueError(f"padding pairs are (begin, end), got {entry!r}")
                pairs.append((_as_int(entry[0], "padding"), _as_int(entry[1], "padding")))
            else:
                p = _as_int(entry, "padding")
                pairs.append((p, p))
        return tuple(pairs)
    p = _as_int(padding, "padding")
    return ((p, p),) * ndim


# bool, signed and unsigned integers, floats: the dtype kinds whose values float64 holds
# (exactly up to 2**53 for the integers).
_REAL_KINDS = ("b", "i", "u", "f")


def as_float64(array: object, name: str) -> np.ndarray:
    """The values given, exactly, in float64 (float16 and bfloat16 values convert exactly).

    A contiguous float64 array is returned as it is, not copied: the oracle only reads its
    operands, and copying large weights cost as much as the tap additions.
    """
    a = np.asarray(array)
    if a.dtype == np.float64 and (a.flags.c_contiguous or a.flags.f_contiguous):
        return a
    if a.dtype.kind == "c":
        raise ValueError(f"{name} must be real, got dtype {a.dtype}")
    if a.dtype.kind not in _REAL_KINDS and a.dtype.name != "bfloat16":
        raise ValueError(f"{name} must be numeric, got dtype {a.dtype}")
    return np.array(a, np.float64)


def operands(
    x: object, w: object, bias: object, groups: int, *, transposed: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, int]:
    """Check ``x (N, C_in, *spatial)``, the weight and the bias against each other.

    The weight is ``(C_in, C_out/groups, *kernel)`` for the transposed convolution and
    ``(C_out, C_in/groups, *kernel)`` for the forward one. Returns the float64 arrays and
    ``C_out``.
    """
    x = as_float64(x, "x")
    w = as_float64(w, "w")
    if x.ndim not in (3, 4, 5):
        raise ValueError(
            f"x must be (N, C, *spatial) with 1 to 3 spatial dims, got shape {x.shape}"
        )
    if w.ndim != x.ndim:
        raise ValueError(f"w must have {x.ndim} dims to match x, got shape {w.shape}")
    groups = _as_int(groups, "groups")
    if groups < 1:
        raise ValueError(f"groups must be >= 1, got {groups}")
    in_channels = x.shape[1]
    if in_channels % groups:
        raise ValueError(f"groups={groups} must divide the {in_channels} channels of x")
    if transposed:
        if w.shape[0] != in_channels:
            raise ValueError(
                f"w.shape[0] must equal the {in_channels} channels of x, got {w.shape[0]}"
            )
        out_channels = w.shape[1] * groups
    else:
        if w.shape[1] * groups != in_channels:
            raise ValueError(
                f"w.shape[1] * groups must equal the {in_channels} channels of x, "
                f"got {w.shape[1]} * {groups}"
            )
        out_channels = w.shape[0]
        if out_channels % groups:
            raise ValueError(
                f"groups={groups} must divide the {out_channels} output channels (w.shape[0])"
            )
    if min(x.shape[2:]) < 1:
        raise ValueError(
            f"x must have at least one element per spatial dim, got shape {x.shape}"
        )
    if min(w.shape[2:]) < 1:
        raise ValueError(f"w must have at least one tap per spatial dim, got shape {w.shape}")
    if bias is not None:
        bias = as_float64(bias, "bias")
        if bias.shape != (out_channels,):
            raise ValueError(f"bias must have shape ({out_channels},), got {bias.shape}")
    return x, w, bias, out_channels
