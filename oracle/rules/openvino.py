"""OpenVINO ``ConvolutionBackpropData-1`` and ``GroupConvolutionBackpropData-1`` (the opset16
Python API's ``convolution_backprop_data`` / ``group_convolution_backprop_data``): ``pads_begin``,
``pads_end``, ``output_padding``, ``auto_pad`` explicit / same_upper / same_lower / valid, and
the optional third input ``output_shape``.

Source: OpenVINO's operation specification, ConvolutionBackpropData-1 (openvinotoolkit/openvino
``docs/articles_en/documentation/openvino-ir-format/operation-sets/operation-specs/convolution/
convolution-backprop-data-1.rst``; GroupConvolutionBackpropData-1 states the same attributes and
formulas), read for openvino 2026.4.1:

- without ``output_shape``: "if auto_pads != None: pads_begin[i] = 0; pads_end[i] = 0" and
  "Y_i = stride[i] * (X_i - 1) + ((K_i - 1) * dilations[i] + 1) - pads_begin[i] - pads_end[i] +
  output_padding[i]": explicit pads crop from each end, ``output_padding`` "elements are added at
  the higher coordinate indices"; same_upper, same_lower and valid all crop nothing.
- with ``output_shape``: "pads_begin and pads_end are ignored, and auto_pad defines how to
  distribute padding amount": ``total_padding[i] = stride[i] * (X_i - 1) + ((K_i - 1) *
  dilations[i] + 1) - output_shape[i] + output_padding[i]``; "if auto_pads != SAME_UPPER:
  pads_begin[i] = total_padding[i] // 2; pads_end[i] = total_padding[i] - pads_begin[i] else:
  pads_end[i] = total_padding[i] // 2; pads_begin[i] = total_padding[i] - pads_end[i]". So the odd
  element of the crop goes to the *beginning* for same_upper and to the end for every other
  auto_pad (explicit and valid included).
- ``pads_begin``, ``pads_end``, ``output_padding``: "non-negative integers"; the spec states no
  upper limit for ``output_padding`` (no ``< stride`` rule, unlike ONNX or PyTorch).
- weights: ``[C_INPUT, C_OUTPUT, Z, Y, X]`` (GroupConvolutionBackpropData: ``[GROUPS, C_IN,
  C_OUT, ...]``, per group), not flipped.

One reading had to be chosen, where the spec is ambiguous:

- the same_upper / same_lower split: the attribute's own text says "same_upper ... In case of odd
  padding value an extra padding is added at the end" (same_lower: "at the beginning"), the
  formula above says the opposite for the output's crop. We take the formula (the only statement
  of the output_shape case; OpenVINO's shape inference, ``convolution_backprop_shape_inference_
  util.hpp`` ``apply_auto_pad``, swaps begin and end for SAME_UPPER the same way). It is the old
  ONNX ConvTranspose formula that onnx/onnx#3440 (ONNX 1.10) reversed.
- a negative ``total_padding`` (``output_shape`` longer than the uncropped result): pads are
  "non-negative", so no crop and the missing elements appended as zeros at the end, where
  output_padding's elements go (shape inference clamps the total at 0 likewise).
"""

from __future__ import annotations

from tconv.oracle.rules.canonical import Axis, Canonical, NotExpressible, RuleViolation, crop

AUTO_PADS = ("explicit", "same_upper", "same_lower", "valid")


def backprop_data(axis: Axis, auto_pad: str = "explicit", pads: tuple[int, int] = (0, 0),
                  output_padding: int = 0, output_shape: int | None = None) -> Canonical:
    """The canonical window of one axis for these attributes (and ``output_shape``)."""
    if auto_pad not in AUTO_PADS:
        raise RuleViolation(f"auto_pad must be one of {AUTO_PADS}, got {auto_pad!r}")
    if output_shape is None:
        begin, end = pads if auto_pad == "explicit" else (0, 0)
        return Canonical(begin, end, output_padding)
    return crop(axis.full + output_padding - output_shape, auto_pad != "same_upper",
                output_padding)


def limits(pads: tuple[int, int], output_padding: int) -> None:
    """The spec's restrictions on one axis."""
    if min(pads) < 0:
        raise RuleViolation("pads_begin and pads_end are non-negative integers")
    if output_padding < 0:
        raise RuleViolation("output_padding is a non-negative integer")


def express(axis: Axis, canonical: Canonical) -> dict:
    """``pads_begin``/``pads_end`` and ``output_padding`` (auto_pad explicit) giving this
    window: any window with no zeros in front and at least one element."""
    if canonical.size(axis) < 1:
        raise NotExpressible("the window has no element")
    if canonical.begin < 0:
        raise NotExpressible("pads are non-negative: no zeros before the result (begin < 0)")
    c = canonical.zeros_as_output_padding()
    return {"auto_pad": "explicit", "pads": (c.begin, c.end), "output_padding": c.output_padding}
