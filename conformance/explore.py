"""Exploration, the full profile's last part: hypothesis draws cases beyond the families, runs
each through one entry point and the oracle, and shrinks any discrepancy the registry does not
explain (``registry.find``: by id, else by an entry's ``where`` predicate) to a minimal case.

The drawn cases stay where every framework's rules allow them: 1-D and 2-D, sizes 1-5, kernels
1-4, strides 1-3, dilations 1-2, output_padding below max(stride, dilation), one or two
groups, explicit pairs (crops up to the dilated kernel's reach), SAME, VALID and output
shapes. hypothesis shrinks toward the first of each choice and the smallest number, so a
minimal case reads: 1-D, batch 1, one channel, input 1, the smallest kernel and stride that
still show the difference.
"""

from __future__ import annotations

from dataclasses import replace

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tconv.adapters.workers import Workers
from tconv.cases.case import Case, OutputShape
from tconv.cases.families import _seed
from tconv.conformance import registry
from tconv.conformance.pipeline import Check, forward
from tconv.conformance.status import CLEAN

FAMILY = "explore"


def examples(ci: int) -> int:
    """``ci`` examples in hypothesis's ``ci`` profile (100 examples), scaled by the same
    factor in the profile loaded now (the project's ``deep`` one has ten times more)."""
    return ci * settings().max_examples // 100


def _x(values: tuple[int, ...]) -> str:
    return "x".join(map(str, values))


def name(case: Case) -> str:
    """A readable name that spells every parameter (the case id is ``explore/<name>/<dtype>``)."""
    padding = case.padding
    pad = (padding.lower() if isinstance(padding, str) else
           f"out{_x(padding.size)}" if isinstance(padding, OutputShape) else
           "p" + "_".join(f"{b}.{e}" for b, e in padding))
    return (f"{case.dims}d-n{_x(case.input_size)}-k{_x(case.kernel)}-s{_x(case.stride)}"
            f"-dil{_x(case.dilation)}-{pad}-op{_x(case.output_padding)}-g{case.groups}"
            f"-c{case.in_channels}to{case.out_channels}-b{case.batch}"
            f"-{'bias' if case.bias else 'nobias'}")


@st.composite
def cases(draw, dtypes: tuple[str, ...] = ("float32", "float64")) -> Case:
    dims = draw(st.sampled_from((1, 2)))

    # Two axes are always drawn and the first ``dims`` used, so that shrinking a 2-D case to
    # 1-D keeps the first axis's values (hypothesis shrinks the choices, not their meaning).
    def axes(low: int, high: int) -> tuple[int, ...]:
        return tuple(draw(st.integers(low, high)) for _ in range(2))[:dims]

    groups = draw(st.sampled_from((1, 2)))
    in_channels, out_channels = (groups * draw(st.integers(1, 2)) for _ in range(2))
    n, k, s, d = axes(1, 5), axes(1, 4), axes(1, 3), axes(1, 2)
    mode = draw(st.sampled_from(("explicit", "SAME", "VALID", "output_shape")))
    reach = [(ki - 1) * di for ki, di in zip(k, d)]        # what crops may take, per axis
    output_padding = tuple(draw(st.integers(0, max(si, di) - 1)) for si, di in zip(s, d))
    if mode == "explicit":
        padding = tuple((draw(st.integers(0, r)), draw(st.integers(0, r))) for r in reach)
        # at least one output element per axis
        padding = tuple((b, min(e, r + (ni - 1) * si + a - b)) for (b, e), r, ni, si, a in
                        zip(padding, reach, n, s, output_padding))
    elif mode == "output_shape":
        full = [(ni - 1) * si + r + 1 for ni, si, r in zip(n, s, reach)]
        padding = OutputShape(tuple(draw(st.integers(max(1, f - r), f + si - 1))
                                    for f, r, si in zip(full, reach, s)))
        output_padding = (0,) * dims
    else:
        padding = mode
    bias, batch = draw(st.booleans()), draw(st.integers(1, 2))
    dtype = draw(st.sampled_from(dtypes))
    return _named(Case(FAMILY, "", batch, in_channels, out_channels, groups, n, k, s, d,
                       padding, output_padding, bias, dtype))


