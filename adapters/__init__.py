"""Adapters: one file per framework, one registry line per entry point.

``BACKENDS`` names each worker process: the package it needs and its environment (Keras runs
once per Keras backend). ``REGISTRY`` maps an entry point's name to ``"module:Class"`` and the
backend it runs in. Adding a framework: one adapter file, its lines here.
"""

from __future__ import annotations

import importlib
import importlib.util

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

# Test-only: misbehaves on request (tests/test_workers.py); never part of a conformance run.
TESTING: dict[str, tuple[str, str]] = {"faults": ("adapters.faults:Faults", "faults")}


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
    return BACKENDS[backend_name][1]


__all__ = ["BACKENDS", "REGISTRY", "Adapter", "Conventions", "Plan", "Unsupported", "backend",
           "environment", "installed", "load"]
