"""Reproducer scripts (``conformance/reproducer.py``): a results row back to its case, the inputs
rebuilt exactly, untrusted text kept out of the code, and real checks reproduced.

The end-to-end test writes the script of a sample of real checks (known discrepancies from
``tests/conformance/known_issues.toml``, and passing checks, at least one per backend), runs
each in a fresh interpreter and compares the printed ``status:`` line with the status the
registry records for that check (``pass`` where no entry matches).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from tconv import adapters
from tconv.adapters import Unsupported, environments
from tconv.cases.case import DTYPES, OutputShape
from tconv.cases.families import profile
from tconv.conformance.registry import load as load_registry
from tconv.conformance.reproducer import (
    case_from_record,
    file_name,
    inputs_script,
    main,
    reproducer,
    script,
)
from tconv.conformance.results import case_record

CASES = {case.id: case for case in profile("full")}

# (adapter, case id, check, text the output must also hold). The expected status is the
# registry's for the check, else pass.
SAMPLES = (
    # Known discrepancies, one or more per backend that has any.
    ("keras-jax.ops", "invalid/same-op2-ge-s2/float32", "forward", "forbid"),
    ("keras-torch.ops", "grid/1d-same-n4-k3-s1-d2-op1-g1-bias-b2/float32", "forward", "forbid"),
    # float64: in float16 TensorFlow refuses it only on CPUs without AVX512_FP16, where oneDNN
    # does not take the call (reports/conventions.CPU_FEATURES)
    ("keras-tensorflow.layer", "edge/k3-d3-s1/float64", "forward", "raised"),
    ("tf.nn.conv_transpose", "edge/k3-d3-s1/float64", "forward", "raised"),
    ("tf.nn.conv_transpose", "edge/nonsquare-2d/float32", "gradients", "raised"),
    ("onnxruntime", "invalid/empty-output/float32", "forward", "raised"),
    ("onnx.reference", "grid/1d-same-n4-k2-s2-d1-op0-gdepthwise-bias-b2/float32", "forward",
     "bound units"),
    ("onnx.reference.same_lower", "grid/2d-same-n4x2-k5-s4-d2-op1-gmulti-bias-b2/bfloat16",
     "forward", "raised"),
    ("mlx.functional", "edge/nonsquare-2d-op/float32", "gradients", "shape"),
    ("tinygrad.conv_transpose2d", "invalid/empty-output/float32", "forward", "raised"),
    ("onnx.onnx2tf.tflite", "edge/input1-k1-3d-channels/float32", "forward", "bound units"),
    # A case PyTorch's rules forbid (output_padding >= stride and dilation), refused.
    ("torch.functional", "invalid/op2-ge-s2-and-d1/float32", "forward",
     "refused as documented"),
    # Passing checks: every backend, each kind of reproducer script.
    ("torch.functional", "edge/groups2-in2-out3-3d/float16", "gradients", "bound units"),
    ("torch.module", "invalid/output-shape-below-range/float32", "forward",
     "refused as documented"),
    ("torch.module", "edge/batch2-channels-2d/float64", "forward", "bound units"),
    ("torch.channels_last", "edge/batch2-channels-2d/bfloat16", "forward", "bound units"),
    ("tf.function.jit", "edge/nonsquare-2d/float32", "forward", "bound units"),
    ("jax.conv_transpose", "invalid/negative-begin-and-end-2d/float64", "gradients",
     "bound units"),
    ("jax.conv_transpose.flipped", "edge/k3-d3-s1/float16", "forward", "bound units"),
    ("jax.conv_general_dilated", "edge/groups2-in2-out3-3d/float32", "forward", "bound units"),
    ("jax.jit", "edge/nonsquare-2d/bfloat16", "gradients", "bound units"),
    ("keras-tensorflow.ops", "edge/batch2-channels-2d/float32", "forward", "bound units"),
    ("keras-jax.layer", "edge/k3-d3-s1/float16", "forward", "bound units"),
    ("keras-torch.layer", "edge/batch2-channels-2d/float32", "forward", "bound units"),
    ("onnxruntime", "zoo/dcgan-tf-h4-64to3-k5s2-same/float16", "forward", "bound units"),
    ("onnx.reference", "edge/batch2-channels-2d/float64", "forward", "bound units"),
    # A backend in an environment of its own (adapters.environments): run there.
    ("paddle.functional", "grid/2d-same-n4x2-k5-s4-d2-op1-gmulti-bias-b2/float32", "forward",
     "shape"),
    ("paddle.layer", "edge/groups2-in2-out3-3d/float64", "gradients", "bound units"),
    ("onnx.onnx2tf.saved_model", "edge/depthwise-2d/float32", "forward", "bound units"),
    ("mlx.module", "edge/op1-s2-p1-3d/bfloat16", "gradients", "bound units"),
    ("mindspore.module", "edge/nonsquare-2d-op/float32", "forward", "mismatch"),
    ("mindspore.module", "edge/groups2-in2-out3-3d/float16", "gradients", "bound units"),
    ("mindspore.module", "edge/valid-k1-s2/float32", "gradients", "error"),
    ("mindspore.ops.conv3d_transpose", "edge/nonsquare-3d-op/float16", "gradients",
     "bound units"),
    ("tinygrad.conv_transpose2d", "edge/groups2-in2-out3-3d/float16", "gradients",
     "bound units"),
)

SCRIPT_TIMEOUT = 300  # seconds; a framework import on a loaded 2-core machine takes a while
STATUS = re.compile(r"^status: (\S+)", re.MULTILINE)


def row(adapter: str, case_id: str, check: str = "forward", observed: str = "mismatch",
        **fields) -> dict:
    """A synthetic results row (reports/results.py's fields that a reproducer reads)."""
    case = CASES[case_id]
    return {"check_id": f"{adapter}::{case_id}::{check}::cpu", "case_id": case_id,
            "case": json.loads(json.dumps(case_record(case))), "family": case.family,
            "dtype": case.dtype, "check": check, "adapter": adapter,
            "backend": adapters.backend(adapter), "framework_version": "0.0",
            "device": "cpu", "status": observed, "observed": observed, "detail": "",
            "known_issue": "", "error_message": "", **fields}


def registered_status(adapter: str, case_id: str, check: str) -> str:
    matched = [entry.status for entry in load_registry()
               if entry.check == check and entry.matches(adapter, case_id)]
    return matched[0] if matched else "pass"


# -- the case, the inputs, the text ---------------------------------------------------------


def test_case_from_record_round_trips_every_case() -> None:
    for case in CASES.values():
        record = json.loads(json.dumps(case_record(case)))
        assert case_from_record(record) == case, case.id
        assert case_from_record(record).source == case.source


@pytest.mark.parametrize("change", [
    {"dtype": "int8"},
    {"input_size": [4.5]},
    {"kernel": ["3"]},
    {"padding": "__import__('os')"},
    {"padding": [[1, 2, 3]]},
    {"bias": "True"},
])
def test_case_from_record_refuses_what_no_case_holds(change: dict) -> None:
    record = {**json.loads(json.dumps(case_record(CASES["edge/k3-d3-s1/float32"]))), **change}
    with pytest.raises((ValueError, TypeError)):
        case_from_record(record)


def test_case_from_record_reads_each_padding_form() -> None:
    base = json.loads(json.dumps(case_record(CASES["edge/k3-d3-s1/float32"])))
    assert case_from_record({**base, "padding": "SAME"}).padding == "SAME"
    assert case_from_record({**base, "padding": [[2, -1]]}).padding == ((2, -1),)
    assert case_from_record({**base, "padding": {"output_shape": [9]}}).padding == \
        OutputShape((9,))


@pytest.mark.parametrize("dtype", DTYPES)
def test_inputs_are_the_cases_arrays(dtype: str) -> None:
    for case_id in ("edge/groups2-in2-out3-3d", "zoo/unet-up4-128to64-k2s2",
                    "edge/k3-d3-s1"):
        case = CASES[f"{case_id}/{dtype}"]
        namespace = {"np": np}
        exec(inputs_script(case), namespace)
        for name, want in zip("xwb", case.arrays()):
            got = namespace[name]
            if want is None:
                assert got is None
            else:
                assert got.dtype == want.dtype and np.array_equal(got, want), (case.id, name)


def test_no_reproducer_for_a_pass_or_an_unsupported_check() -> None:
    assert reproducer(row("torch.functional", "edge/k3-d3-s1/float32", observed="pass")) is None
    assert reproducer(row("torch.functional", "edge/k3-d3-s1/float32",
                          observed="unsupported")) is None
    # A status the judge gives with no plan behind it (torch takes no padding strings).
    assert reproducer(row("torch.functional", "zoo/dcgan-tf-h4-64to3-k5s2-same/float32")) is None
    with pytest.raises(Unsupported):
        script(row("torch.functional", "zoo/dcgan-tf-h4-64to3-k5s2-same/float32"))


def test_recorded_text_stays_in_comments() -> None:
    marker = "INJECTED"
    hostile = f'x"""\n{marker} = __import__("os").system("false")\n"""'
    text = script(row("onnx.reference", "edge/k3-d3-s1/float32", detail=hostile,
                      framework_version=hostile, error_message=hostile))
    compile(text, "reproducer.py", "exec")
    lines = [line for line in text.splitlines() if marker in line]
    assert lines and all(line.lstrip().startswith("#") for line in lines)


def test_every_entry_point_writes_a_valid_script() -> None:
    """Every registered entry point, every quick case it plans, both checks where it has
    gradients: Python that compiles, with the verdict and the native call in it."""
    written = 0
    for name, adapter in ((n, adapters.load(n)) for n in adapters.REGISTRY):
        checks = ("forward", "gradients") if adapter.conventions.gradients else ("forward",)
        for case in profile("quick"):
            for check in checks:
                try:
                    text = script(row(name, case.id, check))
                except Unsupported:
                    continue
                compile(text, f"{name}-{case.id}-{check}.py", "exec")
                assert "\"status: error\"" in text and "from tconv.oracle import conv_transpose" in text
                # the judge itself, imported: no copy of its rule in the script
                assert "from tconv.conformance.judge import compare, worst" in text
                assert "0.01" not in text
                assert ("framework_gradients" if check == "gradients" else "def framework(") \
                    in text
                written += 1
    assert written > 20 * 40


def test_main_writes_a_script_per_check_that_did_not_pass(tmp_path, capsys) -> None:
    rows = [row("onnx.reference", "edge/k3-d3-s1/float32", observed="pass"),
            row("onnx.reference", "edge/groups2-in2-out1/float32", observed="error"),
            row("keras-jax.ops", "invalid/same-op2-ge-s2/float32", observed="accepted-invalid"),
            {**row("onnxruntime", "edge/k3-d3-s1/float32"), "adapter": "no.such.entry_point"}]
    results = tmp_path / "results.jsonl"
    results.write_text("".join(json.dumps(r) + "\n" for r in rows) + '{"cut short', "utf-8")
    assert main([str(results), "--out", str(tmp_path / "out")]) == 0
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == ["keras-jax.ops_invalid_same-op2-ge-s2_float32_forward_cpu.py",
                       "onnx.reference_edge_groups2-in2-out1_float32_forward_cpu.py"]
    assert "2 reproducers" in capsys.readouterr().out
    assert file_name({"check_id": "../../etc/passwd"}) == "etc_passwd.py"


# -- end to end: the scripts run and say what the run observed ------------------------------


def _run(sample: tuple[str, str, str, str]) -> str:
    adapter, case_id, check, _ = sample
    text = reproducer(row(adapter, case_id, check)) or ""
    backend = adapters.backend(adapter)   # its own interpreter, if it has one
    if environments.requirements(backend) is not None:
        environments.build(backend)
    done = subprocess.run([environments.interpreter(backend), "-c", text], capture_output=True,
                          text=True, timeout=SCRIPT_TIMEOUT, cwd="/",
                          env={**os.environ, **environments.worker_environment(backend)})
    return done.stdout + f"\n(exit {done.returncode}) " + done.stderr[-2000:]


def test_scripts_print_the_observed_status() -> None:
    """Run in parallel (each script pays its framework's import); every failure reported."""
    samples = [s for s in SAMPLES if adapters.installed(adapters.backend(s[0]))]
    if not samples:
        pytest.skip("no framework installed")
    with ThreadPoolExecutor(max_workers=3) as pool:
        outputs = list(pool.map(_run, samples))
    failures = []
    for (adapter, case_id, check, note), output in zip(samples, outputs):
        want = registered_status(adapter, case_id, check)
        found = STATUS.findall(output)
        if found != [want] or note not in output:
            failures.append(f"{adapter} {case_id} {check}: expected status {want!r}"
                            f"{f' and {note!r}' if note else ''}, got {found}:\n{output}")
    assert not failures, "\n\n".join(failures)
