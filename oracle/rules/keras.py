"""Keras 3: ``keras.ops.conv_transpose(inputs, kernel, strides, padding, output_padding,
data_format, dilation_rate)`` and ``keras.layers.ConvNDTranspose``.

Keras defines the result by its output length and by the padding it hands its JAX backend;
the TensorFlow backend passes that length as TF's ``output_shape``, and the torch backend
(from Keras 3.15) crops torch's uncropped result to the same window. Sources (Keras 3.15.1,
keras-team/keras@0376b052, ``keras/src/backend/common/backend_utils.py``):

- ``compute_conv_transpose_output_shape``: with ``kernel_size = (kernel_size - 1) *
  dilation_rate + 1``: valid ``(n - 1)*s + kernel_size + output_padding``, output_padding
  defaulting to ``max(kernel_size, s) - kernel_size``; same ``n*s`` when output_padding is None,
  else ``(n - 1)*s + kernel_size % 2 + output_padding``.
- ``_convert_conv_transpose_padding_args_from_keras_to_jax``: valid ``left_pad = kernel_size - 1``,
  ``right_pad = kernel_size - 1 + output_padding``; same ``pad_len = s + kernel_size - 2`` (None)
  or ``kernel_size + kernel_size % 2 - 2 + output_padding``, ``left_pad = min(pad_len // 2 +
  pad_len % 2, kernel_size - 1)``, ``right_pad = pad_len - left_pad``; these pad the
  stride-dilated input of a correlation with the flipped kernel, so ``begin = kernel_size - 1 -
  left_pad`` and ``end - output_padding = kernel_size - 1 - right_pad`` (Keras' own
  ``compute_conv_transpose_output_crops_for_torch``).
- kernel ``(*kernel, out_channels, in_channels)``, not flipped (the JAX backend passes
  ``transpose_kernel=True``).
- layers (``base_conv_transpose.py``): padding "valid" or "same"; "`output_padding` must be
  strictly less than `strides`"; "`strides > 1` not supported in conjunction with
  `dilation_rate > 1`"; no ``groups``.

The documentation's words ('"same" results in padding evenly ... such that output has the same
height/width dimension as the input when strides=1') leave open which side takes an odd crop; the
backend translation above puts it at the end.
"""

from __future__ import annotations

from tconv.oracle.rules.canonical import Axis, Canonical, NotExpressible, RuleViolation, crop

PADDINGS = ("valid", "same")


def padding(axis: Axis, padding: str, output_padding: int | None = None) -> Canonical:
    """``padding`` "valid" or "same" with ``output_padding`` (None: inferred)."""
    eff, s = axis.dilated_kernel, axis.s
    if padding == "valid":
        if output_padding is None:
            return Canonical(0, 0, max(eff, s) - eff)
        return Canonical(0, 0, output_padding).normalized()
    if padding == "same":
        if output_padding is None:
            return crop(eff - s)
        return crop(eff - eff % 2 - output_padding)
    raise RuleViolation(f"The `padding` argument must be one of 'valid', 'same', got {padding!r}")


def output_length(axis: Axis, padding_: str, output_padding: int | None = None) -> int:
    """``compute_conv_transpose_output_shape`` for one axis."""
    eff, s, n = axis.dilated_kernel, axis.s, axis.n
    if padding_ == "valid":
        op = max(eff, s) - eff if output_padding is None else output_padding
        return (n - 1) * s + eff + op
    if output_padding is None:
        return n * s
    return (n - 1) * s + eff % 2 + output_padding


OP_RULE = ("The amount of output padding along a given dimension must be lower than the stride "
           "along that same dimension")


def op_limits(axis: Axis, output_padding: int | None) -> None:
    """``keras.ops.conv_transpose``'s documented rule (its docstring, ``keras/src/ops/nn.py``);
    the op itself does not enforce it."""
    if output_padding is not None and output_padding >= axis.s:
        raise RuleViolation(OP_RULE)


def layer_limits(axis: Axis, padding_: str, output_padding: int | None) -> None:
    """The restrictions ``keras.layers.ConvNDTranspose`` adds to ``keras.ops.conv_transpose``."""
    if padding_ not in PADDINGS:
        raise RuleViolation(f"padding must be one of {PADDINGS}, got {padding_!r}")
    if output_padding is not None and output_padding < 0:
        raise RuleViolation("output_padding must satisfy `value >= 0`")
    if output_padding is not None and output_padding >= axis.s:
        raise RuleViolation("`output_padding` must be strictly less than `strides`")
    if axis.s > 1 and axis.d > 1:
        raise RuleViolation("`strides > 1` not supported in conjunction with `dilation_rate > 1`")


def layer_case_limits(axes: list[Axis]) -> None:
    """The layers' limit over all axes at once: ``base_conv_transpose.py`` raises when
    ``max(self.strides) > 1 and max(self.dilation_rate) > 1``, on whichever axes they are (its
    docstring: "`strides > 1` is incompatible with `dilation_rate > 1`"). ``layer_limits``
    alone reads it per axis, which misses a stride on one axis with a dilation on another."""
    if max(a.s for a in axes) > 1 and max(a.d for a in axes) > 1:
        raise RuleViolation("`strides > 1` not supported in conjunction with `dilation_rate > 1`")


def express(axis: Axis, canonical: Canonical, layer: bool = False) -> dict:
    """``padding`` and ``output_padding`` giving this window (through a layer if ``layer``)."""
    eff = axis.dilated_kernel
    size = canonical.size(axis)
    candidates: list[tuple[str, int | None]] = [("valid", None), ("same", None)]
    # valid: output_padding = size - (n-1)s - eff; same: size - (n-1)s - eff % 2.
    base = (axis.n - 1) * axis.s
    candidates += [("valid", size - base - eff), ("same", size - base - eff % 2)]
    reasons = []
    for mode, op in candidates:
        if layer:
            try:
                layer_limits(axis, mode, op)
            except RuleViolation as error:
                reasons.append(f"{mode}/{op}: {error}")
                continue
        if padding(axis, mode, op).same_window(canonical):
            return {"padding": mode, "output_padding": op}
    raise NotExpressible(
        "Keras crops only a fixed split (valid: none; same: half, the odd one at the end) of "
        f"a total set by the output length {size}" + (f" ({'; '.join(reasons)})" if reasons else "")
    )
