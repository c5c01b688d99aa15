"""PaddlePaddle: ``paddle.nn.functional.conv{1,2,3}d_transpose`` and
``paddle.nn.Conv{1,2,3}DTranspose`` (``padding`` as an int, a per-axis list, a ``2*dims`` list
of ``(before, after)`` per axis, the nested form with the batch and channel pairs, or
``'SAME'`` / ``'VALID'``; ``output_padding``; ``output_size``).

Sources (paddlepaddle 3.3.1; the Python read from the installed package, the C++ from
PaddlePaddle/Paddle at the commits named, every rule confirmed by a probe on 3.3.1):

- ``paddle/nn/functional/conv.py``, ``conv2d_transpose`` docstring: ``H'_out = (H_in - 1) *
  strides[0] - 2 * paddings[0] + dilations[0] * (H_f - 1) + 1``; "If output_size is None,
  H_out = H'_out ... else, the H_out of the output size must between H'_out and H'_out +
  strides[0]"; the weight is ``[C, M/g, kH, kW]``; "The conv2d_transpose can be seen as the
  backward of the conv2d" (the scatter form, not flipped; a probe agrees).
- ``paddle/nn/layer/conv.py``, ``Conv2DTranspose`` docstring: the same ``H'_out``, with
  ``H_out in [H'_out, H'_out + strides[0])`` "(excluding H'_out + strides[0])": the functional
  docstring's closed interval is the wrong one (the C++ check below is strict); padding "a list
  ... [pad_before, pad_after, pad_before, pad_after, ...]" crops ``pad_before`` in front and
  ``pad_after`` at the end; "output_padding: Additional size added to one side of each
  dimension in the output shape".
- ``paddle/nn/functional/conv.py``, ``_update_padding_nd``: 'SAME' and 'VALID' (any case) set
  ``padding_algorithm``; a padding below 0 is refused ("Invalid padding, all value should be
  larger than or equal to 0"); ``conv*_transpose``: "output_padding option is mutually exclusive
  with output_size"; ``conv1d_transpose`` alone: "The size of output_padding should not be
  greater than stride".
- ``paddle/phi/kernels/cpu/conv_util.h`` (Paddle@1b9f5b81), ``UpdatePaddingAndDilation``, which
  ``ConvTransposeInferMeta`` applies to the transposed convolution's own input: for SAME,
  ``out = ceil(n / s)``, ``pad_sum = max((out - 1)*s + k - n, 0)``, ``pad_0 = pad_sum / 2``,
  ``pad_1 = pad_sum - pad_0`` (the odd element cropped at the end), and the dilation is set to 1:
  SAME computes with the undilated kernel whatever ``dilation`` says (no documentation says
  so; a probe on 3.3.1 gives the dilation-1 result: registered in known_issues.toml). VALID:
  no padding.
- ``paddle/phi/infermeta/binary.cc`` (Paddle@b6cc6c5d), ``ConvTransposeInferMeta``:
  ``infer_shape = (n - 1)*s - pad_0 - pad_1 + d*(k - 1) + 1``; with ``output_size``: "should
  not be less than the inferred output size" and "should be less than inferred size + stride"
  (the extra elements at the end); with ``output_padding``: ``0 <= output_padding <
  max(stride, dilation)`` ("should be less than either stride or dilation", the SAME-reset
  dilation counting), the output ``infer_shape + output_padding``.
"""

from __future__ import annotations

from tconv.oracle.rules.canonical import Axis, Canonical, NotExpressible, RuleViolation

MODES = ("VALID", "SAME")


def pads(before: int, after: int, output_padding: int = 0) -> Canonical:
    """Explicit ``(before, after)`` padding: cropped from each end, then ``output_padding``
    extended at the end."""
    return Canonical(before, after, output_padding)


def same_padding(axis: Axis) -> tuple[int, int]:
    """``UpdatePaddingAndDilation`` for SAME: the forward convolution's padding on the
    transposed convolution's input, with the undilated kernel."""
    out = -(-axis.n // axis.s)
    total = max((out - 1) * axis.s + axis.k - axis.n, 0)
    return total // 2, total - total // 2


def mode(axis: Axis, spelled: str, output_padding: int = 0) -> Canonical:
    """``'VALID'``: no crop; ``'SAME'``: ``same_padding`` cropped (the dilation reset to 1 is
    not a window: the check against the case's dilation shows it), then ``output_padding``."""
    if spelled.upper() == "VALID":
        return Canonical(0, 0, output_padding)
    before, after = same_padding(axis)
    return Canonical(before, after, output_padding)


def effective_dilation(axis: Axis, spelled: str | None) -> int:
    """The dilation ``ConvTransposeInferMeta`` checks against: 1 under SAME."""
    return 1 if spelled is not None and spelled.upper() == "SAME" else axis.d


def inferred(axis: Axis, before: int, after: int, spelled: str | None = None) -> int:
    """``infer_shape``: the output size without ``output_size`` or ``output_padding``."""
    d = effective_dilation(axis, spelled)
    return (axis.n - 1) * axis.s - before - after + d * (axis.k - 1) + 1


def output_size(axis: Axis, before: int, after: int, size: int,
                spelled: str | None = None) -> Canonical:
    """``output_size=size``: ``inferred <= size < inferred + stride``, the extra at the end."""
    infer = inferred(axis, before, after, spelled)
    if size < infer:
        raise RuleViolation(f"output_size of Op(ConvTransposeOp) should not be less than the "
                            f"inferred output size ({size} < {infer})")
    if size >= infer + axis.s:
        raise RuleViolation(f"output_size of Op(ConvTransposeOp) should be less than inferred "
                            f"size + stride ({size} >= {infer} + {axis.s})")
    return Canonical(before, after, size - infer)


def limits(axis: Axis, before: int, after: int, output_padding: int, dims: int,
           spelled: str | None = None) -> None:
    """Paddle's documented restrictions on one axis (``dims``: conv1d_transpose has one more)."""
    if before < 0 or after < 0:
        raise RuleViolation("Invalid padding, all value should be larger than or equal to 0")
    if output_padding < 0:
        raise RuleViolation("output_padding of Op(ConvTransposeOp) should not be less than "
                            "the 0")
    if dims == 1 and output_padding > axis.s:
        raise RuleViolation("The size of output_padding should not be greater than stride")
    d = effective_dilation(axis, spelled)
    if output_padding >= max(axis.s, d):
        raise RuleViolation("output_padding of Op(ConvTransposeOp) should be less than either "
                            f"stride or dilation ({output_padding} >= max({axis.s}, {d}))")


def express(axis: Axis, canonical: Canonical) -> dict[str, object]:
    """``(before, after)`` padding and ``output_padding`` giving this window: ``end`` beyond
    ``output_padding`` is cropped by ``after``, the rest extended by ``output_padding``, which
    stays below ``max(stride, dilation)``."""
    if canonical.begin < 0:
        raise NotExpressible("padding cannot be negative: no leading zeros (begin < 0)")
    net = canonical.end - canonical.output_padding
    after, extension = max(net, 0), max(-net, 0)
    if extension >= max(axis.s, axis.d):
        raise NotExpressible(f"output_padding {extension} must be smaller than stride {axis.s} "
                             f"or dilation {axis.d}")
    if canonical.size(axis) < 1:
        raise NotExpressible("the window has no element")
    return {"padding": (canonical.begin, after), "output_padding": extension}
