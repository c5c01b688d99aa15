"""The oracle's own report, written by ``make report`` beside the conformance run's: what the
oracle's tests check, as a document. It lives with those tests (its independent formulations
are test code, and no product module may import tests).

- the exact vectors of ``semantics.md`` §3, each with the oracle's result;
- a seeded sweep of random configurations, the oracle against the three independent
  formulations of ``tests/oracle/formulations.py`` (largest disagreement per formulation);
- the documented padding vocabularies side by side: for a grid of sizes, the window each
  framework's SAME / VALID / default rule selects, as encoded in ``oracle.rules``.

Writes ``oracle.json`` and ``oracle.md`` into ``--out``; exits 1 if any check fails.

    python -m tests.oracle.report --out reports/latest [--cases 300] [--seed 0]
"""

from __future__ import annotations

import argparse
import itertools
import json
import platform
import sys
from pathlib import Path

import numpy as np

from tconv.cases.literature import VECTORS
from tconv.oracle import conv_transpose
from tconv.oracle.rules import Axis, Canonical, RuleViolation, jax, keras, onnx, tensorflow
from tests.oracle import formulations

FORMULATIONS = {"direct loop": formulations.direct, "explicit matrix": formulations.matrix,
                "zero insertion": formulations.zero_insertion}
TOLERANCE = 1e-12  # relative to the output's magnitude: float64 summation orders differ


def literature() -> list[dict]:
    rows = []
    for v in VECTORS:
        x = np.array(v.input, dtype=float)[None, None]
        w = np.array(v.kernel, dtype=float)[None, None]
        got = conv_transpose(x, w, stride=v.stride, padding=v.padding)[0, 0]
        expected = np.array(v.expected, dtype=float)
        ok = got.shape == expected.shape and bool(np.array_equal(got, expected))
        rows.append({"name": v.name, "stride": v.stride, "padding": v.padding,
                     "expected": expected.tolist(), "oracle": got.tolist(),
                     "status": "pass" if ok else "fail"})
    return rows


def random_config(rng: np.random.Generator) -> dict:
    dims = int(rng.integers(1, 4))
    groups = int(rng.integers(1, 4))
    c_in, per_group = groups * int(rng.integers(1, 3)), int(rng.integers(1, 3))
    n = rng.integers(1, 4 if dims == 3 else 6, dims)
    k = rng.integers(1, 4 if dims == 3 else 5, dims)
    s, d = rng.integers(1, 5, dims), rng.integers(1, 4, dims)
    full = (n - 1) * s + d * (k - 1) + 1
    a = np.array([rng.integers(0, si + di + 1) for si, di in zip(s, d)])
    b = np.array([rng.integers(-2, f + 1) for f in full])
    e = np.array([rng.integers(-2, f + ai - bi + 1) for f, ai, bi in zip(full, a, b)])
    return {"x": rng.standard_normal((int(rng.integers(1, 3)), c_in, *n)),
            "w": rng.standard_normal((c_in, per_group, *k)),
            "bias": rng.standard_normal(groups * per_group) if rng.integers(2) else None,
            "stride": tuple(map(int, s)), "dilation": tuple(map(int, d)),
            "pads": tuple((int(bi), int(ei)) for bi, ei in zip(b, e)),
            "output_padding": tuple(map(int, a)), "groups": groups}


