"""TensorFlow: ``tf.nn.conv1d_transpose`` / ``conv2d_transpose`` / ``conv3d_transpose`` /
``conv_transpose`` with ``output_shape`` and ``padding`` SAME, VALID or explicit pairs.

The op is the gradient of the forward convolution with respect to its input (the docs: "This
operation is sometimes called 'deconvolution' ... is actually the transpose (gradient) of
conv2d"), so ``output_shape`` is the forward convolution's input size ``N`` and the padding is
the forward convolution's. Sources (TF 2.x):

- ``tensorflow/core/framework/kernel_shape_util.cc``, ``GetWindowedOutputSizeVerbose``, with
  ``effective_filter_size = (filter_size - 1) * dilation_rate + 1``:
  VALID ``out = (N - eff + s) / s``, pads 0; SAME ``out = (N + s - 1) / s``, ``padding_needed =
  max(0, (out - 1)*s + eff - N)``, ``padding_before = padding_needed / 2`` (the extra at the
  end); EXPLICIT ``out = (N + before + after - eff + s) / s``; "Computed output size would be
  negative" otherwise (C++ division: truncation).
- ``tensorflow/core/kernels/conv_grad_shape_utils.cc``, ``ConvBackpropExtractAndVerifyDimension``:
  ``output_shape`` must map back to the input size: "Size of out_backprop doesn't match computed".
- filters are ``[*kernel, out_channels, in_channels]``; explicit padding only for
  ``conv2d_transpose`` (``[[0, 0], [top, bottom], [left, right], [0, 0]]``, non-negative:
  ``tensorflow/core/util/padding.cc``, "All elements of explicit_paddings must be nonnegative").

In canonical terms the result is ``full[before : before + N]``: begin is the forward padding
before, end the forward padding after, and ``output_padding = N + before + after - L`` (the
positions the forward convolution's stride never reached, zeros).
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from tconv.oracle.rules.canonical import Axis, Canonical, NotExpressible, RuleViolation

MODES = ("SAME", "VALID", "EXPLICIT")


def _div(a: int, b: int) -> int:
    """C++ integer division, which truncates toward zero (Python's ``//`` floors)."""
    return int(Fraction(a, b))


def forward_padding(axis: Axis, mode: str, size: int,
                    explicit: Sequence[int] = (0, 0)) -> tuple[int, int, int]:
    """The forward convolution of a ``size``-long input: ``(out, before, after)``."""
    eff, s = axis.dilated_kernel, axis.s
    if mode == "VALID":
        out, before, after = _div(size - eff + s, s), 0, 0
    elif mode == "SAME":
        out = _div(size + s - 1, s)
        needed = max(0, (out - 1) * s + eff - size)
        before, after = needed // 2, needed - needed // 2
    elif mode == "EXPLICIT":
        before, after = explicit
        if before < 0 or after < 0:
            raise RuleViolation("All elements of explicit_paddings must be nonnegative")
        out = _div(size + before + after - eff + s, s)
    else:
        raise ValueError(f"padding must be one of {MODES}, got {mode!r}")
    if out < 0:
        raise RuleViolation("Computed output size would be negative")
    return out, before, after


def output_shape(axis: Axis, mode: str, size: int, explicit: Sequence[int] = (0, 0)) -> Canonical:
    """``output_shape`` ``size`` on this axis with ``padding=mode`` (and ``explicit`` pairs)."""
    if size < 0:
        # TensorShape's own check, before any padding arithmetic (TF 2.21: "Dimension -3
        # must be >= 0").
        raise RuleViolation(f"Dimension {size} must be >= 0")
    out, before, after = forward_padding(axis, mode, size, explicit)
    if out != axis.n:
        raise RuleViolation(
            f"Size of out_backprop doesn't match computed: actual = {axis.n}, computed = {out}"
        )
    return Canonical(before, after, size + before + after - axis.full)


def valid_sizes(axis: Axis, mode: str, explicit: Sequence[int] = (0, 0)) -> range:
    """Every ``output_shape`` size that TF accepts for this axis (those that map back to n)."""
    accepted = []
    # the largest size any mode accepts is VALID's full + s - 1 (pads and SAME accept less)
    for size in range(axis.full + axis.s):
        try:
            output_shape(axis, mode, size, explicit)
        except RuleViolation:
            continue
        accepted.append(size)
    return range(accepted[0], accepted[-1] + 1) if accepted else range(0)


def express(axis: Axis, canonical: Canonical, mode: str) -> dict:
    """``output_shape`` (and explicit pads) that give this window with ``padding=mode``."""
    size = canonical.size(axis)
    if mode == "EXPLICIT":
        c = canonical.normalized()
        if c.begin < 0:
            raise NotExpressible("explicit paddings are non-negative: no leading zeros")
        explicit = (c.begin, c.end)
    else:
        explicit = (0, 0)
    try:
        got = output_shape(axis, mode, size, explicit)
    except RuleViolation as error:
        raise NotExpressible(f"output_shape {size} is refused with {mode}: {error}") from None
    if not got.same_window(canonical):
        raise NotExpressible(
            f"{mode} with output_shape {size} gives begin {got.begin}, end {got.end}, "
            f"output_padding {got.output_padding}"
        )
    result = {"padding": mode, "output_shape": size}
    if mode == "EXPLICIT":
        result["explicit"] = explicit
    return result
