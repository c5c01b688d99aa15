"""Flax: ``flax.linen.ConvTranspose`` and ``flax.nnx.ConvTranspose`` (``padding`` ``'SAME'``,
``'VALID'``, ``'CIRCULAR'``, an int, or ``(low, high)`` pairs; ``kernel_dilation``;
``transpose_kernel``). No ``output_padding``, no output size, no ``feature_group_count``.

Source (flax 0.12.8, ``flax/linen/linear.py`` and ``flax/nnx/nn/linear.py``, the two
``ConvTranspose.__call__`` alike, read from the installed package):

- ``padding_lax = canonicalize_padding(self.padding, len(kernel_size))``; ``'CIRCULAR'``
  becomes ``'VALID'``; then ``lax.conv_transpose(inputs, kernel, strides, padding_lax,
  rhs_dilation=kernel_dilation, transpose_kernel=self.transpose_kernel, precision=...,
  preferred_element_type=...)``: no ``dimension_numbers`` (lax's channels-last defaults,
  ``('NHC', 'HIO', 'NHC')`` and so on) and no ``use_consistent_padding`` (``False``). So every
  window is ``lax.conv_transpose``'s, ``oracle.rules.jax.conv_transpose``: the strings through
  ``_conv_transpose_padding`` (the forward convolution's padding), a pair ``(low, high)`` as the
  padding of the stride-dilated input, passed straight to ``conv_general_dilated`` (negative
  pads crop). ``canonicalize_padding``: an int ``p`` is ``[(p, p)] * rank``; a sequence of
  ``rank`` items, each an int (both sides) or a ``tuple`` of two; anything else is
  ``ValueError('Invalid padding format: ...')``.
- The nnx docstring says the same of pairs: "Note that this behavior is different from
  PyTorch. In PyTorch, the padding argument effectively adds ``dilation * (kernel_size - 1) -
  padding`` amount of zero padding to the input instead ... ``nnx.ConvTranspose`` do *not*
  have this behavior", and "``VALID`` adds ``dilation * (kernel_size - 1)`` padding"; of SAME
  it says "pads the input so that the output shape is the same as the input shape", true at
  stride 1 (lax gives ``n*s`` elements). That note came with google/flax#4990 (closing
  google/flax#4593, the confusion it explains); ``use_consistent_padding`` (jax-ml/jax#32268,
  PyTorch's reading of pairs) is not passed, so pairs keep the older meaning. ``'CAUSAL'``,
  which the nnx docstring also lists, reaches ``lax.conv_transpose`` as a string and is refused
  there ("String padding is not implemented for transposed convolution using this op", probed
  with flax 0.12.8 and jax 0.10.2); no case spells it.
- ``'CIRCULAR'``: the VALID result wrapped around a period ``P = n*s`` per axis: ``size_diff =
  -(y - P) % (2P)``, padded ``((size_diff + 1) // 2, size_diff // 2)`` (``transpose_kernel``:
  the larger half at the end), reshaped to ``(-1, P)`` and summed. The VALID result has ``n*s +
  max(d(k-1) + 1 - s, 0)`` elements, so CIRCULAR is a window of the full result (VALID itself)
  only when the dilated kernel is no longer than the stride; otherwise positions ``P`` apart add.
  (The two alignments of the padding date from google/flax#2578, which added
  ``transpose_kernel``.)
- ``transpose_kernel``: the docstring: "if ``True`` flips spatial axes and swaps the
  input/output channel axes of the kernel"; ``kernel_shape = kernel_size + (features,
  in_features)`` with it, ``kernel_size + (in_features, features)`` without.
"""

from __future__ import annotations

from tconv.oracle.rules import jax as lax_rules
from tconv.oracle.rules.canonical import Axis, Canonical, NotExpressible

MODES = ("SAME", "VALID", "CIRCULAR")


def kernel_flipped(transpose_kernel: bool) -> bool:
    """Whether the layer's kernel is flipped relative to the scatter form (lax's rule)."""
    return lax_rules.kernel_flipped(transpose_kernel)


def pads(axis: Axis, low: int, high: int) -> Canonical:
    """An explicit ``(low, high)`` pair: the padding of the stride-dilated input."""
    return lax_rules.conv_transpose(axis, (low, high))


def circular(axis: Axis) -> Canonical:
    """``'CIRCULAR'`` where it is a window (VALID, nothing wrapped)."""
    if axis.dilated_kernel > axis.s:
        raise NotExpressible(
            f"'CIRCULAR' wraps the VALID result around a period of n*s = {axis.n * axis.s}: "
            f"with a dilated kernel of {axis.dilated_kernel} > stride {axis.s} elements "
            f"{axis.n * axis.s} apart are summed, which is no window of the full result")
    return lax_rules.conv_transpose(axis, "VALID")


def mode(axis: Axis, spelled: str) -> Canonical:
    """A padding string: ``'SAME'`` and ``'VALID'`` as ``lax.conv_transpose`` reads them,
    ``'CIRCULAR'`` where it is a window."""
    if spelled == "CIRCULAR":
        return circular(axis)
    return lax_rules.conv_transpose(axis, spelled)


def express(axis: Axis, canonical: Canonical) -> dict[str, object]:
    """The padding (``'SAME'``/``'VALID'`` where one gives the window, else a pair) that gives
    this window; output_padding is folded into the pair, which Flax passes on as it stands."""
    return lax_rules.express(axis, canonical)