def sweep(cases: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    worst = dict.fromkeys(FORMULATIONS, 0.0)
    failures = []
    for index in range(cases):
        c = random_config(rng)
        y = conv_transpose(c["x"], c["w"], c["bias"], stride=c["stride"], padding=c["pads"],
                           output_padding=c["output_padding"], dilation=c["dilation"],
                           groups=c["groups"])
        scale = np.abs(y).max(initial=0.0) + 1.0
        for name, fn in FORMULATIONS.items():
            other = fn(c["x"], c["w"], c["bias"], c["stride"], c["dilation"], c["pads"],
                       c["output_padding"], c["groups"])
            error = (np.inf if other.shape != y.shape
                     else float(np.abs(other - y).max(initial=0.0) / scale))
            worst[name] = max(worst[name], error)
            if error > TOLERANCE:
                failures.append({"case": index, "formulation": name, "error": error})
    return {"cases": cases, "seed": seed, "tolerance": TOLERANCE,
            "max_relative_error": worst, "failures": failures,
            "status": "pass" if not failures else "fail"}


def _window(fn) -> dict:
    try:
        c: Canonical = fn()
    except RuleViolation as error:
        return {"refused": str(error)}
    return {"begin": c.begin, "end": c.end, "output_padding": c.output_padding}


def vocabularies() -> list[dict]:
    """SAME-like and VALID-like windows per framework, per the documented rules."""
    rows = []
    for n, k, s, d in itertools.product((3, 4), (1, 2, 3, 4), (1, 2, 3), (1, 2)):
        a = Axis(n, k, s, d)
        rows.append({
            "n": n, "k": k, "s": s, "d": d, "full": a.full,
            "tensorflow SAME (output_shape n*s)": _window(
                lambda a=a: tensorflow.output_shape(a, "SAME", a.n * a.s)),
            "tensorflow VALID (smallest output_shape)": _window(
                lambda a=a: tensorflow.output_shape(a, "VALID", a.full)),
            "keras same": _window(lambda a=a: keras.padding(a, "same")),
            "keras valid": _window(lambda a=a: keras.padding(a, "valid")),
            "jax SAME": _window(lambda a=a: jax.conv_transpose(a, "SAME")),
            "jax VALID": _window(lambda a=a: jax.conv_transpose(a, "VALID")),
            "onnx SAME_UPPER": _window(lambda a=a: onnx.conv_transpose(a, "SAME_UPPER")),
            "onnx SAME_LOWER": _window(lambda a=a: onnx.conv_transpose(a, "SAME_LOWER")),
        })
    return rows


def _cell(w: dict) -> str:
    if "refused" in w:
        return "refused"
    return f"({w['begin']}, {w['end']}, {w['output_padding']})"


def markdown(report: dict) -> str:
    lines = ["# tconv oracle report", "",
             f"numpy {report['numpy']}, Python {report['python']}; status: **{report['status']}**",
             "", "## Exact vectors (semantics.md §3)", "", "| vector | status |", "|---|---|"]
    lines += [f"| {r['name']} | {r['status']} |" for r in report["literature"]]
    sw = report["sweep"]
    lines += ["", f"## Independent formulations: {sw['cases']} random cases (seed {sw['seed']})",
              "", "| formulation | largest error / (max output + 1) | status |", "|---|---|---|"]
    for name, error in sw["max_relative_error"].items():
        bad = any(f["formulation"] == name for f in sw["failures"])
        lines.append(f"| {name} | {error:.2e} | {'fail' if bad else 'pass'} |")
    keys = [k for k in report["vocabularies"][0] if k not in ("n", "k", "s", "d", "full")]
    lines += ["", "## Documented SAME / VALID windows, as (begin, end, output_padding)", "",
              "From `oracle.rules` (the frameworks' documentation and source, cited there); "
              "what the frameworks actually do is probed by the conformance run.", "",
              "| n | k | s | d | L | " + " | ".join(keys) + " |",
              "|" + "---|" * (5 + len(keys))]
    for r in report["vocabularies"]:
        cells = [str(r[c]) for c in ("n", "k", "s", "d", "full")]
        cells += [_cell(r[k]) for k in keys]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the oracle's own report.")
    parser.add_argument("--out", default="reports/latest")
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    lit, sw = literature(), sweep(args.cases, args.seed)
    ok = all(r["status"] == "pass" for r in lit) and sw["status"] == "pass"
    report = {"schema": "tconv-oracle-report/1", "status": "pass" if ok else "fail",
              "numpy": np.__version__, "python": platform.python_version(),
              "literature": lit, "sweep": sw, "vocabularies": vocabularies()}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "oracle.json").write_text(json.dumps(report, indent=2) + "\n")
    (out / "oracle.md").write_text(markdown(report))
    print(f"oracle report: {report['status']}: {len(lit)} exact vectors, {sw['cases']} random "
          f"cases x {len(FORMULATIONS)} formulations -> {out}/oracle.md, {out}/oracle.json")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
