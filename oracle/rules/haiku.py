"""Haiku: ``haiku.ConvNDTranspose`` (and ``Conv1DTranspose``/``Conv2DTranspose``/
``Conv3DTranspose``, its N-D specialisations): ``padding`` ``'SAME'``, ``'VALID'`` or ``(low,
high)`` pairs, and ``output_shape`` with a padding string. No kernel dilation, no
``feature_group_count``, no ``output_padding``.

Source (dm-haiku 0.0.17, ``haiku/_src/conv.py``, read from the installed package):

- ``ConvNDTranspose.__init__(num_spatial_dims, output_channels, kernel_shape, stride=1,
  output_shape=None, padding="SAME", with_bias=True, w_init=None, b_init=None,
  data_format="channels_last", mask=None, name=None)``; the docstring: "padding: Optional
  padding algorithm. Either "VALID" or "SAME"", the annotation ``str | Sequence[tuple[int,
  int]]``; with ``output_shape`` a pair is refused: "When specifying `output_shape`, ensure that
  paddding is 'VALID' or 'SAME'." (``ValueError``).
- ``__call__``: ``lax.conv_transpose(inputs, w, strides=self.stride, padding=padding,
  dimension_numbers=self.dimension_numbers, precision=precision)``: no ``rhs_dilation``, no
  ``transpose_kernel``, no ``use_consistent_padding``, so a string or a pair means what it means
  to ``lax.conv_transpose`` (``oracle.rules.jax.conv_transpose``: a pair pads the
  stride-dilated input).
- With ``output_shape`` the padding passed is ``compute_adjusted_padding(input_size,
  output_size, kernel_size, stride, padding)`` per axis: VALID requires ``(o - k + s) // s ==
  n`` and takes ``padding_before = 0``; SAME requires ``(o + s - 1) // s == n`` and takes
  ``padding_before = max(0, (n - 1)*s + k - o) // 2``; otherwise ``ValueError("The expected
  input size with the current set of input parameters is {expected} which doesn't match the
  actual input size {n}.")``. Then ``pad_before = k - 1 - padding_before`` and ``pad_after =
  o + k - 1 - ((n - 1)*s + 1) - pad_before``, pads of the stride-dilated input: the window
  starts ``padding_before`` into the full result and has ``o`` elements.
- ``w_shape = self.kernel_shape + (self.output_channels, input_channels)`` with
  ``to_dimension_numbers(..., transpose=True)`` labelling those axes O and I: read flipped, as
  ``lax.conv_transpose`` without ``transpose_kernel`` reads every kernel.
"""

from __future__ import annotations

from tconv.oracle.rules import jax as lax_rules
from tconv.oracle.rules.canonical import Axis, Canonical, RuleViolation

MODES = ("SAME", "VALID")
KERNEL_FLIPPED = lax_rules.kernel_flipped(False)


def mode(axis: Axis, spelled: str) -> Canonical:
    """``'SAME'`` / ``'VALID'`` without ``output_shape``: ``lax.conv_transpose``'s."""
    return lax_rules.conv_transpose(axis, spelled)


def pads(axis: Axis, low: int, high: int) -> Canonical:
    """An explicit ``(low, high)`` pair: the padding of the stride-dilated input."""
    return lax_rules.conv_transpose(axis, (low, high))


def adjusted_padding(axis: Axis, spelled: str, size: int) -> tuple[int, int]:
    """``compute_adjusted_padding``: the pair Haiku passes for ``output_shape`` ``size``."""
    n, k, s = axis.n, axis.dilated_kernel, axis.s
    if spelled == "VALID":
        expected, before = (size - k + s) // s, 0
    elif spelled == "SAME":
        expected, before = (size + s - 1) // s, max(0, (n - 1) * s + k - size) // 2
    else:
        raise RuleViolation(f"`padding` must be 'VALID' or 'SAME'. Passed: {spelled}.")
    if n != expected:
        raise RuleViolation(f"The expected input size with the current set of input parameters "
                            f"is {expected} which doesn't match the actual input size {n}.")
    pad_before = k - 1 - before
    return pad_before, size + k - 1 - ((n - 1) * s + 1) - pad_before


def output_shape(axis: Axis, spelled: str, size: int) -> Canonical:
    """``output_shape`` ``size`` with ``padding=spelled`` on this axis."""
    return pads(axis, *adjusted_padding(axis, spelled, size))


def express(axis: Axis, canonical: Canonical) -> dict[str, object]:
    """The padding (``'SAME'``/``'VALID'`` where one gives the window, else a pair) that gives
    this window; output_padding folded into the pair."""
    return lax_rules.express(axis, canonical)
