"""The case families and profiles of ``cases.families``: well-formed, computable, covering."""

from __future__ import annotations

import hashlib
import math
import os
import re
import subprocess
import sys
from collections import Counter
from itertools import combinations, product
from pathlib import Path

import numpy as np
import pytest

from tconv.cases.case import DTYPES, Case, OutputShape
from tconv.cases.families import (
    ALL_FAMILIES,
    GRID_FACTORS,
    PROFILES,
    grid,
    literature,
    literature_vectors,
    profile,
    rejected,
    vector_for,
    zoo,
)
from tconv.oracle import conv_transpose
from tconv.oracle.rules import keras, pytorch
from tconv.oracle.rules.canonical import Axis, Canonical, NotExpressible, RuleViolation

ROOT = Path(__file__).resolve().parents[1]
NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def every_case() -> tuple[Case, ...]:
    """Each family's cases, float32 (the profiles only add dtypes)."""
    return tuple(c for family in ALL_FAMILIES.values() for c in family())


def full_size(case: Case) -> tuple[int, ...]:
    return tuple((n - 1) * s + d * (k - 1) + 1 for n, k, s, d in
                 zip(case.input_size, case.kernel, case.stride, case.dilation))


def explicit(case: Case) -> bool:
    return isinstance(case.padding, tuple)


def run_oracle(case: Case) -> np.ndarray:
    x, w, b = case.arrays()
    return conv_transpose(x, w, b, stride=case.stride, padding=case.padding,
                          output_padding=case.output_padding, dilation=case.dilation,
                          groups=case.groups)


def output_size(case: Case) -> tuple[int, ...]:
    """Explicit: ``L - begin - end + output_padding``; OutputShape: as asked; SAME: TF's
    ``n * s``; VALID: ``L + output_padding``."""
    if explicit(case):
        return tuple(f - b - e + a for f, (b, e), a in
                     zip(full_size(case), case.padding, case.output_padding))
    if isinstance(case.padding, OutputShape):
        return case.padding.size
    if case.padding == "SAME":
        return tuple(n * s for n, s in zip(case.input_size, case.stride))
    return tuple(f + a for f, a in zip(full_size(case), case.output_padding))


def flops(case: Case) -> int:
    return (2 * case.batch * case.in_channels * (case.out_channels // case.groups)
            * math.prod(case.input_size) * math.prod(case.kernel))


# --- ids -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", PROFILES)
def test_ids_are_unique_and_well_formed(name: str) -> None:
    cases = profile(name)
    ids = [c.id for c in cases]
    assert len(ids) == len(set(ids)), [i for i, n in Counter(ids).items() if n > 1]
    for c in cases:
        assert c.id == f"{c.family}/{c.name}/{c.dtype}"  # channels_first: no layout suffix
        assert c.family in ALL_FAMILIES
        assert c.dtype in DTYPES
        assert NAME.match(c.name), c.name
        dims = c.dims
        assert 1 <= dims <= 3
        for field in (c.kernel, c.stride, c.dilation, c.output_padding):
            assert len(field) == dims, c.id
        if explicit(c):
            assert len(c.padding) == dims, c.id
        elif isinstance(c.padding, OutputShape):
            assert len(c.padding.size) == dims, c.id
        else:
            assert c.padding in ("SAME", "VALID"), c.id
        assert c.in_channels % c.groups == 0 and c.out_channels % c.groups == 0, c.id


def test_names_unique_within_each_family() -> None:
    for family, make in ALL_FAMILIES.items():
        names = [c.name for c in make()]
        assert len(names) == len(set(names)), family
        assert all(c.family == family and c.dtype == "float32" for c in make()), family


def digest() -> str:
    return hashlib.sha256(repr(profile("full")).encode()).hexdigest()


def test_cases_are_the_same_in_a_fresh_process() -> None:
    """Same cases, names and seeds in another interpreter with another hash seed (nothing may
    depend on set or dict-of-hash order)."""
    code = "from tests.test_cases import digest; print(digest())"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True).stdout.strip()
    assert out == digest()


# --- computable by the oracle ----------------------------------------------------------------


@pytest.mark.parametrize("family", list(ALL_FAMILIES))
def test_explicit_padding_cases_run_through_the_oracle(family: str) -> None:
    for case in ALL_FAMILIES[family]():
        if not explicit(case):
            continue
        y = run_oracle(case)
        assert y.shape == (case.batch, case.out_channels, *output_size(case)), case.id
        assert np.isfinite(y).all(), case.id


