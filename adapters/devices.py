"""Devices, as data: where a check runs, and in which float32 arithmetic.

A check's device is one of ``DEVICES``:

- ``cpu``: always.
- ``cuda``: the framework's *default* arithmetic on its first CUDA device. For float32 the
  frameworks default to TensorFloat-32 convolutions on GPUs that have it (inputs rounded to 10
  stored bits, float32 accumulation); which default each one reports is recorded with every
  check (its ``precision`` field) and the oracle's bound is widened by exactly that input
  rounding (``oracle.error_bound(..., input_rounding="tf32")``), nothing else.
- ``cuda-strict``: float32 cases only, with TF32 turned off through the framework's own switch,
  judged by the plain float32 bound.

Each check device runs in its own worker processes (``adapters.workers``): a CPU worker sees no
GPU at all (``CUDA_VISIBLE_DEVICES=""``), so that TensorFlow and Keras's torch backend, which
place work on a visible GPU by themselves, stay on the CPU; a CUDA worker lets JAX use the GPU
and keeps JAX and TensorFlow from reserving all of its memory at start-up. Whether a framework
sees a CUDA device is asked of the framework, in its worker (``Adapter.cuda``): a CPU-only
build answers with its reason, and its CUDA checks are ``unsupported`` with that reason.
"""

from __future__ import annotations

import os
from pathlib import Path

DEVICES = ("cpu", "cuda", "cuda-strict")
# Each check device: the worker's device, and whether TF32 is turned off.
WORKER_DEVICE = {"cpu": "cpu", "cuda": "cuda", "cuda-strict": "cuda"}
STRICT = frozenset({"cuda-strict"})
# The strict devices differ only in float32 arithmetic: they apply to float32 cases only.
FLOAT32_ONLY = STRICT

ENVIRONMENT: dict[str, dict[str, str]] = {
    "cpu": {"CUDA_VISIBLE_DEVICES": "", "TCONV_DEVICE": "cpu"},
    "cuda": {"JAX_PLATFORMS": "cuda", "XLA_PYTHON_CLIENT_PREALLOCATE": "false",
             "TF_FORCE_GPU_ALLOW_GROWTH": "true", "TCONV_DEVICE": "cuda"},
}

# The NVIDIA kernel driver's version file: present wherever a CUDA device can be used.
DRIVER = Path("/proc/driver/nvidia/version")


def driver(path: Path = DRIVER) -> str:
    """The NVIDIA driver's version line, or "" where the machine has none (no CUDA device)."""
    try:
        return path.read_text().splitlines()[0].strip()
    except (OSError, IndexError):
        return ""


def resolve(option: str, path: Path = DRIVER) -> tuple[str, ...]:
    """The check devices ``--devices`` asks for. ``auto`` (the default): the CPU, and CUDA in
    both precisions where the machine has an NVIDIA driver. Devices named explicitly are
    checked even without a driver: each framework then says itself why it has no CUDA device.
    Raises ValueError, naming the accepted values, for an unknown device."""
    if option in ("", "auto"):
        return DEVICES if driver(path) else ("cpu",)
    chosen = tuple(dict.fromkeys(v.strip() for v in option.split(",") if v.strip()))
    unknown = [d for d in chosen if d not in DEVICES]
    if unknown or not chosen:
        raise ValueError(f"--devices: unknown {', '.join(unknown) or '(none)'}; choose auto or "
                         f"from {', '.join(DEVICES)}")
    return chosen


def applies(device: str, dtype: str) -> bool:
    """Whether a check device applies to a case of ``dtype``."""
    return device not in FLOAT32_ONLY or dtype == "float32"


def worker_device() -> str:
    """Worker side: the device this worker was started for (``ENVIRONMENT``'s
    ``TCONV_DEVICE``; "cpu" outside a worker)."""
    return os.environ.get("TCONV_DEVICE", "cpu")


def environment(device: str) -> dict[str, str]:
    """The environment a worker for ``device`` (a check device) starts with."""
    return ENVIRONMENT[WORKER_DEVICE[device]]
