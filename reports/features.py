"""The feature matrix of a run: for each entry point, how the checks of each feature a model
port may lean on ended (SAME, output_padding, depthwise, bfloat16, gradients, ...).

``features(row)`` is the one classification of a results line, read from its ``case`` record
(``results.case_record``: the case's parameters in the oracle's words) and its ``check``;
report.json, report.md and report.html all count through ``matrix``. A check belongs to every
feature it exercises, so a cell counts the checks that exercise its feature, not checks that
exercise it alone.
"""

from __future__ import annotations

import collections

from tconv.conformance.status import Status

FEATURES = ("SAME", "VALID", "explicit symmetric padding", "asymmetric padding",
            "output_padding", "output_shape", "kernel < stride", "dilation × stride",
            "groups", "depthwise", "1-D", "3-D", "bias", "float16", "bfloat16", "float32",
            "float64", "gradients")
# How a cell counts a check; "new": any other status, a discrepancy no registry entry expects.
CATEGORIES = ("pass", "known", "unsupported", "new")
# Worst first: a cell is coloured by the worst category it holds.
WORST = ("new", "known", "pass", "unsupported")


def category(status: str) -> str:
    """The cell count a check's ``status`` goes to."""
    if status in (Status.PASS, Status.KNOWN, Status.UNSUPPORTED):
        return str(Status(status))
    return "new"


def _padding(padding: object) -> set[str]:
    """The padding features of a case record's ``padding``: "SAME"/"VALID", a list of
    ``[begin, end]`` pairs, or ``{"output_shape": [...]}``."""
    if padding in ("SAME", "VALID"):
        return {str(padding)}
    if isinstance(padding, dict) and "output_shape" in padding:
        return {"output_shape"}
    if isinstance(padding, list) and padding:
        pairs = [tuple(pair) for pair in padding]
        return ({"asymmetric padding"} if any(begin != end for begin, end in pairs)
                else {"explicit symmetric padding"})
    return set()


def _geometry(case: dict) -> set[str]:
    """The features of the case's stride, kernel, dilation, output_padding and groups."""
    stride, kernel = case.get("stride") or [], case.get("kernel") or []
    dilation, output_padding = case.get("dilation") or [], case.get("output_padding") or []
    groups, in_channels = case.get("groups") or 1, case.get("in_channels") or 1
    found = set()
    if any(p > 0 for p in output_padding):
        found.add("output_padding")
    # The kernel itself, not its dilated extent: a kernel shorter than the stride leaves
    # output elements no input element reaches.
    if any(k < s for k, s in zip(kernel, stride)):
        found.add("kernel < stride")
    # Not necessarily on one axis: the two combine in one call's index arithmetic either way.
    if any(d > 1 for d in dilation) and any(s > 1 for s in stride):
        found.add("dilation × stride")
    if groups > 1:
        found.add("depthwise" if groups == in_channels else "groups")
    return found


def features(row: dict) -> set[str]:
    """Every feature of ``FEATURES`` the check of results line ``row`` exercises."""
    case = row.get("case") or {}
    found = _padding(case.get("padding")) | _geometry(case)
    dims = case.get("dims") or len(case.get("input_size") or [])
    if dims in (1, 3):
        found.add(f"{dims}-D")
    if case.get("bias"):
        found.add("bias")
    dtype = case.get("dtype") or row.get("dtype")
    if dtype in FEATURES:
        found.add(dtype)
    if row.get("check") == "gradients":
        found.add("gradients")
    return found


def worst(counts: dict[str, int]) -> str:
    """The category a cell is coloured by; "" for a cell without checks."""
    return next((c for c in WORST if counts.get(c)), "")


def matrix(rows: list[dict]) -> list[dict]:
    """One entry per entry point (the ``adapter`` field), sorted: its backends and, for every
    feature of ``FEATURES`` in order, the count of its checks per category (zeros included)."""
    cells: dict[str, dict[str, collections.Counter]] = collections.defaultdict(
        lambda: {f: collections.Counter() for f in FEATURES})
    backends: dict[str, set[str]] = collections.defaultdict(set)
    for row in rows:
        adapter = str(row.get("adapter") or "")
        backends[adapter].add(str(row.get("backend") or ""))
        for feature in features(row):
            cells[adapter][feature][category(str(row.get("status") or ""))] += 1
    return [{"adapter": adapter, "backends": sorted(backends[adapter]),
             "features": {f: {c: cells[adapter][f][c] for c in CATEGORIES} for f in FEATURES}}
            for adapter in sorted(backends)]


def record(rows: list[dict]) -> dict:
    """report.json's ``feature_matrix``: the features and categories in order (the document's
    keys are sorted) and ``matrix(rows)``."""
    return {"features": list(FEATURES), "categories": list(CATEGORIES),
            "entry_points": matrix(rows)}
