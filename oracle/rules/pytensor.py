"""PyTensor: ``pytensor.tensor.signal.convolve1d`` and ``convolve2d`` (``mode`` ``'full'``,
``'valid'`` or ``'same'``): the stride-1, dilation-1 transposed convolution of one signal with
one kernel, not flipped (a convolution is the scatter form of ``semantics.md`` §1 at stride 1).

PyTensor 3.0.7 has no strided, dilated or multi-channel transposed convolution: the module
``pytensor.tensor.conv`` (``abstract_conv.py``, ``conv2d_grad_wrt_inputs``, inherited from
Theano) is not in the installed package (``import pytensor.tensor.conv`` raises
``ModuleNotFoundError``); ``pytensor.tensor.signal`` is all that convolves.

Source (pytensor 3.0.7, ``pytensor/tensor/signal/conv.py``, read from the installed package):

- the docstrings of ``convolve1d`` and ``convolve2d``: "'full': The output is the full discrete
  linear convolution of the inputs, with shape (..., N+M-1,)"; "'valid': The output consists
  only of elements that do not rely on zero-padding, with shape (..., max(N, M) - min(N, M) +
  1,)"; "'same': The output is the same size as in1, centered with respect to the 'full'
  output".
- ``convolve1d`` implements 'same' "as 'valid' with padded `in1`": ``in2.shape[-1] // 2`` zeros
  in front, ``(in2.shape[-1] - 1) // 2`` at the end; ``convolve2d`` pads each axis the same way.
  On the full result that is ``begin = (k - 1) // 2``, ``end = k // 2``.
- 'valid' with a kernel longer than the input is the valid part of the kernel convolved with
  the input (``numpy.convolve``, which ``Convolve1d.perform`` calls, swaps them; the shape
  formula is symmetric): ``min(n, k) - 1`` cropped from each end.
- ``AbstractConvolveNd.pullback``: "this assumes the shape of one input dominates the other over
  all dimensions (which is required for a valid forward)"; ``Convolve2d.perform`` calls
  ``scipy.signal.convolve``, whose 'valid' mode requires it.
"""

from __future__ import annotations

from tconv.oracle.rules.canonical import Axis, Canonical, NotExpressible, RuleViolation

MODES = ("full", "valid", "same")


def mode(axis: Axis, spelled: str) -> Canonical:
    """The window of ``mode`` on one axis (stride 1, dilation 1)."""
    n, k = axis.n, axis.k
    if spelled == "full":
        return Canonical(0, 0)
    if spelled == "valid":
        return Canonical(min(n, k) - 1, min(n, k) - 1)
    if spelled == "same":
        return Canonical((k - 1) // 2, k // 2)
    raise RuleViolation(f"mode must be one of {MODES}, got {spelled!r}")


def limits(axes: list[Axis], spelled: str) -> None:
    """PyTensor's documented restriction over all axes: 'valid' needs one input at least as
    large as the other on every axis."""
    if spelled == "valid" and not (all(a.n >= a.k for a in axes)
                                   or all(a.k >= a.n for a in axes)):
        raise RuleViolation("'valid' requires one input to dominate the other over all "
                            "dimensions")


def express(axes: list[Axis], windows: list[Canonical]) -> str:
    """The one ``mode`` (for every axis) that gives ``windows``, or ``NotExpressible``."""
    for spelled in MODES:
        if all(mode(a, spelled).same_window(w) for a, w in zip(axes, windows)):
            return spelled
    raise NotExpressible("only the windows of 'full', 'valid' and 'same' (one mode for every "
                         "axis)")
