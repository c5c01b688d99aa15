"""The upgrade comparison: a real one on a light package (the ONNX reference evaluator, two
releases of ``onnx``), and its classification of registry entries across versions."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tconv import adapters
from tconv.adapters import environments
from tconv.adapters.conversion import Converter
from tconv.conformance import registry
from tconv.conformance.registry import Known
from tconv.reports import upgrade

ROOT = Path(__file__).resolve().parent.parent
OLD = "1.22.0"


def test_affected_backends_follow_the_package() -> None:
    # the reference evaluator, and the ONNX -> OpenVINO, tract, tinygrad and TVM paths (their
    # parts name onnx: the model file each loads is built with it)
    assert upgrade.affected("onnx") == ["onnx-reference", "openvino-convert", "tract",
                                        "tinygrad-onnx", "tvm", "onnx2tf"]
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
    assert upgrade.affected("ai-edge-litert") == ["tflite", "onnx2tf", "litert-torch"]
    assert upgrade.affected("executorch") == ["executorch"]
    # OpenVINO's own op and its converter paths
    assert upgrade.affected("openvino") == ["openvino", "openvino-convert"]
    # Caffe's layer runs in OpenCV's DNN module: the OpenCV wheel is what an upgrade moves
    assert upgrade.affected("opencv-python-headless") == ["caffe-opencv"]
    for package, backend in (("equinox", "equinox"), ("paddle", "paddle"),
                             ("paddlepaddle", "paddle"), ("flax", "flax"),
                             ("dm-haiku", "haiku"), ("pytensor", "pytensor"),
                             ("theano", "theano"), ("mlx", "mlx"), ("tract", "tract"),
                             ("apache-tvm", "tvm"), ("mindspore", "mindspore"),
                             ("onnx2tf", "onnx2tf")):
        assert upgrade.affected(package) == [backend]
    # tinygrad's own call and its ONNX frontend
    assert upgrade.affected("tinygrad") == ["tinygrad", "tinygrad-onnx"]


def test_a_converter_package_installs_itself_and_runs_its_paths() -> None:
    """An upgrade of a converter installs that converter at the version, never the path's
    other parts, and runs only the paths whose parts name it."""
    for package in ("onnxscript", "tf2onnx"):
        moved = upgrade.target(package)
        assert moved.requirements("0.1") == [f"{package}==0.1"]
        assert moved.entry_points
        for name in moved.entry_points:
            assert package in adapters.load(name).parts, name
        others = [n for n, (cls, _) in adapters.REGISTRY.items()
                  if issubclass(cls, Converter) and package in cls.parts]
        assert sorted(moved.entry_points) == sorted(others)
    # torch's ONNX -> OpenVINO paths do not use torch: an upgrade of torch leaves them out
    torch = upgrade.target("torch")
    assert "openvino-convert" in torch.backends
    assert all("torch" in adapters.load(n).parts for n in torch.entry_points
               if adapters.backend(n) == "openvino-convert")
    assert any(adapters.backend(n) == "openvino-convert" and n not in torch.entry_points
               for n in adapters.REGISTRY)


def test_every_package_names_one_thing_to_install() -> None:
    """Frameworks sharing a package (a framework and its converter paths) declare the same
    distributions, and a framework's distribution name means its package."""
    for name, package in upgrade.names().items():
        moved = upgrade.target(name)
        assert moved.package == package
        assert moved.distributions[0] in upgrade.names()
    assert upgrade.target("paddlepaddle") == upgrade.target("paddle")
    with pytest.raises(upgrade.UpgradeError, match="no framework declares"):
        upgrade.target("no-such-package")


