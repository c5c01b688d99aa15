"""MindSpore: ``mindspore.nn.Conv{1,2,3}dTranspose`` and ``mindspore.ops.conv3d_transpose``
(the primitive Conv3DTranspose both 3-D entry points run; ``pad_mode`` ``'same'``, ``'valid'``
or ``'pad'`` with ``padding`` per side, ``output_padding`` for 2-D and 3-D).

Sources (mindspore 2.10.0; the docstrings read from the installed package and published at
https://www.mindspore.cn/docs/en/r2.10.0/api_python/nn/mindspore.nn.Conv2dTranspose.html (the
``r2.N.0`` path of the releases, as for r2.4.0 and r2.11.0) and the
Conv1dTranspose / Conv3dTranspose pages beside it; every rule confirmed by a probe on 2.10.0):

- ``mindspore/nn/layer/conv.py``, ``Conv2dTranspose`` docstring: pad_mode 'pad':
  ``H_out = H_in*stride - (padding[0] + padding[1]) + kernel_size + (dilation - 1)*(kernel_size
  - 1) - stride + output_padding``, i.e. ``full - padding[0] - padding[1] + output_padding``,
  with padding "top, bottom, left, right" (``padding[0]`` cropped in front); pad_mode 'same':
  ``H_out = H_in*stride``, the padding "calculated by the operator internally. If the amount is
  even, it is uniformly distributed around the input, if it is odd, the excess amount goes to
  the right/bottom side"; output_padding: "If output_padding is not equal to 0, pad_mode must be
  pad. The value should be in range of [0, max(stride, dilation))"; the weight is
  ``(C_in, C_out/group, *kernel)``, not flipped ("Conv2d for the gradient of the input").
- ``Conv1dTranspose`` docstring: pad_mode 'pad': ``L_out = (L_in - 1)*stride - 2*padding +
  dilation*(kernel_size - 1) + 1`` (one ``padding`` for both ends; no output_padding argument);
  pad_mode 'valid': ``L_out = (L_in - 1)*stride + dilation*(kernel_size - 1) + 1``: the full
  result, as the mode's own words say ("No padding is applied to the input").
- ``mindspore/ops/operations/nn_ops.py``, ``Conv3DTranspose`` (the primitive
  ``nn.Conv3dTranspose`` calls) docstring: ``D_out = (D_in - 1)*stride - 2*pad + dilation*
  (kernel_size - 1) + output_padding + 1``, ``pad`` as "head, tail, top, bottom, left, right",
  output_padding "Add extra size to each dimension of the output"; its ``__init__`` refuses
  output_padding unless pad_mode is 'pad' ("the 'output_padding' must be zero ... when
  'pad_mode' is not \"pad\"") or outside ``[0, max(stride, dilation))``, and a depth dilation
  other than 1 (``_check_3d_int_or_tuple(..., third_one=True)``: "the depth of parameter
  'dilation' must be 1"), which no docstring states.

Where the documentation contradicts itself the rule takes the statement that agrees with the
mode's own description: 'same' is ``n*stride`` (the 2-D docstring; the 1-D docstring's
``(L_in + stride - 1)/stride`` and the 3-D layer docstring's ``floor(D_in/stride + 1)`` are
sizes of the forward convolution), 'valid' the full result (the 1-D docstring; the 2-D
docstring's ``H_in*stride + max((dilation - 1)*(kernel_size - 1) - stride, 0)`` and the 3-D
layer docstring's forward-convolution formulas contradict "No padding is applied"). The code
(``_deconv_output_length`` in ``nn/layer/conv.py``) gives 'valid' ``max(full, n*stride)``:
registered in known_issues.toml where ``n*stride > full``.
"""

from __future__ import annotations

from tconv.oracle.rules.canonical import Axis, Canonical, NotExpressible, RuleViolation, crop

MODES = ("same", "valid", "pad")


def pads(before: int, after: int, output_padding: int = 0) -> Canonical:
    """pad_mode 'pad': ``before`` cropped in front, ``after`` at the end, then
    ``output_padding`` added at the end."""
    return Canonical(before, after, output_padding)


def same(axis: Axis) -> Canonical:
    """pad_mode 'same': ``n*stride`` elements; what the full result has beyond them is cropped,
    the odd element at the end; a full result shorter than ``n*stride`` extended at the end."""
    return crop(axis.full - axis.n * axis.s)


def mode(axis: Axis, spelled: str, output_padding: int = 0) -> Canonical:
    """``'valid'``: the full result; ``'same'``: ``same``; then ``output_padding`` (which
    ``limits`` refuses for both)."""
    if spelled.lower() == "valid":
        return Canonical(0, 0, output_padding)
    window = same(axis)
    return Canonical(window.begin, window.end, window.output_padding + output_padding)


def limits(axis: Axis, before: int, after: int, output_padding: int, spelled: str = "pad",
           depth: bool = False) -> None:
    """MindSpore's documented restrictions on one axis (``depth``: the first axis of a 3-D
    case, whose dilation Conv3DTranspose requires to be 1)."""
    if before < 0 or after < 0:
        raise RuleViolation("padding should be greater than or equal to 0")
    if output_padding and spelled.lower() != "pad":
        raise RuleViolation("when output_padding is not zero, pad_mode must be 'pad'")
    if not 0 <= output_padding < max(axis.s, axis.d):
        raise RuleViolation(f"output_padding must be in range of [0, max(stride, dilation)) "
                            f"({output_padding} >= max({axis.s}, {axis.d}))")
    if depth and axis.d != 1:
        raise RuleViolation(f"For 'Conv3DTranspose', the depth of parameter 'dilation' must be "
                            f"1, but got {axis.d}")


def express(axis: Axis, canonical: Canonical, dims: int = 2) -> dict[str, object]:
    """pad_mode 'pad' ``(before, after)`` and ``output_padding`` giving this window: ``end``
    beyond ``output_padding`` is cropped by ``after``, the rest added by ``output_padding``
    (below ``max(stride, dilation)``; Conv1dTranspose has none, and one padding for both
    ends)."""
    if canonical.begin < 0:
        raise NotExpressible("padding cannot be negative: no leading zeros (begin < 0)")
    if canonical.size(axis) < 1:
        raise NotExpressible("the window has no element")
    net = canonical.end - canonical.output_padding
    after, extension = max(net, 0), max(-net, 0)
    if dims == 1 and extension:
        raise NotExpressible("Conv1dTranspose has no output_padding")
    if dims == 1 and after != canonical.begin:
        raise NotExpressible("Conv1dTranspose takes one padding for both ends")
    if extension >= max(axis.s, axis.d):
        raise NotExpressible(f"output_padding {extension} must be smaller than stride {axis.s} "
                             f"or dilation {axis.d}")
    return {"padding": (canonical.begin, after), "output_padding": extension}
