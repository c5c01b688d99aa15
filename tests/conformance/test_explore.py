"""The exploration (``explore.py``) on every entry point, in the full profile only: a new
discrepancy fails its entry point's test with the minimal case (as a case-file table and
reproducible with ``tconv run --cases``), and its check goes into the results like any other.
"""

from __future__ import annotations

import pytest

import adapters
from conftest import examples
from tests.conformance.checks import record
from tests.conformance.explore import case_toml, explore

# Cases drawn per entry point (hypothesis's ci profile; ten times more with the deep one).
EXAMPLES = 150


def _entry_points() -> list[str]:
    return [name for name in adapters.REGISTRY if adapters.installed(adapters.backend(name))]


@pytest.mark.parametrize("name", _entry_points())
def test_explore(name, workers, known, request) -> None:
    options = request.config
    if options.getoption("--profile") != "full":
        pytest.skip("the exploration runs with --profile full")
    chosen = {v for v in options.getoption("--adapters").split(",") if v}
    backends = {v for v in options.getoption("--backends").split(",") if v}
    if (chosen and name not in chosen) or (backends and adapters.backend(name) not in backends):
        pytest.skip("not among the chosen adapters or backends")
    found = explore(name, workers, known, examples(EXAMPLES))
    if found is None:
        return
    case, check = found
    request.node.user_properties.append(("tconv", record("forward", check, case)))
    pytest.fail(f"new discrepancy, shrunk to a minimal case: {check.status}: {check.detail}\n"
                f"  call: {check.call}\n  as a case file (tconv run --cases FILE):\n"
                + case_toml(case), pytrace=False)
