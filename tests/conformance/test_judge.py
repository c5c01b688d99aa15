"""The judge itself: each status is reachable, and a wrong answer cannot pass."""

from __future__ import annotations

import numpy as np

from tconv.adapters.base import Plan
from tconv.adapters.workers import Outcome
from tconv.cases.case import Case
from tconv.conformance.judge import judge, judge_gradients
from tconv.oracle import conv_transpose, conv_transpose_grad

CASE = Case("edge", "judge", 2, 2, 4, 2, (4, 3), (3, 2), (2, 1), (1, 2), ((1, 0), (0, 1)),
            (1, 0), True, "float32")
PLAN = Plan("x", CASE.id, {}, ((1, 0, 1), (0, 1, 0)))
X, W, B = CASE.arrays()
KW = dict(stride=CASE.stride, dilation=CASE.dilation, groups=CASE.groups,
          padding=((1, 0), (0, 1)), output_padding=(1, 0))
Y = conv_transpose(X, W, B, **KW)


def status(y=None, **outcome) -> str:
    return judge(CASE, PLAN, Outcome(outcome.pop("status", "ok"), y=y, **outcome), X, W, B).status


def test_forward_statuses() -> None:
    assert status(Y.astype(np.float32).astype(np.float64)) == "pass"
    assert status(np.roll(Y, 1, axis=-1)) == "mismatch"
    assert status(Y[..., :-1]) == "shape"
    assert status(Y * (1 + 1e-4)) == "precision"
    nan = Y.copy()
    nan.flat[3] = np.nan
    assert status(nan) == "mismatch"
    assert status(status="error", error_type="E", message="m") == "error"
    assert status(status="crash", message="died") == "crash"
    assert status(status="timeout", message="slow") == "timeout"
    forbidden = Plan("x", CASE.id, {}, PLAN.canonical, violation="rule")
    assert judge(CASE, forbidden, Outcome("error"), X, W, B).status == "pass"
    assert judge(CASE, forbidden, Outcome("ok", y=Y), X, W, B).status == "accepted-invalid"


def test_gradient_statuses() -> None:
    dy = np.random.default_rng(1).standard_normal(Y.shape)
    grads = conv_transpose_grad(X, W, dy, **KW)

    def grad_status(dx, dw, db) -> str:
        return judge_gradients(CASE, PLAN, Outcome("ok", grads=(dx, dw, db)), X, W, B, dy).status

    assert grad_status(*grads) == "pass"
    assert grad_status(np.roll(grads.x, 1, axis=-1), grads.w, grads.bias) == "mismatch"
    assert grad_status(grads.x, grads.w[..., ::-1], grads.bias) == "mismatch"   # flipped kernel
    assert grad_status(grads.x, grads.w, grads.bias[:-1]) == "shape"
    assert grad_status(grads.x, grads.w, None) == "pass"                        # no bias


def _rounded(a: np.ndarray, stored_bits: int) -> np.ndarray:
    """``a`` (float32 values) with its significand rounded to ``stored_bits`` bits, to nearest
    even: what a GPU's TF32 (10 bits) or bfloat16 (7 bits) path does to its inputs."""
    bits = a.astype(np.float32).view(np.uint32).astype(np.uint64)
    drop = 23 - stored_bits
    half, odd = (1 << (drop - 1)) - 1, (bits >> drop) & 1
    bits = ((bits + half + odd) >> drop) << drop
    return bits.astype(np.uint32).view(np.float32).astype(np.float64)


def test_tf32_bound_admits_tf32_inputs_and_nothing_coarser() -> None:
    """The default-precision CUDA checks widen the float32 bound by TF32's input rounding
    (adapters.devices): an answer computed from TF32-rounded inputs fails the float32 bound and
    passes the widened one; one from bfloat16-rounded inputs fails both."""
    def computed(stored_bits: int) -> np.ndarray:
        y = conv_transpose(_rounded(X, stored_bits), _rounded(W, stored_bits), B, **KW)
        return y.astype(np.float32).astype(np.float64)

    def judged(y, rounding):
        return judge(CASE, PLAN, Outcome("ok", y=y), X, W, B, rounding).status

    assert judged(computed(10), None) == "precision"
    assert judged(computed(10), "tf32") == "pass"
    assert judged(computed(7), "tf32") == "precision"
    dy = np.random.default_rng(1).standard_normal(Y.shape)
    grads = conv_transpose_grad(_rounded(X, 10), _rounded(W, 10), _rounded(dy, 10), **KW)

    def grad_status(rounding) -> str:
        return judge_gradients(CASE, PLAN, Outcome("ok", grads=tuple(grads)), X, W, B, dy,
                               rounding).status

    assert grad_status(None) == "precision" and grad_status("tf32") == "pass"
