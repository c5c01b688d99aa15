"""Where the command line reads and writes by default, and how it starts the suite.

In a checkout of tconv (an editable install, as ``make`` makes), the defaults are the
checkout's own folders (``reports/latest``, ``reports/upgrades``, ``.tconv-venvs``); an
installed tconv writes below the current directory instead (``tconv-report/``, ...), never
into its own installation.
"""

from __future__ import annotations

from pathlib import Path

from tconv.adapters import CHECKOUT, ROOT

HOME = ROOT if CHECKOUT else Path.cwd()
LATEST = HOME / "reports" / "latest" if CHECKOUT else Path.cwd() / "tconv-report"

# The suite as pytest is told to run it: by package name, so that it runs from any
# directory; imported by importlib, so that no folder of tconv's is put on sys.path (which
# would make its subpackages importable under bare, shadowing names); no cache folder
# written beside the installed suite.
SUITE = ("--pyargs", "tconv.conformance.suite", "--import-mode=importlib",
         "-p", "no:cacheprovider")
