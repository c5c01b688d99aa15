"""Project-wide pytest configuration: hypothesis profiles, the conformance run's options and
its results writer. These live at the root because the root conftest is the one that every
process loads: ``pytest tests --results ...`` accepts the options as well as
``pytest tests/conformance ...``, and under xdist the controller, which never collects
``tests/conformance/``, still writes the results (``tests/conformance/conftest.py`` runs the
checks).

``ci`` (the default, used by ``make test``) is derandomized so that a run is reproducible;
``deep`` explores ten times more, with fresh random examples each run. Choose with
``--hypothesis-profile=deep`` or ``TCONV_HYPOTHESIS_PROFILE=deep``.
"""

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from reports.results import write_line

settings.register_profile(
    "ci", max_examples=100, deadline=None, derandomize=True, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "deep", max_examples=1000, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("TCONV_HYPOTHESIS_PROFILE", "ci"))


def examples(ci: int) -> int:
    """``ci`` examples in the ci profile, scaled by the same factor in the others."""
    return ci * settings().max_examples // 100


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tconv")
    group.addoption("--profile", default="quick", help="cases: quick, default or full")
    group.addoption("--backends", default="", help="comma-separated backends (default: all)")
    group.addoption("--adapters", default="", help="comma-separated adapter names")
    group.addoption("--dtypes", default="", help="comma-separated dtypes (default: all)")
    group.addoption("--devices", default="auto",
                    help="comma-separated check devices: cpu, cuda (the framework's default "
                         "float32 arithmetic), cuda-strict (TF32 off); auto (the default): cpu, "
                         "and both CUDA devices where an NVIDIA driver is present")
    group.addoption("--check-timeout", type=float, default=120.0,
                    help="seconds one framework call may take before it counts as a timeout")
    group.addoption("--results", default="",
                    help="append one JSON line per check to this file (results.jsonl)")
    group.addoption("--cases", default="",
                    help="run the cases of this TOML or JSON file instead of a profile's")
    group.addoption("--memory-cap", type=float, default=4096.0,
                    help="MiB: a case whose arrays would need more is refused before any "
                         "framework allocates them (default 4096)")
    group.addoption("--python", default="",
                    help="the interpreter (of another virtual environment) the framework "
                         "workers run from; default: this one")


def pytest_configure(config: pytest.Config) -> None:
    # xdist workers forward their reports to the controller, which writes; a worker does not.
    worker = hasattr(config, "workerinput")
    pytest_runtest_logreport.path = "" if worker else config.getoption("--results")
    if pytest_runtest_logreport.path:
        # The file exists from the start: a run killed before its first check leaves an
        # empty, readable results file.
        Path(pytest_runtest_logreport.path).parent.mkdir(parents=True, exist_ok=True)
        Path(pytest_runtest_logreport.path).touch()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Append each finished check to ``--results`` as one JSON line, flushed at once. Under
    xdist this runs in the controller (user_properties travel with the report), so one
    process writes the file and a run killed at any moment leaves every finished line whole."""
    path = getattr(pytest_runtest_logreport, "path", "")
    if not path or report.when != "call":
        return
    for key, row in report.user_properties:
        if key == "tconv":
            write_line(path, {**row, "pytest_outcome": report.outcome,
                              "duration_s": round(report.duration, 6)})
