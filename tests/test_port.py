"""``tconv port``: a verified translation of one layer between entry points, with the extra step
where the target cannot spell the window, the nearest entry point where it refuses, the
registry's discrepancies avoided, and a standalone script that checks itself."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tconv import adapters
from tconv.reports import weights

ROOT = Path(__file__).resolve().parent.parent


def tconv_port(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tconv.reports.cli", "port", *args],
                          capture_output=True, text=True, timeout=600, cwd=cwd or ROOT)


def _ported(*args: str) -> tuple[int, dict]:
    run = tconv_port(*args, "--json")
    return run.returncode, json.loads(run.stdout)


def _script_runs(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    script = tmp_path / "port.py"
    run = tconv_port(*args, "--script", str(script))
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "weights" in run.stdout and "verified" in run.stdout
    # the script needs no tconv: it runs from an empty folder with tconv's package hidden
    empty = tmp_path / "empty"
    empty.mkdir()
    checked = subprocess.run([sys.executable, "-c", "import sys; sys.modules['tconv'] = None; "
                              f"exec(open({str(script)!r}).read())"],
                             capture_output=True, text=True, timeout=600, cwd=empty)
    assert "import tconv" not in script.read_text()
    return checked


def test_dcgan_layer_from_pytorch_to_keras_with_a_script_that_checks_itself(tmp_path) -> None:
    layer = ("--from", "torch.module", "--to", "keras-jax.layer", "--input-size", "4", "4",
             "--kernel", "4", "--stride", "2", "--padding", "1", "--in-channels", "3",
             "--out-channels", "2", "--bias")
    status, port = _ported(*layer)
    assert status == 0 and port["verified"] and port["entry_point"] == "keras-jax.layer"
    assert port["window"] == [[1, 1, 0], [1, 1, 0]] and port["extra_step"] is None
    assert port["native"] == {"padding": "same"}
    assert port["weights"] == ["w = np.transpose(w, (2, 3, 1, 0))"]
    assert port["oracle_bound_units"] <= 1
    checked = _script_runs(tmp_path, *layer)
    assert checked.returncode == 0, checked.stdout + checked.stderr[-2000:]
    assert "largest difference" in checked.stdout


def test_a_window_the_target_cannot_spell_gets_a_slice_and_is_verified(tmp_path) -> None:
    """TensorFlow's SAME crops the odd element at the end; PyTorch's symmetric padding cannot:
    it computes the uncropped result and the port slices it."""
    layer = ("--from", "tf.nn.conv_transpose", "--to", "torch.functional", "--input-size", "5",
             "--kernel", "3", "--stride", "2", "--padding", "SAME")
    status, port = _ported(*layer)
    assert status == 0 and port["verified"], port
    assert port["window"] == [[0, 1, 0]] and port["asked_window"] == [[0, 0, 0]]
    assert port["extra_step"] == {"start": [0], "length": [10], "zeros_before": [0],
                                  "zeros_after": [0]}
    assert "extra step" in port["attempts"][-1]["reason"]
    checked = _script_runs(tmp_path, *layer)
    assert checked.returncode == 0, checked.stdout + checked.stderr[-2000:]


def test_a_path_with_a_registered_discrepancy_is_not_used() -> None:
    """onnxruntime's registered rule: output_padding >= stride is refused there although the
    specification allows output_padding < max(stride, dilation); the port asks it for the
    window without output_padding and appends the zeros the definition gives."""
    status, port = _ported("--from", "torch.functional", "--to", "onnxruntime",
                           "--input-size", "4", "--kernel", "3", "--dilation", "2",
                           "--output-padding", "1", "--padding", "0")
    assert status == 0 and port["verified"] and port["entry_point"] == "onnxruntime"
    assert port["window"] == [[0, 0, 1]] and port["asked_window"] == [[0, 0, 0]]
    assert port["extra_step"]["zeros_after"] == [1]
    assert "registered discrepancy" in port["attempts"][0]["reason"]


def test_a_refusing_target_points_to_the_nearest_entry_point_that_computes_it() -> None:
    """Keras's layers refuse a stride with a dilation; keras.ops.conv_transpose computes it."""
    status, port = _ported("--from", "torch.functional", "--to", "keras-jax.layer",
                           "--input-size", "4", "--kernel", "3", "--dilation", "2",
                           "--stride", "2", "--padding", "0")
    assert status == 0 and port["verified"]
    assert port["target"] == "keras-jax.layer" and port["entry_point"] == "keras-jax.ops"
    assert port["attempts"][0]["entry_point"] == "keras-jax.layer"
    assert port["attempts"][0]["outcome"] != "verified"


