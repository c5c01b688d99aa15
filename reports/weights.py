"""Weight conversion between two entry points' kernel layouts, as NumPy code: from each one's
declared ``kernel_axes`` (``adapters.Conventions``) and kernel flip. One function serves the
porting table of the conventions document and ``tconv port``.

A layout is a permutation of the canonical ``(C_in, C_out/groups, *kernel)``, possibly counting
channels the other way round per group (``(C_out, C_in/groups, *kernel)``), possibly with the
kernel read flipped. The conversion goes through the canonical layout; when neither side
regroups it collapses to one ``np.transpose`` (and one ``np.flip``).
"""

from __future__ import annotations

from collections.abc import Sequence


def tokens(axes: Sequence[str], dims: int) -> list[str]:
    """``("C_in", "C_out/groups", "*kernel")`` -> ``["I", "O", "k0", "k1"]`` (``dims`` = 2)."""
    out = []
    for axis in axes:
        out += ([f"k{i}" for i in range(dims)] if axis == "*kernel" else
                ["I" if axis.startswith("C_in") else "O"])
    return out


def _regroups(axes: Sequence[str]) -> bool:
    """Whether the layout counts input channels per group: ``(C_out, C_in/groups, ...)``."""
    return "C_in/groups" in axes


def _order(axes: Sequence[str], dims: int) -> list[str]:
    """The canonical order the layout's own axes are a permutation of."""
    first = ["O", "I"] if _regroups(axes) else ["I", "O"]
    return first + [f"k{i}" for i in range(dims)]


def _permutation(source: list[str], target: list[str]) -> tuple[int, ...]:
    return tuple(source.index(t) for t in target)


def _spatial(layout: list[str]) -> tuple[int, ...]:
    return tuple(i for i, t in enumerate(layout) if t.startswith("k"))


def single(source_axes: Sequence[str], target_axes: Sequence[str], dims: int,
           flip: bool) -> str:
    """One expression for a conversion that needs no regrouping: ``np.transpose`` and
    ``np.flip`` of ``w`` (``"w"`` when the layouts are the same)."""
    src, tgt = tokens(source_axes, dims), tokens(target_axes, dims)
    perm = _permutation(src, tgt)
    expr = "w" if perm == tuple(range(len(perm))) else f"np.transpose(w, {perm})"
    if flip:
        expr = f"np.flip({expr}, axis={_spatial(tgt)})"
    return expr


def _regroup(groups: int) -> str:
    """``(A, B/g, *k)`` with ``A`` counted over all groups -> ``(B, A/g, *k)``: the channels
    swapped within each group (its own inverse, with A and B exchanged)."""
    return (f"w = w.reshape({groups}, w.shape[0] // {groups}, w.shape[1], *w.shape[2:])"
            f".swapaxes(1, 2).reshape(-1, w.shape[0] // {groups}, *w.shape[2:])")


def conversion(source_axes: Sequence[str], source_flipped: bool, target_axes: Sequence[str],
               target_flipped: bool, dims: int, groups: int) -> list[str]:
    """Lines of NumPy that turn the source's native weight ``w`` into the target's (in place
    of ``w``): through the canonical layout, regrouped where one side counts channels per
    group the other way, flipped where the two read the kernel differently."""
    flip = source_flipped != target_flipped
    if groups == 1 or _regroups(source_axes) == _regroups(target_axes):
        expr = single(source_axes, target_axes, dims, flip)
        return [] if expr == "w" else [f"w = {expr}"]
    src, tgt = tokens(source_axes, dims), tokens(target_axes, dims)
    lines = []
    if source_flipped:
        lines.append(f"w = np.flip(w, axis={_spatial(src)})")
    middle = _order(source_axes, dims)
    perm = _permutation(src, middle)
    if perm != tuple(range(len(perm))):
        lines.append(f"w = np.transpose(w, {perm})")
    lines.append(_regroup(groups))
    middle = _order(target_axes, dims)
    perm = _permutation(middle, tgt)
    if perm != tuple(range(len(perm))):
        lines.append(f"w = np.transpose(w, {perm})")
    if target_flipped:
        lines.append(f"w = np.flip(w, axis={_spatial(tgt)})")
    return lines


def layout(axes: Sequence[str], flipped: bool, dims: int, groups: int) -> list[str]:
    """Lines that turn the canonical weight ``w`` into this layout (the declaration's own
    reading of what the adapter does)."""
    return conversion(("C_in", "C_out/groups", "*kernel"), False, axes, flipped, dims, groups)
