"""One forward check, end to end: plan (controller), run (the framework's worker), judge."""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass

import numpy as np

import adapters
from adapters import Unsupported, devices
from adapters.workers import Workers
from cases.case import Case, OutputShape, round_to
from cases.families import profile
from cases.memory import refusal
from oracle.transpose import geometry
from reports.results import check_id
from tests.conformance import registry
from tests.conformance.judge import Verdict, judge, judge_gradients

# The largest footprint (cases.memory) a check may have, in bytes; --memory-cap sets it.
memory_cap = 4096 * 2**20


@dataclass(frozen=True)
class Check:
    adapter: str
    case: str
    status: str
    detail: str
    call: str = ""
    version: str = ""
    verdict: Verdict | None = None
    timing: dict | None = None   # seconds: framework (in the worker), round trip, oracle
    precision: str = ""          # on CUDA: the float32 arithmetic asked for, and the evidence


def _planned(name: str, case: Case, gradients: bool = False, device: str = "cpu"):
    """The adapter and its plan for ``case``, or the ``unsupported`` check saying why not."""
    adapter = adapters.load(name)
    entry = adapter.conventions.entry_point
    if devices.WORKER_DEVICE[device] not in adapter.conventions.devices:
        return adapter, Check(name, case.id, "unsupported",
                              f"{entry} runs on {', '.join(adapter.conventions.devices)} only")
    too_large = refusal(case, memory_cap)
    if too_large:
        return adapter, Check(name, case.id, "unsupported", too_large)
    if gradients and not adapter.conventions.gradients:
        return adapter, Check(name, case.id, "unsupported",
                              f"gradients are not checked for {entry}")
    if case.dtype not in adapter.conventions.dtypes:
        return adapter, Check(name, case.id, "unsupported", f"{entry} takes no {case.dtype}")
    try:
        plan = adapter.plan(case)
    except Unsupported as reason:
        return adapter, Check(name, case.id, "unsupported", str(reason))
    if gradients and plan.violation:
        return adapter, Check(name, case.id, "unsupported", f"forbidden: {plan.violation}")
    return adapter, plan


@dataclass(frozen=True)
class Arithmetic:
    """How a check runs on its device: the worker's ``precision`` request ("" on the CPU), the
    input rounding the oracle's bound allows for (``"tf32"`` or None), and the record's text."""

    request: str = ""
    input_rounding: str | None = None
    text: str = ""


def _arithmetic(name: str, case: Case, worker, device: str) -> Arithmetic | Check:
    """On CUDA: whether the framework sees a device (else the ``unsupported`` check with the
    framework's own reason) and the float32 arithmetic of the check (``adapters.devices``)."""
    if devices.WORKER_DEVICE[device] == "cpu":
        return Arithmetic()
    cuda = worker.cuda(name)
    if not cuda["available"]:
        return Check(name, case.id, "unsupported", f"no CUDA device: {cuda['detail']}")
    if device in devices.STRICT:
        return Arithmetic("strict", None, f"strict float32 (default: {cuda['setting']})")
    tf32 = case.dtype == "float32" and cuda["float32"] == "tf32"
    return Arithmetic("default", "tf32" if tf32 else None,
                      f"default, {cuda['float32']}: {cuda['setting']}")


def _prepared(name: str, case: Case, workers: Workers, device: str, gradients: bool = False):
    """The adapter, its plan, the worker and the check's arithmetic on ``device``, or the
    ``unsupported`` check saying why the check cannot run."""
    adapter, plan = _planned(name, case, gradients, device)
    if isinstance(plan, Check):
        return plan
    worker = workers.get(adapters.backend(name), device)
    arithmetic = _arithmetic(name, case, worker, device)
    if isinstance(arithmetic, Check):
        return arithmetic
    return adapter, plan, worker, arithmetic


def forward(name: str, case: Case, workers: Workers, device: str = "cpu") -> Check:
    prepared = _prepared(name, case, workers, device)
    if isinstance(prepared, Check):
        return prepared
    adapter, plan, worker, arithmetic = prepared
    x, w, b = case.arrays()
    outcome = worker.call(name, plan.native, x, w, b, case.dtype, arithmetic.request)
    start = time.perf_counter()
    verdict = judge(case, plan, outcome, x, w, b, arithmetic.input_rounding)
    return Check(name, case.id, verdict.status, verdict.detail, adapter.source(plan),
                 worker.version(name), verdict, _timing(outcome, start), arithmetic.text)


