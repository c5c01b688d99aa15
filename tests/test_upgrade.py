"""The upgrade comparison: a real one on a light package (the ONNX reference evaluator, two
releases of ``onnx``), and its classification of registry entries across versions."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tconv.conformance.registry import Known
from tconv.reports import upgrade

ROOT = Path(__file__).resolve().parent.parent
OLD = "1.22.0"


def test_affected_backends_follow_the_package() -> None:
    assert upgrade.affected("onnx") == ["onnx-reference"]
    # Keras on each backend, its ONNX export on two, and the TFLite path from a Keras model
    assert upgrade.affected("keras") == ["keras-tensorflow", "keras-jax", "keras-torch",
                                         "keras-tensorflow-onnx", "keras-torch-onnx", "tflite"]
    # every backend whose computation runs on JAX: its own, Keras on JAX, Equinox, Flax, Haiku
    assert upgrade.affected("jax") == ["jax", "keras-jax", "equinox", "flax", "haiku"]
    # every backend that runs or converts TensorFlow's graph
    assert upgrade.affected("tensorflow") == ["tensorflow", "keras-tensorflow", "tf2onnx",
                                              "keras-tensorflow-onnx", "tflite"]
    # every backend that runs or exports a torch model
    assert upgrade.affected("torch") == ["torch", "keras-torch", "torch-onnx",
                                         "keras-torch-onnx", "openvino-convert", "executorch",
                                         "litert-torch"]
    # the runtime of every converter path to ONNX
    assert upgrade.affected("onnxruntime") == ["onnxruntime", "torch-onnx", "tf2onnx",
                                               "keras-tensorflow-onnx", "keras-torch-onnx"]
    assert upgrade.affected("tf2onnx") == ["tf2onnx", "keras-tensorflow-onnx"]
    # LiteRT runs the TFLite files of both converters to TFLite
    assert upgrade.affected("ai-edge-litert") == ["tflite", "litert-torch"]
    assert upgrade.affected("executorch") == ["executorch"]
    # OpenVINO's own op and its converter paths
    assert upgrade.affected("openvino") == ["openvino", "openvino-convert"]
    # Caffe's layer runs in OpenCV's DNN module: the OpenCV wheel is what an upgrade moves
    assert upgrade.affected("opencv-python-headless") == ["caffe-opencv"]
    for package, backend in (("equinox", "equinox"), ("paddle", "paddle"), ("flax", "flax"),
                             ("dm-haiku", "haiku"), ("pytensor", "pytensor"),
                             ("theano", "theano"), ("tinygrad", "tinygrad"), ("mlx", "mlx")):
        assert upgrade.affected(package) == [backend]


def test_onnx_two_releases_side_by_side(tmp_path) -> None:
    new = upgrade.installed_version("onnx")
    if new == OLD:
        pytest.skip(f"onnx {OLD} is the installed version")
    out = tmp_path / "upgrade"
    run = subprocess.run(
        [sys.executable, "-m", "tconv.reports.cli", "upgrade", "onnx", OLD, new, "--out", str(out),
         "--cache", str(ROOT / ".tconv-venvs"), "--profile", "quick", "--adapters",
         "onnx.reference", "-n", "0"], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert run.returncode in (0, 1), run.stderr[-2000:]
    report = json.loads((out / "upgrade.json").read_text())
    assert (run.returncode == 1) == bool(report["regressions"])
    versions = [{r["framework_version"] for r in map(json.loads, (out / "runs" / f"{v}.jsonl")
                                                     .read_text().splitlines())} - {""}
                for v in (OLD, new)]
    assert versions == [{OLD}, {new}]       # each side ran in its own environment
    assert report["checks"]["old"] == report["checks"]["new"] > 50
    assert f"# Upgrade onnx {OLD} -> {new}" in (out / "upgrade.md").read_text()
    assert {e["adapter"] for e in report["registry"]} >= {"onnx.reference"}


def _row(adapter: str, case_id: str, status: str, version: str) -> dict:
    return {"check_id": f"{adapter}::{case_id}::forward::cpu", "adapter": adapter,
            "case_id": case_id, "check": "forward", "status": status,
            "observed": "mismatch" if status == "known" else status,
            "framework_version": version, "actual_shape": [1, 1, 4], "bound_units": 0.1}


def test_registry_entries_fixed_and_broken(monkeypatch) -> None:
    fixed = Known("keras-torch.ops", "edge/a/*", "mismatch", "<3.15", "fixed upstream")
    broken = Known("keras-torch.ops", "edge/b/*", "mismatch", ">=3.15", "new upstream")
    monkeypatch.setattr(upgrade, "_registry", lambda: type("R", (), {
        "load": staticmethod(lambda: [fixed, broken])}))
    old = [_row("keras-torch.ops", "edge/a/float32", "known", "3.14.0"),
           _row("keras-torch.ops", "edge/b/float32", "pass", "3.14.0")]
    new = [_row("keras-torch.ops", "edge/a/float32", "pass", "3.15.0"),
           _row("keras-torch.ops", "edge/b/float32", "known", "3.15.0")]
    report = upgrade.compare(old, new, "3.14.0", "3.15.0")
    states = {e["evidence"]: (e["state"], e["covers"]) for e in report["registry"]}
    assert states == {"fixed upstream": ("fixed in new", [True, False]),
                      "new upstream": ("broken in new", [False, True])}
    assert [c["check_id"] for c in report["regressions"]] == [new[1]["check_id"]]
    assert [c["check_id"] for c in report["improvements"]] == [new[0]["check_id"]]
