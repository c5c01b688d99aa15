"""Adapters: one file per framework, one registry line per adapter file.

Each adapter module declares ``FRAMEWORKS``: its frameworks as data (``base.Framework``: the
distributions, the worker backends with their environments and compilation caches, the entry
points, the native padding keys, its part in the porting table). Everything else in tconv
(the engine, the reports, the upgrade comparison) reads its tables from these declarations,
derived here; nothing outside ``adapters/`` and ``oracle/rules/`` names a framework.

Adding a framework: its adapter file, its rule file in ``oracle/rules/``, and its line in
``MODULES``.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import os
from pathlib import Path

from tconv.adapters.base import Adapter, Conventions, Plan, Unsupported
from tconv.adapters.declarations import Backend, Framework, Nominal, Porting

# The registry: one line per adapter module.
MODULES = (
    "tconv.adapters.pytorch",
    "tconv.adapters.tensorflow",
    "tconv.adapters.jax",
    "tconv.adapters.keras",
    "tconv.adapters.onnx",
    "tconv.adapters.equinox",
    "tconv.adapters.torch_onnx",
    "tconv.adapters.openvino",
    "tconv.adapters.caffe",
    "tconv.adapters.pytensor",
    "tconv.adapters.theano",
    "tconv.adapters.paddle",
    "tconv.adapters.mindspore",
    "tconv.adapters.flax",
    "tconv.adapters.haiku",
    "tconv.adapters.tinygrad",
    "tconv.adapters.mlx",
    "tconv.adapters.tf_onnx",
    "tconv.adapters.keras_onnx",
    "tconv.adapters.tflite",
    "tconv.adapters.openvino_convert",
    "tconv.adapters.tract_onnx",
    "tconv.adapters.tinygrad_onnx",
    "tconv.adapters.tvm_onnx",
    "tconv.adapters.onnx2tf_convert",
    "tconv.adapters.torch_executorch",
    "tconv.adapters.torch_litert",
    "tconv.adapters.faults",
)


@functools.cache
def frameworks() -> tuple[Framework, ...]:
    """Every registered framework, in registry order (an adapter module imports its framework
    only inside its functions, in the framework's worker)."""
    return tuple(f for module in MODULES for f in importlib.import_module(module).FRAMEWORKS)


def _entry_points(testing: bool) -> dict[str, tuple[type, str]]:
    return {cls.name: (cls, backend) for f in frameworks() if f.testing == testing
            for cls, backend in f.entry_points}


# Entry point name -> (adapter class, backend); test-only ones (run only when named) apart.
REGISTRY: dict[str, tuple[type, str]] = _entry_points(False)
TESTING: dict[str, tuple[type, str]] = _entry_points(True)
# Backend name -> its declaration.
BACKENDS: dict[str, Backend] = {b.name: b for f in frameworks() for b in f.backends}
# The backends of test-only frameworks (never chosen by --backends).
TESTING_BACKENDS = frozenset(b.name for f in frameworks() if f.testing for b in f.backends)


def framework(name: str) -> Framework:
    """The framework an entry point, a backend or a package (``Framework.package``) belongs
    to."""
    for f in frameworks():
        if (name == f.package or any(b.name == name for b in f.backends)
                or any(cls.name == name for cls, _ in f.entry_points)):
            return f
    raise KeyError(name)


def load(name: str) -> Adapter:
    """The adapter registered under ``name``."""
    return {**REGISTRY, **TESTING}[name][0]()


def backend(name: str) -> str:
    return {**REGISTRY, **TESTING}[name][1]


def installed(backend_name: str) -> bool:
    """Whether the backend's package can be imported here (without importing it); for a
    backend with an environment of its own (``Backend.requirements``), whether its
    requirements file is there: the environment is then built on first use (or by ``tconv
    environments``), and a build that fails is an error (``environments.BuildError``), never a
    skip."""
    declared = BACKENDS[backend_name]
    if declared.requirements:
        from tconv.adapters import environments

        return environments.requirements(declared).is_file()
    return importlib.util.find_spec(declared.module) is not None


def padding_spelling(name: str, native: dict) -> dict:
    """The native parameters of a plan that spell its padding (the framework's declared
    ``native_keys``), for documents and ``tconv port``."""
    return {k: native[k] for k in framework(name).native_keys if native.get(k) is not None}


def version_distribution(backend_name: str) -> str:
    """The distribution whose version the backend's entry points report."""
    return framework(backend_name).distributions[0]


@functools.cache
def installed_version(backend_name: str) -> str:
    """The installed version of ``version_distribution`` where the backend's workers run: this
    environment, or the backend's own (``environments.version``); raises
    ``importlib.metadata.PackageNotFoundError`` where it is not installed (or not built)."""
    from importlib import metadata

    from tconv.adapters import environments

    distribution = version_distribution(backend_name)
    if BACKENDS[backend_name].requirements:
        return environments.version(backend_name, distribution)
    return metadata.version(distribution)


# The frameworks' persistent compilation caches, shared by every worker of every run on this
# machine, so that a second run does not compile again (benchmarks/harness.py --repeat-warm).
# A checkout keeps them in .tconv-cache/; an installed tconv in the user's cache folder.
# TCONV_CACHE_DIR moves them; TCONV_CACHE_DIR="" turns them off.
ROOT = Path(__file__).resolve().parent.parent
CHECKOUT = (ROOT / "pyproject.toml").is_file() and (ROOT / "oracle").is_dir()
_DEFAULT_CACHE = (ROOT / ".tconv-cache" if CHECKOUT else
                  Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "tconv")
CACHE = os.environ.get("TCONV_CACHE_DIR", str(_DEFAULT_CACHE))


def thread_environment(threads: int) -> dict[str, str]:
    """The environment that holds a framework worker to ``threads`` compute threads: OpenMP,
    MKL and OpenBLAS, the frameworks' own intra- and inter-op pools where they read the
    environment, and ``TCONV_THREADS`` for adapters that set a session option. XLA's own pool
    is left alone: its flags are part of the persistent compilation cache's key, so setting
    them per worker count made every ``-n`` compile afresh."""
    n = str(threads)
    return {"OMP_NUM_THREADS": n, "MKL_NUM_THREADS": n, "OPENBLAS_NUM_THREADS": n,
            "TF_NUM_INTRAOP_THREADS": n, "TF_NUM_INTEROP_THREADS": n, "TCONV_THREADS": n}


def environment(backend_name: str) -> dict[str, str]:
    """The backend's own environment, with its framework's compilation cache."""
    declared = BACKENDS[backend_name]
    caches = {k: v.format(cache=CACHE) for k, v in declared.caches.items()} if CACHE else {}
    return {**caches, **declared.environment}


__all__ = ["BACKENDS", "MODULES", "REGISTRY", "TESTING", "TESTING_BACKENDS", "Adapter",
           "Backend", "Conventions", "Framework", "Nominal", "Plan", "Porting", "Unsupported",
           "backend", "environment", "framework", "frameworks", "installed", "load",
           "installed_version", "padding_spelling", "version_distribution"]
