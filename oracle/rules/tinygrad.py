"""tinygrad: ``Tensor.conv_transpose2d`` (N-D despite its name; ``padding`` an int, one int per
axis, or ``2 * dims`` ints, one per side; ``output_padding`` an int or one per axis).

Sources (tinygrad 0.14.0, ``tinygrad/mixin/op.py`` and ``tinygrad/helpers.py``, read from the
installed package):

- the docstring of ``conv_transpose2d``: padding is "1. ``int`` (single value): Applies the same
  padding value uniformly to all spatial dimensions. 2. ``tuple[int, ...]`` (length = number of
  spatial dimensions): ... ``(padding_height, padding_width, ...)``. 3. ``tuple[int, ...]``
  (length = 2 * number of spatial dimensions): ... ``(padding_left, padding_right,
  padding_top, padding_bottom, ...)``", "NOTE: unlike PyTorch, this implementation is not
  limited to only 2d transposed convolutions", and "See:
  https://pytorch.org/docs/stable/generated/torch.nn.ConvTranspose2d.html". The three forms
  are word for word ``conv2d``'s, where padding adds zeros; for the transposed convolution the
  docstring says no more than "padding" and points to PyTorch, whose ``padding`` crops
  (``oracle.rules.pytorch``). It states no limit on ``output_padding``.
- the source: ``resolve_pool_pads`` turns an int into ``2 * dims`` equal values and the per-axis
  form ``(p_h, p_w)`` into ``(p_w, p_w, p_h, p_h)``; ``flat_to_grouped`` reads the flat form
  last axis first, ``(begin, end)`` per side, so the flat form is ``(begin_W, end_W, begin_H,
  end_H, ...)``, the last spatial axis first (as ``torch.nn.functional.pad`` orders it). The
  input is stride-dilated (reshape, pad ``s - 1`` zeros, shrink) and ``conv2d`` runs with the
  kernel flipped and the padding ``(d*(k-1) - begin, d*(k-1) - end + output_padding)``: the
  full result cropped ``begin`` in front and ``end`` at the end, then ``output_padding``
  extended at the end. ``conv_transpose2d`` checks nothing: a negative crop pads, and
  ``output_padding`` may reach past the full result (zeros there); only an empty output trips
  an assertion of the pooling under ``conv2d`` (registered in ``conformance/known_issues.toml``).
  Source and docstring agree where the docstring says anything (PyTorch's crop, extended to a
  pair per axis); the docstring leaves the sign of "padding" to the link.
"""

from __future__ import annotations

from tconv.oracle.rules.canonical import Axis, Canonical, NotExpressible


def pads(begin: int, end: int, output_padding: int = 0) -> Canonical:
    """One axis' ``(begin, end)`` of the flat form: cropped from each end, then
    ``output_padding`` extended at the end."""
    return Canonical(begin, end, output_padding)


def flat(pairs: list[tuple[int, int]]) -> tuple[int, ...]:
    """Per-axis ``(begin, end)`` pairs in tinygrad's flat order: the last axis first."""
    return tuple(v for pair in reversed(pairs) for v in pair)


def grouped(padding: tuple[int, ...]) -> tuple[tuple[int, int], ...]:
    """tinygrad's flat form back to per-axis pairs, first axis first (``flat_to_grouped``)."""
    return tuple(zip(padding[-2::-2], padding[::-2]))


def express(axis: Axis, canonical: Canonical) -> dict[str, object]:
    """Every window: the pair as it is, ``output_padding`` as it is (an empty window too:
    tinygrad checks nothing); a crop past the full result has no window at all."""
    if canonical.size(axis) < 0:
        raise NotExpressible("the crop is larger than the full result")
    return {"padding": (canonical.begin, canonical.end),
            "output_padding": canonical.output_padding}
