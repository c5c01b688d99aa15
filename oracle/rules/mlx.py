"""MLX: ``mlx.core.conv_transpose1d/2d/3d`` and ``mlx.nn.ConvTranspose1d/2d/3d`` (``padding``
and ``output_padding`` per axis, one int for both ends of an axis).

Sources (mlx 0.32.4, the installed package's docstrings; the C++ source read at
ml-explore/mlx@846d176, 0.32.2 development: ``conv_transpose_general`` as ml-explore/mlx#1245
wrote it, ``output_padding`` from ml-explore/mlx#2092, overflow-checked by ml-explore/mlx#3938;
every rule below confirmed by probe on 0.32.4):

- ``mx.conv_transpose2d`` docstring: "padding (int or tuple(int), optional): tuple of size 2
  with symmetric input padding", "output_padding ...: tuple of size 2 with output padding",
  "groups (int, optional): input feature groups", and above them "Note: Only the default
  ``groups=1`` is currently supported." (the same note in ``conv_transpose3d``; the
  ``conv_transpose1d`` docstring has none). ``mlx.nn.ConvTransposeNd``: "padding: How many
  positions to 0-pad the input with", "output_padding: Additional size added to one side of
  the output shape"; the layers take no ``groups``.
- ``mlx/ops.cpp``, ``conv_transpose_general``: ``padding_lo = d*(k-1) - p`` and
  ``padding_hi = (n-1)*s - 2p + d*(k-1) + 1 - ((n-1)*s + 1) + p + output_padding = d*(k-1) - p
  + output_padding`` on the input dilated by the stride (``input_dilation = stride``), the
  kernel flipped (``flip = true``): the full result cropped ``p`` at both ends, then
  ``output_padding`` extended at the end, as PyTorch's ``padding`` (``oracle.rules.pytorch``).
  No limit on ``output_padding`` is stated or checked.
- ``conv_general``: "[conv] Can only handle groups != 1 in 1D or 2D convolutions."; a negative
  ``padding_lo``/``padding_hi`` (``p > d*(k-1)``) is handled by slicing the *undilated* input,
  so beyond the dilated kernel span a strided transposed convolution does not crop what the
  rule above says (a discrepancy registered in ``conformance/known_issues.toml``, not a rule).
"""

from __future__ import annotations

from tconv.oracle.rules.canonical import Axis, Canonical, NotExpressible, RuleViolation

GROUPS_NOTE = "Only the default `groups=1` is currently supported."


def padding(padding: int, output_padding: int = 0) -> Canonical:
    """``padding=p, output_padding=q``: crop ``p`` at both ends, then extend ``q`` at the end."""
    return Canonical(padding, padding, output_padding)


def limits(dims: int, groups: int) -> None:
    """MLX's documented restriction: the 2-D and 3-D functions' note on groups."""
    if groups != 1 and dims in (2, 3):
        raise RuleViolation(f"mx.conv_transpose{dims}d: {GROUPS_NOTE}")


def express(axis: Axis, canonical: Canonical) -> dict[str, int]:
    """``padding`` and ``output_padding`` giving this window: ``padding = begin`` crops both
    ends alike, ``output_padding`` gives back what ``end`` should not have cropped."""
    p = canonical.begin
    q = canonical.begin - canonical.end + canonical.output_padding
    if p < 0:
        raise NotExpressible("MLX's padding is symmetric input padding: no leading zeros "
                             "(begin < 0)")
    if q < 0:
        raise NotExpressible("padding crops both ends alike and output_padding only extends: "
                             "end cannot crop more than begin")
    if axis.full - 2 * p + q < 1:
        raise NotExpressible("the window has no element")
    return {"padding": p, "output_padding": q}
