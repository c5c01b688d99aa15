"""Standalone reproducer scripts for the checks of a conformance run that did not pass.

``reproducer(row)`` turns one line of ``results.jsonl`` (``conformance.results``) into a short
Python script that, run in a fresh interpreter where tconv is installed (``import tconv``; the
checkout installed, as in the project's virtual environment):

1. builds the case's inputs from its seed exactly as ``cases.case.Case.arrays()`` does;
2. makes the native framework call with the plan's native parameters: the adapter's ``script``
   (layout conversions, the call, bias the adapter's way, the output back to
   ``(N, C, *spatial)``), in the environment of the adapter's worker (``adapters.BACKENDS``;
   a backend with an interpreter of its own, ``adapters.environments``, says in the header how
   to run the script there);
3. computes the oracle's answer under the framework's documented window (``plan.canonical``)
   and its error bound;
4. prints the shapes, the largest error and the error in bound units, and the verdict line
   ``status: ...`` of tconv's own judge (``tconv.conformance.judge``, imported: the script
   carries no copy of its rule).

Gradient checks: the adapters that differentiate implement ``grad_script`` (the same call
differentiated by the framework's own autodiff), so a gradient row's script compares dx, dw and
dbias with ``oracle.conv_transpose_grad`` in units of ``oracle.gradient_bounds``, for the output
gradient the run used (seed + 1). An adapter without one gets the forward reproducer, with a
comment saying so.

``python -m tconv.conformance.reproducer RESULTS.jsonl... --out DIR`` writes one script per
check that did not pass (``write_all``), named after its check id.

Every value written into a script as code is the ``repr`` of an int, a string or a tuple taken
from the case and the plan, never text from a results line: what a framework wrote (exception
messages, the recorded detail) appears only inside comment lines, newlines removed.
"""

from __future__ import annotations

import argparse
import operator
import re
import sys
import textwrap
from collections.abc import Iterable
from pathlib import Path

from tconv import adapters
from tconv.adapters import Unsupported, environments
from tconv.cases.case import DTYPES, LAYOUTS, PADDING_MODES, Case, OutputShape
from tconv.conformance.results import read
from tconv.conformance.status import CLEAN, NO_ANSWER, STATUSES

# Statuses a reproducer is written for: everything but a pass and what was not run.
NO_REPRODUCER = CLEAN
COMMENT_LIMIT = 400  # characters of recorded text kept in a comment


def _ints(values: Iterable) -> tuple[int, ...]:
    # operator.index refuses floats and strings: a case's sizes are integers, nothing else.
    return tuple(operator.index(v) for v in values)


def _padding(padding: object) -> tuple[tuple[int, int], ...] | str | OutputShape:
    if isinstance(padding, str):
        if padding not in PADDING_MODES:
            raise ValueError(f"padding must be one of {PADDING_MODES}, pairs or "
                             f"{{'output_shape': [...]}}, got {padding!r}")
        return padding
    if isinstance(padding, dict):
        return OutputShape(_ints(padding["output_shape"]))
    pairs = tuple(_ints(pair) for pair in padding)
    if any(len(pair) != 2 for pair in pairs):
        raise ValueError(f"padding pairs must be (begin, end), got {padding!r}")
    return pairs


def case_from_record(record: dict) -> Case:
    """A results row's ``case`` (``results.case_record``: JSON lists, padding
    as a string, a list of pairs or ``{"output_shape": [...]}``) back to the ``Case``."""
    dtype, layout = record.get("dtype", "float32"), record.get("layout", "channels_first")
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {DTYPES}, got {dtype!r}")
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    if not isinstance(record["bias"], bool):
        raise ValueError(f"bias must be true or false, got {record['bias']!r}")
    return Case(family=str(record["family"]), name=str(record["name"]),
                batch=operator.index(record["batch"]),
                in_channels=operator.index(record["in_channels"]),
                out_channels=operator.index(record["out_channels"]),
                groups=operator.index(record["groups"]),
                input_size=_ints(record["input_size"]), kernel=_ints(record["kernel"]),
                stride=_ints(record["stride"]), dilation=_ints(record["dilation"]),
                padding=_padding(record["padding"]),
                output_padding=_ints(record["output_padding"]), bias=record["bias"],
                dtype=dtype, layout=layout, seed=operator.index(record.get("seed", 0)),
                source=str(record.get("source", "")))


def comment(text: object) -> str:
    """Recorded text made safe for one comment line: printable characters only, whitespace
    (newlines included) collapsed, cut at ``COMMENT_LIMIT``."""
    flat = " ".join("".join(c if c.isprintable() else " " for c in str(text)).split())
    return flat if len(flat) <= COMMENT_LIMIT else flat[:COMMENT_LIMIT] + "..."