def test_literature_vectors_give_their_expected_outputs() -> None:
    pairs = literature_vectors()
    assert [c for c, _ in pairs] == list(literature())
    for case, vector in pairs:
        x = np.array(vector.input, dtype=float)[None, None]
        w = np.array(vector.kernel, dtype=float)[None, None]
        assert x.shape[2:] == case.input_size and w.shape[2:] == case.kernel
        y = conv_transpose(x, w, stride=case.stride, padding=case.padding,
                           output_padding=case.output_padding, dilation=case.dilation)
        np.testing.assert_array_equal(y[0, 0], np.array(vector.expected, dtype=float))
    for case in profile("full"):
        if case.family == "literature":
            assert vector_for(case).name == case.name


def test_arrays_hold_their_dtype_values() -> None:
    case = next(c for c in profile("full") if c.family == "edge" and c.dtype == "bfloat16")
    x, w, _ = case.arrays()
    assert (x.view(np.uint32) & 0xFFFF == 0).all() and (w.view(np.uint32) & 0xFFFF == 0).all()


def test_rejected_configurations_have_no_result() -> None:
    table = rejected()
    assert len({what for what, _ in table}) == len(table)
    for _what, kwargs in table:
        case = Case(**kwargs)
        if case.in_channels % case.groups or case.out_channels % case.groups:
            continue  # channels and groups: each framework's argument check
        with pytest.raises(ValueError):
            run_oracle(case)


def refused_somewhere(case: Case) -> bool:
    """Whether PyTorch's or Keras' (layer) documented rules refuse or cannot spell the case."""
    for i in range(case.dims):
        axis = Axis(case.input_size[i], case.kernel[i], case.stride[i], case.dilation[i])
        op = case.output_padding[i]
        try:
            if explicit(case):
                begin, end = case.padding[i]
                canonical = Canonical(begin, end, op)
                pytorch.express(axis, canonical)
                keras.express(axis, canonical, layer=True)
            elif isinstance(case.padding, OutputShape):
                pytorch.output_size(axis, 0, case.padding.size[i])
            else:
                keras.layer_limits(axis, case.padding.lower(), op)
        except (NotExpressible, RuleViolation):
            return True
    return False


def test_invalid_cases_break_some_framework_rule() -> None:
    for case in ALL_FAMILIES["invalid"]():
        assert refused_somewhere(case), case.id


# --- the grid covers its factor space --------------------------------------------------------


