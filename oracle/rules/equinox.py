"""Equinox: ``equinox.nn.ConvTranspose`` (``padding`` as ints, ``(before, after)`` pairs,
``'VALID'``, ``'SAME'`` or ``'SAME_LOWER'``; ``output_padding``).

Source (equinox 0.13.8, ``equinox/nn/_conv.py``, read from the installed package):

- the docstring: ``padding`` is "the padding used on the equivalent ``equinox.nn.Conv``";
  ``output_padding`` gives "additional padding for the output shape"; for ``'SAME'`` /
  ``'SAME_LOWER'`` it "reduces the calculated input shape", otherwise it "adds a little extra
  padding to the bottom or right edges"; an odd total of SAME padding puts "the extra padding
  ... at the end for 'SAME' and at the beginning for 'SAME_LOWER'".
- ``ConvTranspose._padding_transpose`` (notation of Dumoulin & Visin, relationship 14): the
  forward padding ``(p0, p1)`` becomes ``(d(k-1) - p0, d(k-1) - p1 + a)`` on the stride-dilated
  input, which ``lax.conv_general_dilated`` reads with the kernel flipped: the output is the
  uncropped result with ``p0`` cropped in front, ``p1`` at the end, ``a`` extended at the end.
  For SAME: ``p_sum = d(k-1) - s + a + 1``; when negative, no crop and ``-p_sum`` extended at
  the end instead of ``a``; ``p0 = (p_sum + lower) // 2``, ``p1 = p_sum - p0``. The output has
  ``n*s - a`` elements either way.
- ``ConvTranspose.__init__``: "Must have ``output_padding < stride`` (elementwise)"
  (``ValueError``).
"""

from __future__ import annotations

from tconv.oracle.rules.canonical import Axis, Canonical, NotExpressible, RuleViolation, crop

MODES = ("VALID", "SAME", "SAME_LOWER")


def pads(before: int, after: int, output_padding: int = 0) -> Canonical:
    """Explicit ``(before, after)`` forward padding: cropped from each end, then
    ``output_padding`` extended at the end."""
    return Canonical(before, after, output_padding)


def mode(axis: Axis, spelled: str, output_padding: int = 0) -> Canonical:
    """``'VALID'``: no crop; ``'SAME'`` / ``'SAME_LOWER'``: ``n*s - a`` elements, the odd one
    cropped at the end (SAME) or at the start (SAME_LOWER)."""
    if spelled == "VALID":
        return Canonical(0, 0, output_padding)
    return crop(axis.d * (axis.k - 1) - axis.s + output_padding + 1, spelled != "SAME_LOWER")


def limits(axis: Axis, output_padding: int) -> None:
    """Equinox's documented restriction on one axis."""
    if output_padding >= axis.s:
        raise RuleViolation("Must have `output_padding < stride` (elementwise)")
    if output_padding < 0:
        raise RuleViolation("negative output_padding")


def express(axis: Axis, canonical: Canonical) -> dict[str, object]:
    """Explicit pairs express every window: ``end - output_padding`` at the end (negative:
    zeros appended), no output_padding (so no limit applies)."""
    pair = (canonical.begin, canonical.end - canonical.output_padding)
    if axis.full - pair[0] - pair[1] < 1:
        raise NotExpressible("the window has no element")
    return {"padding": pair, "output_padding": 0}