def _named(case: Case) -> Case:
    """``case`` with its readable name and the seed the families give that name."""
    label = name(case)
    return replace(case, name=label, seed=_seed(FAMILY, label))


def case_toml(case: Case) -> str:
    """The case as a ``[[cases]]`` table of a case file (``tconv run --cases FILE``)."""
    padding = case.padding
    if isinstance(padding, str):
        pad = f'padding = "{padding}"'
    elif isinstance(padding, OutputShape):
        pad = f"padding = {{output_shape = {list(padding.size)}}}"
    else:
        pad = f"padding = {[list(p) for p in padding]}"
    return "\n".join([
        "[[cases]]", f'name = "{case.name}"', f"batch = {case.batch}",
        f"in_channels = {case.in_channels}", f"out_channels = {case.out_channels}",
        f"groups = {case.groups}", f"input_size = {list(case.input_size)}",
        f"kernel = {list(case.kernel)}", f"stride = {list(case.stride)}",
        f"dilation = {list(case.dilation)}", pad,
        f"output_padding = {list(case.output_padding)}", f"bias = {str(case.bias).lower()}",
        f'dtype = ["{case.dtype}"]'])


class NewDiscrepancy(AssertionError):
    """A check whose failure no registry entry explains: hypothesis shrinks the case."""

    def __init__(self, case: Case, check: Check) -> None:
        super().__init__(f"{check.adapter} on {case.id}: {check.status}: {check.detail}")
        self.case, self.check = case, check


def _axis(case: Case, axis: int) -> Case:
    """The 1-D case made of one spatial axis of ``case`` (same channels, batch, dtype)."""
    padding = case.padding
    if isinstance(padding, OutputShape):
        padding = OutputShape((padding.size[axis],))
    elif not isinstance(padding, str):
        padding = (padding[axis],)
    return _named(replace(case, input_size=(case.input_size[axis],), kernel=(case.kernel[axis],),
                          stride=(case.stride[axis],), dilation=(case.dilation[axis],),
                          padding=padding, output_padding=(case.output_padding[axis],)))


def explore(adapter: str, workers: Workers, known: list[registry.Known], examples: int,
            device: str = "cpu") -> tuple[Case, Check] | None:
    """Draw ``examples`` cases for ``adapter``'s forward check; None when every failure is
    explained, else the minimal case the first unexplained one shrinks to, and its check.

    hypothesis shrinks every parameter but cannot move a difference from the second axis to
    the first; so a 2-D minimal case is then tried one axis at a time, and a 1-D case that
    still fails unexplained replaces it."""
    found: list[NewDiscrepancy] = []

    def unexplained(case: Case) -> Check | None:
        check = forward(adapter, case, workers, device)
        if check.status in CLEAN:
            return None
        entry = registry.find(known, "forward", adapter, case, device, check.status,
                              check.version)
        return check if entry is None or entry.status != check.status else None

    @settings(settings(), max_examples=examples, deadline=None, database=None,
              report_multiple_bugs=False, phases=(Phase.generate, Phase.shrink),
              suppress_health_check=list(HealthCheck))
    @given(cases())
    def explained(case: Case) -> None:
        check = unexplained(case)
        if check is not None:
            found.append(NewDiscrepancy(case, check))
            raise found[-1]

    try:
        explained()
    except NewDiscrepancy:
        minimal = found[-1]     # hypothesis re-raises the shrunk example's failure last
        for axis in range(minimal.case.dims if minimal.case.dims > 1 else 0):
            check = unexplained(_axis(minimal.case, axis))
            if check is not None:
                return _axis(minimal.case, axis), check
        return minimal.case, minimal.check
    return None
