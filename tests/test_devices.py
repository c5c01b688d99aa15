"""Devices: which check devices a run takes, each framework's own answer about CUDA, the
float32 switches behind the CUDA checks, and the CUDA checks end to end (on a machine without
a GPU they are ``unsupported`` with the framework's reason, never silently run on the CPU)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tconv import adapters
from tconv.adapters import devices

ROOT = Path(__file__).resolve().parent.parent


def test_resolve(tmp_path: Path) -> None:
    absent, present = tmp_path / "absent", tmp_path / "version"
    present.write_text("NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15\n")
    assert devices.resolve("auto", absent) == ("cpu",)
    assert devices.resolve("auto", present) == ("cpu", "cuda", "cuda-strict")
    assert devices.resolve("cuda, cpu,cuda", absent) == ("cuda", "cpu")
    with pytest.raises(ValueError, match="--devices: unknown tpu; choose auto or from cpu"):
        devices.resolve("cpu,tpu", absent)
    with pytest.raises(ValueError, match="unknown \\(none\\)"):
        devices.resolve(",", absent)
    assert devices.applies("cuda-strict", "float32") and devices.applies("cuda", "float16")
    assert not devices.applies("cuda-strict", "float64")


def test_worker_environments() -> None:
    """A CPU worker sees no GPU; a CUDA worker lets JAX take one (its backend environment
    says JAX_PLATFORMS=cpu, the device's environment wins)."""
    from tconv.adapters.workers import Workers

    pool = Workers()
    cpu, cuda = pool.get("jax"), pool.get("jax", "cuda-strict")
    assert cpu.env["CUDA_VISIBLE_DEVICES"] == "" and cpu.env["JAX_PLATFORMS"] == "cpu"
    assert cuda.env["JAX_PLATFORMS"] == "cuda" and "CUDA_VISIBLE_DEVICES" not in cuda.env
    assert pool.get("jax", "cuda") is cuda and pool.get("jax", "cpu") is cpu


def test_onnxruntime_providers(monkeypatch: pytest.MonkeyPatch) -> None:
    from tconv.adapters import onnx

    monkeypatch.setattr(onnx, "_STRICT", {"strict": False})
    monkeypatch.setenv("TCONV_DEVICE", "cpu")
    assert onnx._providers() == ["CPUExecutionProvider"]
    monkeypatch.setenv("TCONV_DEVICE", "cuda")
    assert onnx._providers() == [("CUDAExecutionProvider", {})]
    onnx.set_precision(True)
    assert onnx._providers() == [("CUDAExecutionProvider", {"use_tf32": "0"})]


# Each framework's float32 switch, flipped to strict and back, in a fresh interpreter per
# framework (they never share a process): the API the CUDA checks rely on exists in the pinned
# versions and restores the framework's own default.
SWITCHES = {
    "torch": ("tconv.adapters.pytorch",
              "import torch; read = lambda: torch.backends.cudnn.conv.fp32_precision",
              ("tf32", "ieee")),
    "tensorflow": ("tconv.adapters.tensorflow",
                   "import tensorflow as tf; "
                   "read = tf.config.experimental.tensor_float_32_execution_enabled",
                   (True, False)),
    "jax": ("tconv.adapters.jax", "import jax; read = lambda: jax.config.jax_default_matmul_precision",
            (None, "float32")),
}


@pytest.mark.parametrize("backend", sorted(SWITCHES))
def test_precision_switch(backend: str) -> None:
    if not adapters.installed(backend):
        pytest.skip(f"{backend} is not installed")
    module, reader, (default, strict) = SWITCHES[backend]
    code = (f"import json, {module} as m; {reader}; seen = [read()]; m.set_precision(True); "
            "seen.append(read()); m.set_precision(False); seen.append(read()); "
            "print(json.dumps(seen))")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         timeout=300, env={**adapters.environment(backend),
                                           **_base_environment()})
    assert run.returncode == 0, run.stderr[-2000:]
    assert json.loads(run.stdout.splitlines()[-1]) == [default, strict, default]


def _base_environment() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k != "JAX_PLATFORMS"}


def test_cuda_checks_end_to_end(tmp_path: Path) -> None:
    """The CUDA checks of two entry points over the literature cases: ids carry the device,
    strict ones exist for float32 only, the NumPy evaluator is CPU-only by its conventions,
    and where the framework sees no CUDA device the reason is its own (its version named)."""
    results = tmp_path / "results.jsonl"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "conformance/suite/test_forward.py", "-m", "family_literature",
         "--adapters", "torch.functional,onnx.reference", "--devices", "cpu,cuda,cuda-strict",
         "--results", str(results)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode in (0, 1), run.stdout[-3000:] + run.stderr[-3000:]
    rows = [json.loads(line) for line in results.read_text().splitlines()]
    by_device = {d: [r for r in rows if r["device"] == d] for d in devices.DEVICES}
    assert len(by_device["cpu"]) == len(by_device["cuda"]) > 0
    assert {r["dtype"] for r in by_device["cuda-strict"]} == {"float32"}
    assert all(r["check_id"].endswith(f"::forward::{r['device']}") for r in rows)
    for row in by_device["cuda"] + by_device["cuda-strict"]:
        if row["adapter"] == "onnx.reference":
            assert row["status"] == "unsupported" and "runs on cpu only" in row["detail"]
        elif row["status"] == "unsupported":
            assert row["detail"].startswith("no CUDA device: torch 2.") or "padding" in \
                row["detail"], row["detail"]
        else:   # a GPU that torch sees: the arithmetic is recorded with its evidence
            assert "fp32_precision" in row["precision"]
    if not devices.driver():
        torch_cuda = [r for r in by_device["cuda"] if r["adapter"] == "torch.functional"]
        assert any(r["detail"].startswith("no CUDA device: torch") for r in torch_cuda)
    assert all(r["precision"] == "" for r in by_device["cpu"])