def grid_levels(case: Case) -> dict[str, object]:
    """The factor levels of a grid case, read from its fields (axis 0 for per-axis ones)."""
    s, k = case.stride[0], case.kernel[0]
    if isinstance(case.padding, OutputShape):
        mode = "out"
        op = case.padding.size[0] - full_size(case)[0]
    elif isinstance(case.padding, str):
        mode, op = case.padding, case.output_padding[0]
    else:
        symmetric = all(b == e for b, e in case.padding)
        asymmetric = all(b != e for b, e in case.padding)
        assert symmetric or asymmetric, case.id
        mode, op = ("sym" if symmetric else "asym"), case.output_padding[0]
    per_group = (case.in_channels // case.groups, case.out_channels // case.groups)
    if case.groups == 1:
        groups = "1"
    elif per_group == (1, 1):
        groups = "depthwise"
    elif min(per_group) > 1:
        groups = "multi"
    else:
        assert case.groups == 2, case.id
        groups = "2"
    return {
        "stride": s,
        "kernel_parity": "odd" if k % 2 else "even",
        "kernel_vs_stride": "smaller" if k < s else "equal" if k == s else "larger",
        "mode": mode,
        "dilation": case.dilation[0],
        "output_padding": op,
        "dims": case.dims,
        "input_parity": "odd" if case.input_size[0] % 2 else "even",
        "groups": groups,
        "bias": case.bias,
        "batch": case.batch,
    }


CONSTRAINED = ("stride", "kernel_parity", "kernel_vs_stride", "mode", "dilation",
               "output_padding")


def feasible(stride: int, parity: str, vs: str, mode: str, dilation: int, op: int) -> bool:
    """The grid's constraints, restated: some kernel size has this parity and relation to the
    stride; output_padding < max(stride, dilation); an OutputShape within one stride of L."""
    want = 1 if parity == "odd" else 0
    sizes = {"smaller": range(1, stride), "equal": (stride,),
             "larger": range(stride + 1, stride + 3)}[vs]
    if not any(k % 2 == want for k in sizes):
        return False
    return op < max(stride, dilation) and not (mode == "out" and op >= stride)


def required_pairs() -> set[tuple]:
    cores = [c for c in product(*(GRID_FACTORS[f] for f in CONSTRAINED)) if feasible(*c)]
    seen: dict[str, set] = {}  # the values of each constrained factor in feasible cores
    needed = set()
    for f, g in combinations(GRID_FACTORS, 2):
        if f in CONSTRAINED and g in CONSTRAINED:
            i, j = CONSTRAINED.index(f), CONSTRAINED.index(g)
            needed |= {((f, c[i]), (g, c[j])) for c in cores}
        else:
            for h in (f, g):
                if h in CONSTRAINED:
                    seen[h] = {c[CONSTRAINED.index(h)] for c in cores}
            values = [seen[h] if h in CONSTRAINED else GRID_FACTORS[h] for h in (f, g)]
            needed |= {((f, v), (g, w)) for v, w in product(*values)}
    return needed


def test_grid_cases_are_feasible_and_within_the_factor_levels() -> None:
    for case in grid():
        levels = grid_levels(case)
        for f, v in levels.items():
            assert v in GRID_FACTORS[f], (case.id, f, v)
        assert feasible(*(levels[f] for f in CONSTRAINED)), case.id
        # per-axis fields agree with axis 0 (the grid varies only the input size per axis)
        assert len(set(case.stride)) == len(set(case.kernel)) == len(set(case.dilation)) == 1
        assert all(size % 2 == case.input_size[0] % 2 for size in case.input_size), case.id
        assert min(output_size(case)) >= 1, case.id


def test_grid_covers_every_pair_of_values() -> None:
    covered = set()
    for case in grid():
        levels = grid_levels(case)
        covered |= {((f, levels[f]), (g, levels[g])) for f, g in combinations(GRID_FACTORS, 2)}
    missing = required_pairs() - covered
    assert not missing, sorted(missing, key=repr)[:20]


def test_grid_covers_every_stride_kernel_mode_triple() -> None:
    """Every stride x kernel (parity, and smaller / equal / larger than the stride) x padding
    mode that some kernel size allows."""
    triple = ("stride", "kernel_parity", "kernel_vs_stride", "mode")
    covered = {tuple(grid_levels(c)[f] for f in triple) for c in grid()}
    needed = {t for t in product(*(GRID_FACTORS[f] for f in triple)) if feasible(*t, 1, 0)}
    assert len(needed) == 85  # strides 1-4: 3 + 4 + 5 + 5 kernel classes, times 5 modes
    assert needed <= covered, sorted(needed - covered)
    # one kernel size per class, so these are also the stride x kernel size x mode triples
    sizes: dict[tuple, set[int]] = {}
    for c in grid():
        levels = grid_levels(c)
        sizes.setdefault(tuple(levels[f] for f in triple[:3]), set()).add(c.kernel[0])
    assert all(len(k) == 1 for k in sizes.values()), sizes


def test_grid_is_a_few_hundred_cases_at_most() -> None:
    assert 85 <= len(grid()) <= 300


# --- profiles --------------------------------------------------------------------------------


def test_profiles_are_nested() -> None:
    quick, default, full = ({c.id for c in profile(p)} for p in PROFILES)
    assert quick < default < full
    assert {c.dtype for c in profile("quick")} == {"float32"}
    every = every_case()
    assert {c.id for c in every} <= default
    assert {f"{c.family}/{c.name}/float64" for c in every} <= default
    assert {c.dtype for c in profile("default")} == set(DTYPES)
    assert full == {f"{c.family}/{c.name}/{dt}" for c in every for dt in DTYPES}
    assert {c.family for c in profile("quick")} == set(ALL_FAMILIES)
    with pytest.raises(ValueError):
        profile("everything")


def test_profile_sizes() -> None:
    for family, make in ALL_FAMILIES.items():
        print(f"family {family}: {len(make())}")
    for name in PROFILES:
        cases = profile(name)
        per_dtype = Counter(c.dtype for c in cases)
        print(f"profile {name}: {len(cases)} {dict(per_dtype)}")
    assert 60 <= len(profile("quick")) <= 120


# --- zoo -------------------------------------------------------------------------------------

# Kept at its real size on purpose (the RoI size is part of the architecture).
OVER_BUDGET = {"maskrcnn-mask-256to256-k2s2"}


def test_zoo_cases_cite_their_source_and_stay_small() -> None:
    for case in zoo():
        assert case.source.strip(), case.id
        assert case.batch in (1, 2), case.id
        elements = case.batch * case.out_channels * math.prod(output_size(case))
        assert elements <= 2_000_000, (case.id, elements)
        budget = 120e6 if case.name in OVER_BUDGET else 50e6
        assert flops(case) <= budget, (case.id, flops(case))
