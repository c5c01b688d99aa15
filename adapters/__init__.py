"""Adapters: one file per framework, one registry line per entry point.

``BACKENDS`` names each worker process: the package it needs and its environment (Keras runs
once per Keras backend). ``REGISTRY`` maps an entry point's name to ``"module:Class"`` and the
backend it runs in. Adding a framework: one adapter file, its lines here.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from pathlib import Path

from adapters.base import Adapter, Conventions, Plan, Unsupported

BACKENDS: dict[str, tuple[str, dict[str, str]]] = {
    "torch": ("torch", {}),
    "tensorflow": ("tensorflow", {"TF_CPP_MIN_LOG_LEVEL": "2"}),
    "jax": ("jax", {"JAX_ENABLE_X64": "1", "JAX_PLATFORMS": "cpu"}),
    "onnxruntime": ("onnxruntime", {}),
    "onnx-reference": ("onnx", {}),
    "keras-tensorflow": ("keras", {"KERAS_BACKEND": "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "2"}),
    "keras-jax": ("keras", {"KERAS_BACKEND": "jax", "JAX_ENABLE_X64": "1",
                            "JAX_PLATFORMS": "cpu"}),
    "keras-torch": ("keras", {"KERAS_BACKEND": "torch"}),
    "faults": ("numpy", {}),
}

REGISTRY: dict[str, tuple[str, str]] = {
    "torch.functional": ("adapters.pytorch:Functional", "torch"),
    "torch.module": ("adapters.pytorch:Module", "torch"),
    "torch.channels_last": ("adapters.pytorch:ChannelsLast", "torch"),
    "torch.compile": ("adapters.pytorch:Compiled", "torch"),
    "tf.nn.conv_transpose": ("adapters.tensorflow:NN", "tensorflow"),
    "tf.nn.conv_transpose.nchw": ("adapters.tensorflow:NCHW", "tensorflow"),
    "tf.function.jit": ("adapters.tensorflow:Jit", "tensorflow"),
    "jax.conv_transpose": ("adapters.jax:ConvTranspose", "jax"),
    "jax.conv_transpose.flipped": ("adapters.jax:ConvTransposeFlipped", "jax"),
    "jax.conv_general_dilated": ("adapters.jax:ConvGeneralDilated", "jax"),
    "jax.jit": ("adapters.jax:Jit", "jax"),
    "keras-tensorflow.ops": ("adapters.keras:KerasOpsTensorflow", "keras-tensorflow"),
    "keras-jax.ops": ("adapters.keras:KerasOpsJax", "keras-jax"),
    "keras-torch.ops": ("adapters.keras:KerasOpsTorch", "keras-torch"),
    "keras-tensorflow.layer": ("adapters.keras:KerasLayerTensorflow", "keras-tensorflow"),
    "keras-jax.layer": ("adapters.keras:KerasLayerJax", "keras-jax"),
    "keras-torch.layer": ("adapters.keras:KerasLayerTorch", "keras-torch"),
    "onnxruntime": ("adapters.onnx:OnnxRuntime", "onnxruntime"),
    "onnxruntime.same_lower": ("adapters.onnx:OnnxRuntimeSameLower", "onnxruntime"),
    "onnx.reference": ("adapters.onnx:Reference", "onnx-reference"),
    "onnx.reference.same_lower": ("adapters.onnx:ReferenceSameLower", "onnx-reference"),
}

# The frameworks' persistent compilation caches, shared by every worker of every run on this
# machine, so that a second run does not compile again (benchmarks/harness.py --repeat-warm):
# JAX's compilation cache (keyed by the program, jax/jaxlib versions and flags), TorchInductor's
# (keyed by the graph and torch's version), TF XLA's persisted executables. TCONV_CACHE_DIR
# moves them; TCONV_CACHE_DIR="" turns them off.
ROOT = Path(__file__).resolve().parent.parent
_CACHE = os.environ.get("TCONV_CACHE_DIR", str(ROOT / ".tconv-cache"))
COMPILE_CACHES: dict[str, dict[str, str]] = {} if not _CACHE else {
    "jax": {"JAX_COMPILATION_CACHE_DIR": f"{_CACHE}/jax",
            # every compilation, however quick: a run is thousands of small ones
            "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
            "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "0"},
    "torch": {"TORCHINDUCTOR_CACHE_DIR": f"{_CACHE}/inductor"},
    "tensorflow": {"TF_XLA_FLAGS": f"--tf_xla_persistent_cache_directory={_CACHE}/tf-xla"},
}
# The framework behind each backend, for its cache (Keras: its backend's).
FRAMEWORK = {"torch": "torch", "tensorflow": "tensorflow", "jax": "jax",
             "keras-tensorflow": "tensorflow", "keras-jax": "jax", "keras-torch": "torch"}


def thread_environment(threads: int) -> dict[str, str]:
    """The environment that holds a framework worker to ``threads`` compute threads: OpenMP,
    MKL and OpenBLAS (PyTorch, NumPy), TensorFlow's intra- and inter-op pools, and
    ``TCONV_THREADS`` for onnxruntime's session option (adapters/onnx.py). XLA's own pool (JAX,
    TF XLA) is left alone: its flags are part of the persistent compilation cache's key, so
    setting them per worker count made every ``-n`` compile afresh."""
    n = str(threads)
    return {"OMP_NUM_THREADS": n, "MKL_NUM_THREADS": n, "OPENBLAS_NUM_THREADS": n,
            "TF_NUM_INTRAOP_THREADS": n, "TF_NUM_INTEROP_THREADS": n, "TCONV_THREADS": n}


# Test-only: misbehaves on request (tests/test_workers.py); never part of a conformance run.
TESTING: dict[str, tuple[str, str]] = {"faults": ("adapters.faults:Faults", "faults"),
                                       "faults.swapped": ("adapters.faults:Swapped", "faults")}


def load(name: str) -> Adapter:
    """The adapter registered under ``name``."""
    target, _ = {**REGISTRY, **TESTING}[name]
    module, cls = target.split(":")
    return getattr(importlib.import_module(module), cls)()


def backend(name: str) -> str:
    return {**REGISTRY, **TESTING}[name][1]


def installed(backend_name: str) -> bool:
    """Whether the backend's package can be imported here (without importing it)."""
    return importlib.util.find_spec(BACKENDS[backend_name][0]) is not None


def environment(backend_name: str) -> dict[str, str]:
    """The backend's own environment, with its framework's compilation cache."""
    return {**COMPILE_CACHES.get(FRAMEWORK.get(backend_name, ""), {}),
            **BACKENDS[backend_name][1]}


__all__ = ["BACKENDS", "REGISTRY", "Adapter", "Conventions", "Plan", "Unsupported", "backend",
           "environment", "installed", "load"]
