"""ONNX ``ConvTranspose`` (opset 11 and later, as corrected in ONNX 1.10): ``pads``,
``auto_pad`` NOTSET / VALID / SAME_UPPER / SAME_LOWER, ``output_shape``, ``output_padding``.

Sources (onnx/onnx ``docs/Operators.md``, ConvTranspose; ``onnx/defs/nn/defs.cc``):

- "output_shape[i] = stride[i] * (input_size[i] - 1) + output_padding[i] + ((kernel_shape[i] -
  1) * dilations[i] + 1) - pads[start_i] - pads[end_i]": pads crop, output_padding extends at
  "the side with higher coordinate indices".
- "If the pads parameter is provided the shape of the output is calculated via the following
  equation: ... output_shape can also be explicitly specified in which case pads values are
  auto generated using these equations: total_padding[i] = stride[i] * (input_size[i] - 1) +
  output_padding[i] + ((kernel_shape[i] - 1) * dilations[i] + 1) - output_shape[i]; If
  (auto_pads == SAME_UPPER): pads[start_i] = total_padding[i]/2; pads[end_i] = total_padding[i]
  - (total_padding[i]/2) Else: pads[start_i] = total_padding[i] - (total_padding[i]/2);
  pads[end_i] = (total_padding[i]/2)." (The ``==`` replaced ``!=`` in onnx/onnx#3440, shipped
  in ONNX 1.10; onnx/onnx#1609 reported the contradiction with the attribute's text.)
- auto_pad: "SAME_UPPER or SAME_LOWER mean pad the input so that output_shape[i] =
  input_shape[i] * strides[i] ... In case the padding is an odd number, the extra padding is
  added at the end for SAME_UPPER and at the beginning for SAME_LOWER." VALID: "no padding"
  (opset 1's words; later text does not define it).
- output_padding "must be less than the corresponding stride/dilation dimension".
- W is ``(C, M/group, *kernel)``; the scatter form, not flipped.

Two readings had to be chosen, where the spec is ambiguous:

- a negative ``total_padding`` (the output longer than the uncropped result: SAME when
  ``(k-1)*d + 1 + output_padding < stride``, or a large ``output_shape``): the spec's split would
  give a negative pad, but "pads ... can take any value greater than or equal to 0", and the
  elements past the computed ones are "added to the side with higher coordinate indices" (the
  output_padding wording). We read it as no crop and zeros appended at the end: ``(0, 0,
  output_size - L)``. (A first reading split the negative total like a positive one, which put a
  zero in front for SAME_LOWER and output_shape; both onnxruntime 1.32 and the reference
  evaluator append at the end, and the spec's own pads >= 0 rules the leading zero out.)
- "stride/dilation" in the output_padding limit: read as ``output_padding < max(stride,
  dilation)``, as onnxruntime's source reads it ("output_padding[i] should be less than
  max(stride[i], dilation[i])"); onnx/onnx#3187 asked and was closed unanswered.
"""

from __future__ import annotations

from tconv.oracle.rules.canonical import Axis, Canonical, NotExpressible, RuleViolation, crop

AUTO_PADS = ("NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER")


def _split(auto_pad: str, total: int, output_padding: int) -> Canonical:
    """Crop ``total``: SAME_UPPER puts the odd one at the end, the others at the beginning; a
    negative total appends ``-total`` zeros at the end instead."""
    return crop(total, auto_pad == "SAME_UPPER", output_padding)


def conv_transpose(
    axis: Axis,
    auto_pad: str = "NOTSET",
    pads: tuple[int, int] = (0, 0),
    output_padding: int = 0,
    output_shape: int | None = None,
) -> Canonical:
    """The canonical window of one axis for these ConvTranspose attributes."""
    if auto_pad not in AUTO_PADS:
        raise RuleViolation(f"auto_pad must be one of {AUTO_PADS}, got {auto_pad!r}")
    if output_shape is not None:
        total = axis.full + output_padding - output_shape
        return _split(auto_pad, total, output_padding)
    if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        return _split(auto_pad, axis.full + output_padding - axis.n * axis.s, output_padding)
    if auto_pad == "VALID":
        return Canonical(0, 0, output_padding)
    return Canonical(pads[0], pads[1], output_padding)


def limits(axis: Axis, auto_pad: str, pads: tuple[int, int], output_padding: int) -> None:
    """The spec's restrictions on one axis."""
    if min(pads) < 0:
        raise RuleViolation("pads must not contain negative values")
    if auto_pad != "NOTSET" and pads != (0, 0):
        raise RuleViolation("The pads attribute cannot be used simultaneously with auto_pad")
    if output_padding < 0 or output_padding >= max(axis.s, axis.d):
        raise RuleViolation("output_padding must be less than the stride/dilation")


def express(axis: Axis, canonical: Canonical) -> dict:
    """``pads`` and ``output_padding`` (auto_pad NOTSET) giving this window."""
    c = canonical
    if c.begin < 0:
        raise NotExpressible("pads are non-negative: no leading zeros (begin < 0)")
    c = c.zeros_as_output_padding()
    # Keep output_padding within the limit by letting it select cropped values first.
    if c.output_padding >= max(axis.s, axis.d):
        c = c.normalized()
    if c.output_padding >= max(axis.s, axis.d):
        raise NotExpressible(
            f"{c.output_padding} zeros past the end need output_padding >= max(stride, "
            "dilation)"
        )
    return {"auto_pad": "NOTSET", "pads": (c.begin, c.end), "output_padding": c.output_padding}