def test_an_environment_of_its_own_is_built_with_the_pin_replaced(tmp_path, monkeypatch) -> None:
    """paddle declares its own environment: each side's requirements file is the backend's
    with the package's pin replaced, the others kept; a version equal to the pin builds the
    declared environment."""
    paddle = upgrade.target("paddlepaddle")
    assert paddle.environments == ("paddle",)
    path = environments.requirements("paddle")
    text = path.read_text()
    edited = upgrade.pinned(text, paddle.distributions, "3.2.0")
    assert "paddlepaddle==3.2.0" in edited.splitlines()
    assert [line for line in edited.splitlines() if not line.startswith("paddlepaddle==")] == \
        [line for line in text.splitlines() if not line.startswith("paddlepaddle==")]
    assert upgrade.pinned("Opt_Einsum==3.3.0\n", ("opt-einsum",), "3.4.0") == "Opt_Einsum==3.4.0\n"
    with pytest.raises(upgrade.UpgradeError, match="pins no numpy"):
        upgrade.pinned("paddlepaddle==3.3.1\n", ("numpy",), "2.0.0")
    built = []
    monkeypatch.setattr(environments, "build", lambda backend: built.append(backend))
    monkeypatch.setattr(environments, "root", lambda: tmp_path / "envs")
    pythons = [upgrade.backend_environment("paddle", paddle, v, tmp_path)
               for v in ("3.2.0", current_pin(text))]
    assert built[0].requirements == str(tmp_path / "paddle-paddle-3.2.0.txt")
    assert (tmp_path / "paddle-paddle-3.2.0.txt").read_text() == edited
    assert built[1] == adapters.BACKENDS["paddle"]           # the declared one, unchanged
    assert pythons[0] != pythons[1] and all(p.startswith(str(tmp_path / "envs")) for p in pythons)


def test_each_side_runs_each_environment_apart(tmp_path, monkeypatch) -> None:
    """The backends sharing this environment run from one venv per version; a backend with
    its own environment from its own, and no venv is built when only such backends run."""
    monkeypatch.setattr(upgrade, "environment", lambda p, v, c: f"venv {p} {v}")
    monkeypatch.setattr(upgrade, "backend_environment", lambda b, t, v, c: f"own {b} {v}")
    paddle = upgrade.target("paddlepaddle")
    assert upgrade._sides(paddle, ["paddle"], ("3.2.0", "3.3.1"), tmp_path) == [
        [(["paddle"], "own paddle 3.2.0")], [(["paddle"], "own paddle 3.3.1")]]
    mixed = upgrade.Target("x", ("x",), (), ("torch", "paddle"), ("paddle",))
    assert upgrade._sides(mixed, ["torch", "paddle"], ("1", "2"), tmp_path)[1] == [
        (["torch"], "venv x 2"), (["paddle"], "own paddle 2")]


def current_pin(text: str) -> str:
    return next(line.split("==")[1] for line in text.splitlines()
                if line.startswith("paddlepaddle=="))


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


TF2ONNX_OLD = "1.16.1"
CASES = """
[[cases]]
name = "same-k3-s2"
source = "tests/test_upgrade.py"
in_channels = 2
out_channels = 3
input_size = [4, 4]
kernel = 3
stride = 2
padding = "SAME"
dtype = "float32"

[[cases]]
name = "valid-k2-s3"
source = "tests/test_upgrade.py"
in_channels = 1
out_channels = 2
input_size = [5]
kernel = 2
stride = 3
padding = "VALID"
dtype = "float32"
"""


def test_a_converter_two_releases_side_by_side(tmp_path) -> None:
    """A real upgrade of a converter: tf2onnx at another release installed alone (never the
    path's TensorFlow or onnxruntime), one of its paths run on two cases on each side."""
    new = upgrade.installed_version("tf2onnx")
    if not new or new == TF2ONNX_OLD:
        pytest.skip(f"needs tf2onnx installed at another version than {TF2ONNX_OLD}")
    cases = tmp_path / "cases.toml"
    cases.write_text(CASES)
    out, cache = tmp_path / "upgrade", ROOT / ".tconv-venvs"
    run = subprocess.run(
        [sys.executable, "-m", "tconv.reports.cli", "upgrade", "tf2onnx", TF2ONNX_OLD, new,
         "--out", str(out), "--cache", str(cache), "--cases", str(cases), "--adapters",
         "tf.nn.conv_transpose.tf2onnx", "-n", "0"],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode in (0, 1), run.stderr[-2000:]
    report = json.loads((out / "upgrade.json").read_text())
    assert report["entry_points"] == ["tf.nn.conv_transpose.tf2onnx"]
    versions = [{registry.parts(r["framework_version"]).get("tf2onnx") for r in
                 map(json.loads, (out / "runs" / f"{v}.jsonl").read_text().splitlines())
                 if r["framework_version"]} for v in (TF2ONNX_OLD, new)]
    assert versions == [{TF2ONNX_OLD}, {new}]       # each side ran in its own environment
    assert report["checks"]["old"] == report["checks"]["new"] == 2
    # the old side's environment holds tf2onnx and nothing else of the path
    site = next((cache / f"tf2onnx-{TF2ONNX_OLD}" / "lib").glob("python*/site-packages"))
    installed = {p.name.split("-")[0].lower() for p in site.glob("*.dist-info")}
    assert installed == {"tf2onnx"}


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
