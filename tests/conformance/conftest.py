"""The conformance run: every case of the chosen profile against every chosen adapter, each
framework in its own worker process (``adapters.workers``)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import adapters
from adapters import devices
from adapters.workers import Workers
from cases import userfile
from cases.case import DTYPES
from cases.families import ALL_FAMILIES, profile
from tests.conformance import checks, registry


def _chosen(config: pytest.Config, option: str) -> set[str]:
    return {v for v in config.getoption(option).split(",") if v}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    for fixture in ("check", "grad_check"):
        if fixture in metafunc.fixturenames:
            metafunc.parametrize(fixture, _params(metafunc.config, fixture == "grad_check"))


def _params(config: pytest.Config, gradients: bool) -> list:
    backends, names = _chosen(config, "--backends"), _chosen(config, "--adapters")
    dtypes = _chosen(config, "--dtypes")
    chosen_devices = config.stash[DEVICES]
    params = []
    # Test-only adapters (adapters.TESTING) run only when named in --adapters.
    for name in [*adapters.REGISTRY, *(n for n in adapters.TESTING if n in names)]:
        if (backends and adapters.backend(name) not in backends) or (names and name not in names):
            continue
        if not adapters.installed(adapters.backend(name)):
            continue
        if gradients and not adapters.load(name).conventions.gradients:
            continue
        for case in _cases(config):
            if dtypes and case.dtype not in dtypes:
                continue
            marks = [getattr(pytest.mark, marker("backend", adapters.backend(name))),
                     getattr(pytest.mark, marker("family", case.family)),
                     getattr(pytest.mark, marker("dtype", case.dtype))]
            for device in chosen_devices:
                if not devices.applies(device, case.dtype):
                    continue
                # CPU checks keep the ids they had before devices existed.
                suffix = "" if device == "cpu" else f"::{device}"
                params.append(pytest.param(
                    (name, case, device), id=f"{name}::{case.id}{suffix}",
                    marks=[*marks, getattr(pytest.mark, marker("device", device))]))
    return params


# The --cases file's cases, loaded (and so validated) once, when the options are checked.
USER_CASES = pytest.StashKey[tuple]()
# The check devices --devices resolves to (adapters.devices.resolve), likewise.
DEVICES = pytest.StashKey[tuple]()


def _cases(config: pytest.Config) -> tuple:
    if config.getoption("--cases"):
        return config.stash[USER_CASES]
    return profile(config.getoption("--profile"))


def marker(kind: str, value: str) -> str:
    return f"{kind}_{value}".replace("-", "_")


def _check_options(config: pytest.Config) -> None:
    """Wrong options: one line naming the option and the accepted values (pytest's usage
    error, exit status 4), before any framework starts."""
    known = {"--backends": set(adapters.BACKENDS) - {"faults"},
             "--adapters": set(adapters.REGISTRY) | set(adapters.TESTING), "--dtypes": set(DTYPES)}
    for option, allowed in known.items():
        unknown = _chosen(config, option) - allowed
        if unknown:
            raise pytest.UsageError(f"{option}: unknown {', '.join(sorted(unknown))}; choose "
                                    f"from {', '.join(sorted(allowed))}")
    if config.getoption("--profile") not in ("quick", "default", "full"):
        raise pytest.UsageError(f"--profile: unknown {config.getoption('--profile')}; choose "
                                "from quick, default, full")
    if config.getoption("--check-timeout") <= 0:
        raise pytest.UsageError("--check-timeout: must be a positive number of seconds")
    if config.getoption("--memory-cap") <= 0:
        raise pytest.UsageError("--memory-cap: must be a positive number of MiB")
    if config.getoption("--python") and not Path(config.getoption("--python")).is_file():
        raise pytest.UsageError(f"--python: no such interpreter {config.getoption('--python')}")
    try:
        config.stash[DEVICES] = devices.resolve(config.getoption("--devices"))
    except ValueError as error:
        raise pytest.UsageError(str(error)) from None
    if config.getoption("--cases"):
        try:
            config.stash[USER_CASES] = userfile.load(config.getoption("--cases"))
        except userfile.CaseFileError as error:
            raise pytest.UsageError(str(error)) from None


def pytest_configure(config: pytest.Config) -> None:
    _check_options(config)
    checks.memory_cap = int(config.getoption("--memory-cap") * 2**20)
    values = {"backend": adapters.BACKENDS, "family": (*ALL_FAMILIES, userfile.FAMILY),
              "dtype": DTYPES, "device": devices.DEVICES}
    for kind, names in values.items():
        for name in names:
            config.addinivalue_line("markers", f"{marker(kind, name)}: checks of {kind} {name}")


@pytest.fixture(scope="session")
def workers(request: pytest.FixtureRequest):
    pool = Workers(timeout=request.config.getoption("--check-timeout"),
                   python=request.config.getoption("--python") or sys.executable)
    yield pool
    pool.close()


@pytest.fixture(scope="session")
def known() -> list[registry.Known]:
    return registry.load()
