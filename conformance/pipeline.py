"""The one check pipeline: plan (controller), inputs, the call in the framework's worker, the
oracle, the judge, and the check's record. Forward and gradient checks, the cross-framework
table, the conventions probes and the porting checks all run through ``run``.

    python -m tconv.conformance.pipeline --profile default [--adapters ...] [--all]

prints one JSON line per check that did not pass (a survey outside pytest).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass

import numpy as np

from tconv import adapters
from tconv.adapters import Unsupported, devices
from tconv.adapters.base import Plan
from tconv.adapters.workers import Outcome, Workers
from tconv.cases.case import Case, round_to
from tconv.cases.families import profile
from tconv.cases.memory import refusal
from tconv.conformance.judge import Verdict, agree, judge, judge_gradients
from tconv.conformance.status import CLEAN, Status
from tconv.oracle.transpose import geometry

FORWARD, GRADIENTS = "forward", "gradients"

# The largest footprint (cases.memory) a check may have, in bytes; --memory-cap sets it.
memory_cap = 4096 * 2**20


@dataclass(frozen=True)
class Check:
    """How one check ended, and what it saw: the plan (``native``, ``canonical``,
    ``violation``; None where it was never planned) and, where the framework answered, its
    ``output`` (forward checks; not part of the record)."""

    adapter: str
    case: str
    status: Status
    detail: str
    call: str = ""
    version: str = ""
    verdict: Verdict | None = None
    timing: dict | None = None   # seconds: framework (in the worker), round trip, oracle
    precision: str = ""          # on CUDA: the float32 arithmetic asked for, and the evidence
    kind: str = FORWARD
    device: str = "cpu"
    plan: Plan | None = None
    output: np.ndarray | None = None
    # converter paths (adapters.conversion): the stage that raised, the source framework's
    # own answer compared with the converted model's, the converted file where not passed
    stage: str = ""
    source_output: dict | None = None
    artefact: tuple[str, bytes] | None = None


def _unsupported(name: str, case: Case, kind: str, device: str, why: str,
                 plan: Plan | None = None) -> Check:
    return Check(name, case.id, Status.UNSUPPORTED, why, kind=kind, device=device, plan=plan)


def _planned(name: str, case: Case, kind: str, device: str) -> tuple[adapters.Adapter,
                                                                      Plan | Check]:
    """The adapter and its plan for ``case``, or the ``unsupported`` check saying why not."""
    adapter = adapters.load(name)
    entry = adapter.conventions.entry_point

    def refused(why: str, plan: Plan | None = None) -> tuple[adapters.Adapter, Check]:
        return adapter, _unsupported(name, case, kind, device, why, plan)

    if devices.WORKER_DEVICE[device] not in adapter.conventions.devices:
        return refused(f"{entry} runs on {', '.join(adapter.conventions.devices)} only")
    too_large = refusal(case, memory_cap)
    if too_large:
        return refused(too_large)
    if kind == GRADIENTS and not adapter.conventions.gradients:
        return refused(f"gradients are not checked for {entry}")
    if case.dtype not in adapter.conventions.dtypes:
        return refused(f"{entry} takes no {case.dtype}")
    try:
        plan = adapter.plan(case)
    except Unsupported as reason:
        return refused(str(reason))
    if kind == GRADIENTS and plan.violation:
        return refused(f"forbidden: {plan.violation}", plan)
    return adapter, plan


@dataclass(frozen=True)
class Arithmetic:
    """How a check runs on its device: the worker's ``precision`` request ("" on the CPU), the
    input rounding the oracle's bound allows for (``"tf32"`` or None), and the record's text."""

    request: str = ""
    input_rounding: str | None = None
    text: str = ""


def _arithmetic(name: str, case: Case, worker, device: str) -> Arithmetic | str:
    """On CUDA: the float32 arithmetic of the check (``adapters.devices``), or why the
    framework sees no device (its own words)."""
    if devices.WORKER_DEVICE[device] == "cpu":
        return Arithmetic()
    cuda = worker.cuda(name)
    if not cuda["available"]:
        return f"no CUDA device: {cuda['detail']}"
    if device in devices.STRICT:
        return Arithmetic("strict", None, f"strict float32 (default: {cuda['setting']})")
    tf32 = case.dtype == "float32" and cuda["float32"] == "tf32"
    return Arithmetic("default", "tf32" if tf32 else None,
                      f"default, {cuda['float32']}: {cuda['setting']}")


def output_gradient(case: Case, plan: Plan) -> np.ndarray:
    """The seeded output gradient ``dy`` of a gradient check (seed + 1, the documented output
    shape, rounded to the case's dtype)."""
    shape = (case.batch, case.out_channels, *geometry(
        case.input_size, case.kernel, stride=case.stride, dilation=case.dilation,
        padding=[(begin, end) for begin, end, _ in plan.canonical],
        output_padding=[a for _, _, a in plan.canonical]).output_size)
    return round_to(np.random.default_rng(case.seed + 1).standard_normal(shape), case.dtype)


def run(name: str, case: Case, workers: Workers, *, kind: str = FORWARD,
        device: str = "cpu", arrays: tuple | None = None) -> Check:
    """One check of entry point ``name`` on ``case``: ``kind`` forward or gradients, on check
    device ``device``, with the case's seeded inputs or the given ``(x, w, b)``."""
    adapter, plan = _planned(name, case, kind, device)
    if isinstance(plan, Check):
        return plan
    worker = workers.get(adapters.backend(name), device)
    arithmetic = _arithmetic(name, case, worker, device)
    if isinstance(arithmetic, str):
        return _unsupported(name, case, kind, device, arithmetic, plan)
    x, w, b = case.arrays() if arrays is None else arrays
    if kind == GRADIENTS:
        dy = output_gradient(case, plan)
        outcome = worker.grad(name, plan.native, x, w, b, dy, case.dtype, arithmetic.request)
        start = time.perf_counter()
        verdict = judge_gradients(case, plan, outcome, x, w, b, dy, arithmetic.input_rounding)
    else:
        outcome = worker.call(name, plan.native, x, w, b, case.dtype, arithmetic.request)
        start = time.perf_counter()
        verdict = judge(case, plan, outcome, x, w, b, arithmetic.input_rounding)
    source = adapter.conventions.source
    return Check(name, case.id, verdict.status, verdict.detail, adapter.source(plan),
                 worker.version(name), verdict, _timing(outcome, start), arithmetic.text,
                 kind, device, plan, outcome.y, outcome.stage,
                 source_output(source, plan, outcome, x, w, b, case.dtype, workers, device)
                 if source else None,
                 outcome.artefact if verdict.status not in CLEAN else None)


def source_output(source: str, plan: Plan, outcome: Outcome, x, w, b, dtype: str,
                  workers: Workers, device: str) -> dict:
    """A converter path's second judgement: the source entry point's own answer on the same
    inputs and native parameters (in its own worker), against the converted model's."""
    answer = workers.get(adapters.backend(source), device).call(source, plan.native, x, w, b,
                                                                dtype)
    record = {"entry_point": source, "status": answer.status, "agree": None,
              "max_abs_difference": None}
    if answer.status != "ok":
        record["detail"] = f"{answer.error_type}: {answer.message}"[:400]
    elif outcome.status == "ok":
        same = answer.y.shape == outcome.y.shape
        record["agree"] = bool(same and agree(answer.y, outcome.y))
        record["max_abs_difference"] = (float(np.abs(answer.y - outcome.y).max(initial=0))
                                        if same else None)
    return record


def forward(name: str, case: Case, workers: Workers, device: str = "cpu") -> Check:
    return run(name, case, workers, device=device)


def gradients(name: str, case: Case, workers: Workers, device: str = "cpu") -> Check:
    """dx, dw, dbias through the framework's differentiation, for a seeded output gradient."""
    return run(name, case, workers, kind=GRADIENTS, device=device)


def _timing(outcome: Outcome, judged_from: float) -> dict:
    return {"framework_s": round(outcome.framework_seconds, 6),
            "round_trip_s": round(outcome.seconds, 6),
            "oracle_s": round(time.perf_counter() - judged_from, 6)}


def main(argv: list[str] | None = None) -> int:
    """Print one JSON line per check (for surveys; the test run is the suite)."""
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
                check = run(name, case, workers, kind=GRADIENTS if args.gradients else FORWARD)
                if args.all or check.status not in CLEAN:
                    print(json.dumps({"adapter": check.adapter, "case": check.case,
                                      "status": check.status, "detail": check.detail,
                                      "call": check.call, "version": check.version}),
                          flush=True)
    finally:
        workers.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
