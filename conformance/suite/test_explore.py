"""The exploration (``explore``) on every entry point, in the full profile only: a new
discrepancy fails its entry point's test with the minimal case (as a case-file table and
reproducible with ``tconv run --cases``), and its check goes into the results like any other.
"""

from __future__ import annotations

import pytest

from tconv import adapters
from tconv.conformance import results
from tconv.conformance.explore import case_toml, examples, explore
from tconv.conformance.plugin import SETTINGS, entry_points

# Cases drawn per entry point (hypothesis's ci profile; scaled by the profile in use).
EXAMPLES = 150


@pytest.mark.parametrize("name", list(adapters.REGISTRY))
def test_explore(name, tconv_workers, tconv_known, request) -> None:
    config = request.config
    if config.stash[SETTINGS].profile != "full":
        pytest.skip("the exploration runs with --profile full")
    if name not in entry_points(config):
        pytest.skip("not among the chosen (and installed) entry points")
    found = explore(name, tconv_workers, tconv_known, examples(EXAMPLES))
    if found is None:
        return
    case, check = found
    request.node.user_properties.append(("tconv", results.record(check, case)))
    pytest.fail(f"new discrepancy, shrunk to a minimal case: {check.status}: {check.detail}\n"
                f"  call: {check.call}\n  as a case file (tconv run --cases FILE):\n"
                + case_toml(case), pytrace=False)
