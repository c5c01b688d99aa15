"""PyTorch: ``F.conv_transposeNd`` / ``nn.ConvTransposeNd`` (``padding``, ``output_padding``,
and ``forward(x, output_size=...)``).

Sources (torch 2.x; read at pytorch/pytorch@ddbcf1cd, confirmed for 2.13.0):

- ``torch/nn/modules/conv.py``, ConvTranspose1d docstring: ``L_out = (L_in - 1) * stride -
  2 * padding + dilation * (kernel_size - 1) + output_padding + 1``, and "``dilation *
  (kernel_size - 1) - padding`` zero-padding will be added to both sides of the input";
  ``output_padding`` "is only used to find output shape" (selects values on the high side).
- the weight is ``(in_channels, out_channels/groups, *kernel)`` and the module "can be seen as
  the gradient of Conv2d with respect to its input": the scatter form, not flipped.
- ``aten/src/ATen/native/NaiveConvolutionTranspose2d.cpp``, ``slow_conv_transpose2d_shape_check``:
  "output padding must be smaller than either stride or dilation" (``op < s || op < d``).
- ``_ConvTransposeNd._output_padding``: ``min_size = (in - 1)*stride - 2*padding +
  dilation*(kernel_size - 1) + 1``, ``max_size = min_size + stride - 1`` (no dilation term),
  "requested an output size of ..., but valid sizes range from ... to ..."; the module's own
  ``output_padding`` is ignored when ``output_size`` is given.
- ``padding='same'`` is not accepted by the transposed modules (pytorch/pytorch#95123).
"""

from __future__ import annotations

from tconv.oracle.rules.canonical import Axis, Canonical, NotExpressible, RuleViolation


def padding(padding: int, output_padding: int = 0) -> Canonical:
    """``padding=p, output_padding=q``: crop ``p`` at both ends, then extend ``q`` at the end."""
    return Canonical(padding, padding, output_padding)


def output_size(axis: Axis, padding: int, size: int) -> Canonical:
    """``forward(x, output_size=size)``: output_padding = size - min_size, within one stride."""
    min_size = axis.full - 2 * padding
    max_size = min_size + axis.s - 1
    if not min_size <= size <= max_size:
        raise RuleViolation(
            f"requested an output size of {size}, but valid sizes range from {min_size} to "
            f"{max_size}"
        )
    return Canonical(padding, padding, size - min_size)


def limits(axis: Axis, padding: int, output_padding: int) -> None:
    """PyTorch's documented restrictions on one axis."""
    if padding < 0:
        raise RuleViolation("negative padding is not supported")
    if output_padding < 0:
        raise RuleViolation("negative output_padding is not supported")
    if not (output_padding < axis.s or output_padding < axis.d):
        raise RuleViolation("output padding must be smaller than either stride or dilation")
    if axis.full - 2 * padding + output_padding < 1:
        raise RuleViolation("output size is too small")


def express(axis: Axis, canonical: Canonical) -> dict[str, int]:
    """``padding`` and ``output_padding`` giving this window: ``padding = begin`` crops both
    ends alike, and ``output_padding`` gives back what ``end`` should not have cropped."""
    p = canonical.begin
    q = canonical.begin - canonical.end + canonical.output_padding
    if p < 0:
        raise NotExpressible("padding cannot be negative: no leading zeros (begin < 0)")
    if q < 0:
        raise NotExpressible(
            "padding crops both ends alike and output_padding only extends: end cannot crop "
            "more than begin"
        )
    if q >= max(axis.s, axis.d):
        raise NotExpressible(
            f"output_padding {q} must be smaller than stride {axis.s} or dilation {axis.d}"
        )
    if axis.full - 2 * p + q < 1:
        raise NotExpressible("PyTorch refuses an empty output")
    return {"padding": p, "output_padding": q}