def inputs_script(case: Case) -> str:
    """The lines that build ``x``, ``w``, ``b`` as ``Case.arrays()`` does (given ``import numpy
    as np``): the seed, the three ``standard_normal`` draws in order, rounding to the dtype."""
    if case.dtype == "bfloat16":
        # As cases.case.round_to: to float32 first, then to the nearest bfloat16 (even on
        # ties), held in float32 (NumPy has no bfloat16).
        rounding = ["    import ml_dtypes", "",
                    "    return a.astype(np.float32).astype(ml_dtypes.bfloat16)"
                    ".astype(np.float32)"]
    else:
        rounding = ["    return a.astype(dtype)"]
    x_shape = (case.batch, case.in_channels, *case.input_size)
    w_shape = (case.in_channels, case.out_channels // case.groups, *case.kernel)
    bias = (f"b = round_to(rng.standard_normal({case.out_channels!r}))  # (C_out,)"
            if case.bias else "b = None  # no bias")
    return "\n".join([
        f"dtype = {case.dtype!r}",
        f"seed = {case.seed!r}",
        "",
        "",
        "def round_to(a):",
        '    """The values rounded to dtype, as cases.case.round_to does."""',
        *rounding,
        "",
        "",
        "rng = np.random.default_rng(seed)",
        f"x = round_to(rng.standard_normal({x_shape!r}))  # (N, C_in, *spatial)",
        f"w = round_to(rng.standard_normal({w_shape!r}))  # (C_in, C_out/groups, *kernel)",
        bias])


def _window(case: Case, canonical: tuple[tuple[int, int, int], ...]) -> str:
    kwargs = dict(stride=case.stride, dilation=case.dilation, groups=case.groups,
                  padding=tuple((begin, end) for begin, end, _ in canonical),
                  output_padding=tuple(a for _, _, a in canonical))
    return "window = dict(" + ", ".join(f"{k}={v!r}" for k, v in kwargs.items()) + ")"


def _function(name: str, parameters: str, doc: str, body: str, results: str) -> str:
    """``body`` as the function ``name`` (one blank line at most, as inside a function)."""
    body = re.sub(r"\n{3,}", "\n\n", body)
    return "\n".join([f"def {name}({parameters}):", f'    """{doc}"""',
                      textwrap.indent(body, "    "), f"    return {results}"])


FORWARD_MAIN = '''
print(f"{ADAPTER} on {CASE_ID}")
try:
    y = framework(x, w, b)
except Exception as error:  # the framework refused the call
    y = None
    print(f"the framework raised {type(error).__name__}: {error}")
    print("status: pass (refused as documented)" if violation else "status: error")
if y is not None and violation:
    # As the judge: a forbidden case that computes is reported whatever its values (the
    # oracle's window may not even exist for it).
    print(f"output shape {y.shape}")
    print(f"the framework's documented rules forbid this case: {violation}")
    print("status: accepted-invalid")
elif y is not None:
    expected = conv_transpose(x, w, b, **window)
    bound = error_bound(x, w, b, dtype=dtype, **window)
    verdict = compare(y, expected, bound)  # tconv's judge
    print(f"output shape {y.shape}, expected (oracle) {expected.shape}")
    if verdict.status == "shape":
        print(f"status: shape ({y.shape}, expected {expected.shape})")
    else:
        print(f"max error {verdict.max_abs_error:.3g} = {verdict.bound_units:.3g} bound units")
        print(f"status: {verdict.status} (max error {verdict.max_abs_error:.3g} = "
              f"{verdict.bound_units:.3g} bound units)")
'''.strip()

GRADIENT_MAIN = '''
expected = conv_transpose(x, w, b, **window)
# The output gradient of the run: seeded by seed + 1, the oracle's output shape.
dy = round_to(np.random.default_rng(seed + 1).standard_normal(expected.shape))
want = conv_transpose_grad(x, w, dy, **window)
bounds = gradient_bounds(x, w, dy, dtype=dtype, **window)
print(f"{ADAPTER} on {CASE_ID} (gradients)")
try:
    got = framework_gradients(x, w, b, dy)
except Exception as error:  # the framework refused the call
    print(f"the framework raised {type(error).__name__}: {error}")
    print("status: error")
else:
    verdicts = []
    for name, g, e, bound in zip(("dx", "dw", "dbias"), got, want, bounds):
        if g is None:
            continue
        verdicts.append(compare(g, e, bound, name))  # tconv's judge
        print(f"{name}: shape {g.shape}, expected (oracle) {e.shape}; "
              f"max error {verdicts[-1].max_abs_error} = {verdicts[-1].bound_units} bound units")
    verdict = worst(verdicts)
    print(f"status: {verdict.status} ({verdict.detail or 'within the bound'})")
'''.strip()


def _header(row: dict, case: Case, gradients: bool, fallback: str) -> list[str]:
    observed = row.get("observed") or row.get("status")
    recorded = observed if observed in STATUSES else comment(observed)
    lines = [f"# tconv reproducer: {'gradient' if gradients else 'forward'} check of "
             f"{row['adapter']} on {comment(case.id)}.",
             f"# Recorded status: {recorded} (framework version "
             f"{comment(row.get('framework_version', '?'))}).",
             "# Generated by tconv (tconv.conformance.reproducer); run it where tconv is "
             "installed (`import tconv`).",
             "# It prints the verdict of tconv's own judge: `status: ...`."]
    if row.get("detail"):
        lines.append(f"# Recorded detail: {comment(row['detail'])}")
    if observed in NO_ANSWER:
        lines.append(f"# The run's worker {'died' if observed == 'crash' else 'hung'}: this "
                     "script is expected to do the same, not to print a status.")
    if case.source:
        lines.append(f"# Case source: {comment(case.source)}")
    if fallback:
        lines.append(f"# {fallback}")
    backend = adapters.backend(row["adapter"])
    if adapters.BACKENDS[backend].requirements:
        lines.append("# Its framework runs in an environment of its own (tconv environments): "
                     f"run it as `{comment(environments.command(backend))} SCRIPT.py`.")
    return lines


def reproducer(row: dict) -> str | None:
    """The standalone script for a results row, or None for a pass, an unsupported check, or a
    case the adapter no longer plans (``Unsupported``)."""
    if (row.get("observed") or row.get("status")) in NO_REPRODUCER:
        return None
    try:
        return script(row)
    except Unsupported:
        return None


def script(row: dict) -> str:
    """The standalone script for the check of any results row (``reproducer`` writes one for
    the rows that did not pass); raises ``Unsupported`` where the adapter cannot plan the
    case."""
    case = case_from_record(row["case"])
    name = row["adapter"]
    adapter = adapters.load(name)
    plan = adapter.plan(case)
    gradients, fallback = row.get("check") == "gradients", ""
    if gradients:
        try:
            native = adapter.grad_script(plan)
        except Unsupported:
            gradients = False
            fallback = ("The adapter has no gradient script: this reproduces the forward call; "
                        "the run took the gradient with the framework's own autodiff.")
    if not gradients:
        native = adapter.script(plan)
    environment = adapters.environment(adapters.backend(name))
    oracle = ("conv_transpose, conv_transpose_grad, gradient_bounds" if gradients
              else "conv_transpose, error_bound")
    imports = [f"import numpy as np\n\nfrom tconv.conformance.judge import compare, worst\n"
               f"from tconv.oracle import {oracle}"]
    if environment:
        imports[:0] = ["import os", "",
                       "# The environment of the adapter's worker (adapters.BACKENDS), before "
                       "any framework import.",
                       *(f"os.environ[{k!r}] = {v!r}" for k, v in environment.items()), ""]
    parts = [
        "\n".join([*_header(row, case, gradients, fallback), "", *imports, "",
                   f"ADAPTER = {name!r}", f"CASE_ID = {case.id!r}",
                   "# The framework's documented rule this case breaks (it should refuse it), "
                   "or ''.",
                   f"violation = {plan.violation!r}"]),
        inputs_script(case),
        "# The oracle's window: the framework's documented rule, per axis (begin, end, "
        f"output_padding) = {plan.canonical!r}\n" + _window(case, plan.canonical),
        _gradient_function(adapter, native) if gradients else _forward_function(adapter, native),
        GRADIENT_MAIN if gradients else FORWARD_MAIN,
    ]
    return "\n\n\n".join(parts) + "\n"


def _forward_function(adapter: adapters.Adapter, native: str) -> str:
    return _function("framework", "x, w, b",
                     f"{adapter.conventions.entry_point}: canonical NumPy inputs in, y "
                     "(N, C_out, *spatial) float64 out.", native, "y")


def _gradient_function(adapter: adapters.Adapter, native: str) -> str:
    return _function("framework_gradients", "x, w, b, dy",
                     f"{adapter.conventions.entry_point}, differentiated by the framework: "
                     "dx, dw, dbias (None without bias), float64, canonical layouts.",
                     native, "dx, dw, db")


def file_name(row: dict) -> str:
    """A file name for the row's script: its check id with every character but letters,
    digits, '.', '-' and '_' replaced (the id holds '/' and '::')."""
    check = str(row.get("check_id") or f"{row['adapter']}::{row.get('case_id', '')}")
    return re.sub(r"[^A-Za-z0-9._-]+", "_", check).strip("._") + ".py"


def write_all(rows: Iterable[dict], out: Path) -> list[Path]:
    """Every row's reproducer (the rows that did not pass) as a file under ``out``; a row no
    reproducer can be written for (an entry point or a case this checkout does not know) is
    left out."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for row in rows:
        try:
            text = reproducer(row)
        except (KeyError, TypeError, ValueError):
            continue
        if text is not None:
            path = out / file_name(row)
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    """Write one reproducer script per check that did not pass: python -m
    tconv.conformance.reproducer RESULTS.jsonl... --out DIR."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("results", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    rows, _ = read(args.results)
    written = write_all(rows, args.out)
    print(f"{len(written)} reproducers in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
