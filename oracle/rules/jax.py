"""JAX: ``jax.lax.conv_transpose`` (padding SAME / VALID / pairs, ``transpose_kernel``,
``use_consistent_padding`` from jax 0.9.0) and ``jax.lax.conv_general_dilated`` with
``lhs_dilation``.

Sources (jax 0.10.2, ``jax/_src/lax/convolution.py``; jax-ml/jax@0109f17e):

- ``conv_transpose`` calls ``conv_general_dilated(lhs, rhs, window_strides=1, padding=pads,
  lhs_dilation=strides, rhs_dilation=rhs_dilation, ...)``: a correlation (no window reversal) of
  the zero-stuffed input, padded by ``pads`` after the stuffing (StableHLO spec, ``pad``:
  "Interior padding occurs before edge padding such that negative edge padding will remove
  elements"; XLA: "The amount of padding can be negative").
- ``_conv_transpose_padding(k, s, padding)`` with ``k`` the dilated kernel size
  (``core.dilate_dim``): SAME ``pad_len = k + s - 2``, ``pad_a = k - 1 if s > k - 1 else
  ceil(pad_len / 2)``; VALID ``pad_len = k + s - 2 + max(k - s, 0)``, ``pad_a = k - 1``;
  ``pad_b = pad_len - pad_a``. With ``use_consistent_padding=True`` (PR jax-ml/jax#32268, fixing
  jax-ml/jax#32267) a pair ``(p0, p1)`` becomes ``(k - 1 - p0, k - 1 - p1)``, "the padding of
  the corresponding forward conv ... This is the behavior in PyTorch"; without it (the default,
  and the only behaviour before 0.9.0) pairs go straight to the convolution (jax-ml/jax#17618).
- ``transpose_kernel=True`` "flips spatial axes and swaps the input/output channel axes of the
  kernel"; the docstring: "By default, JAX does NOT reverse the kernel's spatial dimensions".

In canonical terms: input element ``i`` sits at ``lo + i*s`` of the padded, stuffed input and
output ``o`` reads ``padded[o + j*d] * w[j]``, so ``x[i] * w[j]`` lands at ``o = (i*s + (k-1-j)*d)
- (d*(k-1) - lo)``: the scatter with the **flipped** kernel, ``begin = d*(k-1) - lo``, ``end =
d*(k-1) - hi``. ``transpose_kernel=True`` flips it back: the scatter with the kernel as given.
"""

from __future__ import annotations

from tconv.oracle.rules.canonical import Axis, Canonical, NotExpressible, RuleViolation

MODES = ("SAME", "VALID")


def kernel_flipped(transpose_kernel: bool) -> bool:
    """Whether the kernel as passed is flipped relative to the scatter form."""
    return not transpose_kernel


def transpose_padding(axis: Axis, mode: str) -> tuple[int, int]:
    """``_conv_transpose_padding`` for a padding string: the pads of the stuffed input."""
    k, s = axis.dilated_kernel, axis.s
    if mode == "SAME":
        pad_len = k + s - 2
        pad_a = k - 1 if s > k - 1 else -(-pad_len // 2)
    elif mode == "VALID":
        pad_len = k + s - 2 + max(k - s, 0)
        pad_a = k - 1
    else:
        raise RuleViolation(f"Invalid padding mode: {mode!r} (only 'SAME' and 'VALID')")
    return pad_a, pad_len - pad_a


def conv_general_dilated(axis: Axis, lo: int, hi: int) -> Canonical:
    """``conv_general_dilated(window_strides=1, padding=(lo, hi), lhs_dilation=s,
    rhs_dilation=d)`` of the kernel flipped: the canonical window."""
    if (axis.n - 1) * axis.s + 1 + lo + hi < 0:
        raise RuleViolation(
            "Negative padding is larger than the size of the corresponding dimension"
        )
    k1 = axis.dilated_kernel - 1
    return Canonical(k1 - lo, k1 - hi).normalized()


def conv_transpose(axis: Axis, padding: str | tuple[int, int],
                   use_consistent_padding: bool = False) -> Canonical:
    """``lax.conv_transpose`` with ``padding`` a string or one ``(lo, hi)`` pair."""
    if isinstance(padding, str):
        return conv_general_dilated(axis, *transpose_padding(axis, padding))
    if use_consistent_padding:
        k1 = axis.dilated_kernel - 1
        return conv_general_dilated(axis, k1 - padding[0], k1 - padding[1])
    return conv_general_dilated(axis, *padding)


def express(axis: Axis, canonical: Canonical, use_consistent_padding: bool = False) -> dict:
    """The padding pair giving this window (pairs reach every window with a non-negative
    length, negative pads included); the strings are preferred where they give it."""
    for mode in MODES:
        if conv_transpose(axis, mode).same_window(canonical):
            return {"padding": mode}
    k1 = axis.dilated_kernel - 1
    lo, hi = k1 - canonical.begin, k1 - canonical.end + canonical.output_padding
    try:
        conv_general_dilated(axis, lo, hi)
    except RuleViolation as error:
        raise NotExpressible(str(error)) from None
    if use_consistent_padding:
        return {"padding": (canonical.begin, canonical.end - canonical.output_padding)}
    return {"padding": (lo, hi)}