def gradients(name: str, case: Case, workers: Workers, device: str = "cpu") -> Check:
    """dx, dw, dbias through the framework's differentiation, for a seeded output gradient."""
    prepared = _prepared(name, case, workers, device, gradients=True)
    if isinstance(prepared, Check):
        return prepared
    adapter, plan, worker, arithmetic = prepared
    x, w, b = case.arrays()
    shape = (case.batch, case.out_channels, *geometry(
        case.input_size, case.kernel, stride=case.stride, dilation=case.dilation,
        padding=[(begin, end) for begin, end, _ in plan.canonical],
        output_padding=[a for _, _, a in plan.canonical]).output_size)
    dy = round_to(np.random.default_rng(case.seed + 1).standard_normal(shape), case.dtype)
    outcome = worker.grad(name, plan.native, x, w, b, dy, case.dtype, arithmetic.request)
    start = time.perf_counter()
    verdict = judge_gradients(case, plan, outcome, x, w, b, dy, arithmetic.input_rounding)
    return Check(name, case.id, verdict.status, verdict.detail, adapter.source(plan),
                 worker.version(name), verdict, _timing(outcome, start), arithmetic.text)


def _timing(outcome, judged_from: float) -> dict:
    return {"framework_s": round(outcome.framework_seconds, 6),
            "round_trip_s": round(outcome.seconds, 6),
            "oracle_s": round(time.perf_counter() - judged_from, 6)}


def case_record(case: Case) -> dict:
    """The case's parameters in the oracle's words, as JSON values."""
    record = asdict(case)
    padding = case.padding
    record["padding"] = (padding if isinstance(padding, str) else
                         {"output_shape": list(padding.size)} if isinstance(padding, OutputShape)
                         else [list(pair) for pair in padding])
    record["dims"] = case.dims
    return record


def _listed(shape: tuple[int, ...] | None) -> list[int] | None:
    return None if shape is None else list(shape)


def _number(value: float | None) -> float | str | None:
    """JSON has no infinity or NaN (a NaN output is infinitely many bound units off): those
    are written as the strings "inf" and "nan"."""
    return value if value is None or np.isfinite(value) else str(value)


def record(kind: str, result: Check, case: Case, known: str = "",
           device: str = "cpu") -> dict:
    """One line of results.jsonl (``reports.results``): what was checked, how it ended, and
    the evidence."""
    v = result.verdict or Verdict(result.status, result.detail)
    return {"check_id": check_id(result.adapter, case.id, kind, device),
            "case_id": case.id, "case": case_record(case), "family": case.family,
            "dtype": case.dtype, "check": kind, "adapter": result.adapter,
            "backend": adapters.backend(result.adapter),
            "entry_point": adapters.load(result.adapter).conventions.entry_point,
            "framework_version": result.version, "device": device,
            "precision": result.precision,
            "status": "known" if known else result.status, "observed": result.status,
            "detail": result.detail, "known_issue": known,
            "expected_shape": _listed(v.expected_shape), "actual_shape": _listed(v.actual_shape),
            "max_abs_error": _number(v.max_abs_error), "bound_units": _number(v.bound_units),
            "worst_index": _listed(v.worst_index),
            "error_type": v.error_type, "error_message": v.error_message,
            "call": result.call, "error_map": v.error_map, "timing": result.timing}


def conclude(kind: str, result: Check, known, case: Case, properties: list | None = None,
             device: str = "cpu") -> None:
    """The pytest verdict of one check: skip what is unsupported, strict-xfail what the
    registry expects (failing if it came out otherwise), and fail anything else but a pass.
    The check's record goes into ``properties`` (pytest's user_properties) first."""
    import pytest

    matched = registry.find(known, kind, result.adapter, case, device, result.status,
                            result.version)
    if properties is not None:
        evidence = matched.evidence if matched and matched.status == result.status else ""
        properties.append(("tconv", record(kind, result, case, evidence, device)))
    if result.status == "unsupported":
        pytest.skip(f"unsupported: {result.detail}")
    if matched is not None:
        if result.status != matched.status:
            pytest.fail(f"known issue ({matched.evidence}) expected {matched.status}, "
                        f"got {result.status}: {result.detail}")
        pytest.xfail(f"known: {matched.evidence}")
    assert result.status == "pass", (
        f"{result.status}: {result.detail}\n  case: {result.case}\n  call: {result.call}")


def main(argv: list[str] | None = None) -> int:
    """Print one JSON line per check (for surveys; the test run is tests/conformance)."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--profile", default="quick")
    parser.add_argument("--adapters", default=",".join(adapters.REGISTRY))
    parser.add_argument("--all", action="store_true", help="print passing checks too")
    parser.add_argument("--gradients", action="store_true", help="gradient checks instead")
    args = parser.parse_args(argv)
    workers = Workers()
    try:
        for name in args.adapters.split(","):
            for case in profile(args.profile):
                check = (gradients if args.gradients else forward)(name, case, workers)
                if args.all or check.status not in ("pass", "unsupported"):
                    row = asdict(check)
                    row.pop("verdict")
                    print(json.dumps(row), flush=True)
    finally:
        workers.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
