"""What each work unit's tests cost, in seconds, from the runs before: so that the scheduler
hands out the costliest unit first (longest processing time first). xdist's own order is by
number of tests, and the quick profile's units range from a home with 1,230 checks at 0.12 s
each to one with 180 at 0.33 s, and replayed with two workers that order ended 25 s (10%)
later than longest first (benchmarks/RESULTS.md).

A unit is xdist's scope (``backend:<home>`` for a home's checks, the node id for another test).
Its figures are kept per test function within it (``key``: a home's forward checks apart from
its gradient checks and its explorations, which skip outside the full profile, so that a run of
a few entry points does not make the others' units look cheap) as tests and seconds (the whole
runtest protocol as xdist's worker timed it, a framework's start-up included), one file per
profile (which families run, whether the explorations do), in the tconv cache folder
(``adapters.CACHE``, the compilation caches' machine-local home; nothing is kept when that is
turned off). Merged after each run: what the run did not meet keeps its figures. A test never
measured in its profile costs what it cost in another (a first default-profile run is ordered
by the quick profile's figures), else the mean seconds per test of those measured; with nothing
recorded every test costs the same, and the order is xdist's. The files are a cache: one that
cannot be read is started afresh.
"""

from __future__ import annotations

import json
import os
from collections import OrderedDict
from pathlib import Path


def file(profile: str) -> str:
    return f"seconds-per-test.{profile}.json"


def key(unit: str, nodeid: str) -> str:
    """What a test's figures are kept under: its unit and its test function (the unit alone
    where the unit is the test)."""
    function = nodeid.split("[", 1)[0].rsplit("::", 1)[-1]
    return unit if unit == nodeid else f"{unit} {function}"


class Costs:
    """The recorded figures (``recorded``: key -> [tests, seconds]) and this run's."""

    def __init__(self, folder: str | os.PathLike | None, profile: str) -> None:
        self.path = Path(folder) / file(profile) if folder else None
        self.recorded = self._read(self.path)
        self.elsewhere: dict[str, list[float]] = {}     # the other profiles' figures
        others = self.path.parent.glob(file("*")) if self.path else ()
        for other in others:
            if other == self.path:
                continue
            for k, figures in self._read(other).items():
                if figures[0] > self.elsewhere.get(k, (0, 0.0))[0]:   # the most tests measured
                    self.elsewhere[k] = figures
        self.measured: dict[str, list[float]] = {}
        figures = list((self.recorded or self.elsewhere).values())
        tests = sum(n for n, _ in figures)
        self.mean = sum(s for _, s in figures) / tests if tests else 1.0

    @staticmethod
    def _read(path: Path | None) -> dict[str, list[float]]:
        try:
            data = json.loads(path.read_text()) if path else {}
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict):
            return {}
        return {k: [float(v[0]), float(v[1])] for k, v in data.items()
                if isinstance(v, list) and len(v) == 2
                and all(isinstance(x, (int, float)) for x in v) and v[0] > 0 and v[1] >= 0}

    def per_test(self, unit: str, nodeid: str) -> float:
        kept = key(unit, nodeid)
        tests, seconds = self.recorded.get(kept) or self.elsewhere.get(kept, (0, 0.0))
        return seconds / tests if tests else self.mean

    def cost(self, unit: str, tests: dict[str, bool]) -> float:
        """The expected seconds of a unit's tests not yet completed."""
        return sum(self.per_test(unit, nodeid) for nodeid, done in tests.items() if not done)

    def add(self, unit: str, nodeid: str, seconds: float) -> None:
        """A test of ``unit`` finished in ``seconds``."""
        figures = self.measured.setdefault(key(unit, nodeid), [0, 0.0])
        figures[0] += 1
        figures[1] += seconds

    def save(self) -> None:
        """This run's figures over the recorded ones (written whole: a run killed meanwhile
        leaves the old file)."""
        if self.path is None or not self.measured:
            return
        # Read again: another run may have written the file since this one started.
        merged = {**self._read(self.path),
                  **{k: [n, round(s, 6)] for k, (n, s) in self.measured.items()}}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        partial.write_text(json.dumps(merged, sort_keys=True))
        partial.replace(self.path)


def longest_first(queue: OrderedDict[str, dict[str, bool]], costs: Costs) -> None:
    """Order the queue of work units by expected seconds, the costliest first (stable: equal
    costs keep the queue's order)."""
    units = sorted(queue.items(), key=lambda unit: -costs.cost(*unit))
    queue.clear()
    queue.update(units)