def test_no_translation_exits_1_and_says_why_for_each_entry_point() -> None:
    status, port = _ported("--from", "torch.functional", "--to", "tf.nn.conv_transpose",
                           "--input-size", "4", "--kernel", "3", "--groups", "2",
                           "--in-channels", "2", "--out-channels", "2", "--padding", "0")
    assert status == 1 and not port["verified"]
    tf = [cls.name for cls, _ in adapters.framework("tf.nn.conv_transpose").entry_points]
    assert [a["entry_point"] for a in port["attempts"]] == tf
    assert all(a["outcome"] in ("not expressible", "refused", "known")
               for a in port["attempts"])
    assert any("groups" in a["reason"] for a in port["attempts"])


@pytest.mark.parametrize("args, words", [
    (("--padding", "nonsense"), "--padding"),
    (("--stride", "-2"), "stride"),
    (("--padding", "SAME"), "torch.functional"),          # PyTorch takes no padding strings
    (("--padding", "1", "--output-shape", "9"), "--output-shape"),
])
def test_bad_input_is_one_line_and_exit_2(args, words) -> None:
    run = tconv_port("--from", "torch.functional", "--to", "onnxruntime", "--input-size", "4",
                     "--kernel", "3", *args)
    assert run.returncode == 2, run.stdout + run.stderr
    assert run.stderr.count("\n") == 1 and words in run.stderr, run.stderr
    assert "Traceback" not in run.stderr


def _apply(lines: list[str], w: np.ndarray) -> np.ndarray:
    scope = {"np": np, "w": w}
    for line in lines:
        exec(line, scope)  # the project's own generated NumPy lines (tests only)
    return scope["w"]


@pytest.mark.parametrize("groups", [1, 2, 3])
def test_weight_layouts_agree_with_what_the_adapters_do(groups: int) -> None:
    """The declared layouts' conversion code against the adapters' own conversions: JAX's
    regrouped, flipped (C_out, C_in/g, *k) kernel and TensorFlow's (*k, C_out, C_in); and a
    round trip through every pair of layouts returns the weight unchanged."""
    from tconv.adapters import jax as jax_adapter
    from tconv.adapters import tensorflow as tf_adapter

    rng = np.random.default_rng(groups)
    w = rng.standard_normal((2 * groups, 3, 4, 5))           # (C_in, C_out/g, kh, kw)
    cgd = adapters.load("jax.conv_general_dilated").conventions
    ours = _apply(weights.layout(cgd.kernel_axes, cgd.kernel_flipped, 2, groups), w)
    theirs = np.asarray(jax_adapter.regroup(w, groups))
    assert np.array_equal(ours.astype(theirs.dtype), theirs)  # jax computes in float32 here
    if groups == 1:
        tf = adapters.load("tf.nn.conv_transpose").conventions
        assert np.array_equal(_apply(weights.layout(tf.kernel_axes, tf.kernel_flipped, 2, 1), w),
                              np.transpose(w, tf_adapter.filter_axes(2)))
    names = [n for n in adapters.REGISTRY
             if groups == 1 or adapters.load(n).conventions.groups]
    for a in names:
        for b in names:
            ca, cb = adapters.load(a).conventions, adapters.load(b).conventions
            native_a = _apply(weights.layout(ca.kernel_axes, ca.kernel_flipped, 2, groups), w)
            native_b = _apply(weights.layout(cb.kernel_axes, cb.kernel_flipped, 2, groups), w)
            converted = _apply(weights.conversion(ca.kernel_axes, ca.kernel_flipped,
                                                  cb.kernel_axes, cb.kernel_flipped, 2, groups),
                               native_a)
            assert np.array_equal(converted, native_b), (a, b)
