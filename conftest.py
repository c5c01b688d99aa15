"""The project's pytest configuration: hypothesis profiles. The conformance run's options,
parametrization and results writer are the ``tconv`` pytest plugin
(``conformance/plugin.py``, registered through the ``pytest11`` entry point), so the suite runs
the same from this checkout and from an installed tconv.

``ci`` (the default, used by ``make test``) is derandomized so that a run is reproducible;
``deep`` explores ten times more, with fresh random examples each run. Choose with
``--hypothesis-profile=deep`` or ``TCONV_HYPOTHESIS_PROFILE=deep``.
"""

import importlib.util
import os
import sys
from pathlib import Path


def _mutated_oracle() -> None:
    """Under ``make mutation``, mutmut runs the tests in its copy of the checkout (mutants/),
    where only oracle/ is mutated; the installed name ``tconv.oracle`` points at the
    checkout's own oracle/, so it is pointed at the copy here, before anything imports it."""
    here = Path(__file__).resolve().parent / "oracle"
    if "MUTANT_UNDER_TEST" not in os.environ or "tconv.oracle" in sys.modules:
        return
    spec = importlib.util.spec_from_file_location("tconv.oracle", here / "__init__.py",
                                                  submodule_search_locations=[str(here)])
    module = importlib.util.module_from_spec(spec)
    sys.modules["tconv.oracle"] = module
    importlib.import_module("tconv").oracle = module
    spec.loader.exec_module(module)


_mutated_oracle()

from hypothesis import HealthCheck, settings  # noqa: E402

from tconv.conformance.explore import examples  # noqa: E402

settings.register_profile(
    "ci", max_examples=100, deadline=None, derandomize=True, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "deep", max_examples=1000, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("TCONV_HYPOTHESIS_PROFILE", "ci"))

__all__ = ["examples"]
