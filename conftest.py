"""The project's pytest configuration: hypothesis profiles. The conformance run's options,
parametrization and results writer are the ``tconv`` pytest plugin
(``conformance/plugin.py``, registered through the ``pytest11`` entry point), so the suite runs
the same from this checkout and from an installed tconv.

``ci`` (the default, used by ``make test``) is derandomized so that a run is reproducible;
``deep`` explores ten times more, with fresh random examples each run. Choose with
``--hypothesis-profile=deep`` or ``TCONV_HYPOTHESIS_PROFILE=deep``.
"""

import importlib
import importlib.abc
import importlib.util
import os
import sys


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """``tconv.oracle.X`` as the module ``oracle.X`` of mutmut's copy (mutants/oracle/).

    mutmut names a mutant ``oracle.taps.x_scatter__mutmut_3`` after its file and activates it
    only in a module of that ``__name__``; the installed name ``tconv.oracle`` points at the
    checkout's own, unmutated oracle/. So the copy is imported as ``oracle`` and each
    ``tconv.oracle`` name is made the same module object."""

    def find_spec(self, name, path, target=None):
        if name == "tconv.oracle" or name.startswith("tconv.oracle."):
            return importlib.util.spec_from_loader(name, self)
        return None

    def create_module(self, spec):
        return importlib.import_module(spec.name.removeprefix("tconv."))

    def exec_module(self, module) -> None:
        pass  # already executed under its own name


def _mutated_oracle() -> None:
    """Under ``make mutation`` (mutmut runs the tests in its copy of the checkout, mutants/,
    with ``MUTANT_UNDER_TEST`` set), ``tconv.oracle`` is the copy's mutated oracle/. This must
    run before anything imports ``tconv.oracle``: mutmut's pytest arguments therefore leave out
    the ``tconv`` plugin (pyproject's [tool.mutmut]), which imports it at start-up."""
    if "MUTANT_UNDER_TEST" not in os.environ or "tconv.oracle" in sys.modules:
        return
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    sys.meta_path.insert(0, _Alias())


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
