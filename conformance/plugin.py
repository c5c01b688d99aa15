"""The pytest plugin of the conformance run, registered as the ``tconv`` entry point of
``pytest11`` (so a framework's own CI runs the suite after ``pip install``):

    pytest --pyargs tconv.conformance.suite [--profile quick|default|full] [--backends ...]

It declares the options (``options.OPTIONS``), checks them before any framework starts,
parametrizes the suite's checks (every case of the profile against every chosen entry point
and device, with ``backend_*``, ``family_*``, ``dtype_*`` and ``device_*`` markers), provides
the session's workers and registry, turns each check into its pytest verdict (``conclude``),
and writes ``--results``: one JSON line per check, by the controller under xdist (a run
killed at any moment leaves every finished line whole). ``--fresh-results`` empties the file
once the options are known to be right, so that a rejected run loses nothing, and with it the
log files an earlier run left in ``TCONV_LOG_DIR`` (``adapters.logs``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tconv import adapters
from tconv.adapters import devices, logs
from tconv.adapters.workers import Workers
from tconv.cases import userfile
from tconv.cases.case import DTYPES
from tconv.cases.families import ALL_FAMILIES, profile
from tconv.conformance import costs, options, pipeline, progress, registry, results
from tconv.conformance.status import Status

SETTINGS = pytest.StashKey[options.Settings]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tconv", "tconv conformance run")
    for option in options.OPTIONS:
        group.addoption(option.flag, **option.arguments())
    group.addoption("--fresh-results", action="store_true",
                    help="empty the --results file before the first check (once the options "
                         "have been checked)")


def marker(kind: str, value: str) -> str:
    return f"{kind}_{value}".replace("-", "_")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    values = {o.dest: config.getoption(o.dest) for o in options.OPTIONS}
    try:
        config.stash[SETTINGS] = options.settings(values)
    except options.OptionError as error:
        raise pytest.UsageError(str(error)) from None
    pipeline.memory_cap = config.stash[SETTINGS].memory_cap
    names = {"backend": adapters.BACKENDS, "family": (*ALL_FAMILIES, userfile.FAMILY),
             "dtype": DTYPES, "device": devices.DEVICES}
    for kind, values_ in names.items():
        for name in values_:
            config.addinivalue_line("markers", f"{marker(kind, name)}: checks of {kind} {name}")
    # xdist workers forward their reports to the controller, which writes; a worker does not.
    path = "" if hasattr(config, "workerinput") else config.getoption("results")
    pytest_runtest_logreport.path = path
    if path:
        # The file exists from the start: a run killed before its first check leaves an
        # empty, readable results file.
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        if config.getoption("fresh_results"):
            Path(path).write_text("")
            logs.clear()
        Path(path).touch()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_logreport(report: pytest.TestReport):
    """Append each finished check to ``--results`` as one JSON line, flushed at once. Under
    xdist this runs in the controller (user_properties travel with the report). Once every
    other plugin has seen the report (the progress, xdist sending it on), the record leaves
    it: pytest keeps every report to the end of the session, and 58,200 records of about
    10 KiB each made the controller 3.6 GiB (benchmarks/RESULTS.md)."""
    path = getattr(pytest_runtest_logreport, "path", "")
    if path and report.when == "call":
        for key, row in report.user_properties:
            if key == "tconv":
                results.write_line(path, {**row, "pytest_outcome": report.outcome,
                                          "duration_s": round(report.duration, 6)})
    try:
        return (yield)
    finally:
        report.user_properties = without_record(report.user_properties)


def without_record(properties: list) -> list:
    """``properties`` less the check's record (the ``tconv`` entry)."""
    return [p for p in properties if p[0] != "tconv"]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """The check's record travels in its call report alone: the item (which the session
    keeps) and the teardown report, which copies the item's properties, leave it."""
    report = yield
    if call.when == "call":
        item.user_properties[:] = without_record(item.user_properties)
    return report


def cases(config: pytest.Config) -> tuple:
    chosen = config.stash[SETTINGS]
    return chosen.cases if config.getoption("cases") else profile(chosen.profile)


def entry_points(config: pytest.Config) -> list[str]:
    """The chosen, installed entry points (test-only ones only when named)."""
    chosen = config.stash[SETTINGS]
    names = [*adapters.REGISTRY, *(n for n in adapters.TESTING if n in chosen.adapters)]
    return [n for n in names
            if (not chosen.backends or adapters.backend(n) in chosen.backends)
            and (not chosen.adapters or n in chosen.adapters)
            and adapters.installed(adapters.backend(n))]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    for fixture, kind in (("tconv_check", pipeline.FORWARD),
                          ("tconv_gradient_check", pipeline.GRADIENTS)):
        if fixture in metafunc.fixturenames:
            metafunc.parametrize(fixture, _params(metafunc.config, kind))


def _params(config: pytest.Config, kind: str) -> list:
    chosen = config.stash[SETTINGS]
    params = []
    for name in entry_points(config):
        if kind == pipeline.GRADIENTS and not adapters.load(name).conventions.gradients:
            continue
        few = (adapters.BACKENDS[adapters.backend(name)].quick_families
               if chosen.profile == "quick" and not config.getoption("cases") else ())
        for case in cases(config):
            if chosen.dtypes and case.dtype not in chosen.dtypes:
                continue
            if few and case.family not in few:
                continue
            marks = [getattr(pytest.mark, marker("backend", adapters.backend(name))),
                     getattr(pytest.mark, marker("family", case.family)),
                     getattr(pytest.mark, marker("dtype", case.dtype))]
            for device in chosen.devices:
                if not devices.applies(device, case.dtype):
                    continue
                # CPU checks keep the ids they had before devices existed.
                suffix = "" if device == "cpu" else f"::{device}"
                params.append(pytest.param(
                    (name, case, device), id=f"{name}::{case.id}{suffix}",
                    marks=[*marks, getattr(pytest.mark, marker("device", device))]))
    return params


POOL = pytest.StashKey[Workers]()


@pytest.fixture(scope="session")
def tconv_workers(request: pytest.FixtureRequest):
    chosen = request.config.stash[SETTINGS]
    pool = Workers(timeout=chosen.check_timeout, python=chosen.python or None)
    request.config.stash[POOL] = pool
    yield pool
    pool.close()


def _is_entry_point(name: object) -> bool:
    return isinstance(name, str) and (name in adapters.REGISTRY or name in adapters.TESTING)


def _entry_point(item: pytest.Item | None) -> str | None:
    """The entry point a check runs, from its parameters; None for any other test."""
    params = getattr(getattr(item, "callspec", None), "params", {})
    for key in ("tconv_check", "tconv_gradient_check", "name"):   # name: the exploration's
        value = params.get(key)
        name = value[0] if isinstance(value, tuple) and value else value
        if _is_entry_point(name):
            return name
    return None


def needs(item: pytest.Item | None) -> frozenset[str]:
    """The worker backends a check uses: its entry point's, and a converter path's source's
    (``pipeline.source_output``, the path's ``home``); none for any other test."""
    name = _entry_point(item)
    return frozenset() if name is None else frozenset({adapters.backend(name), home(name)})


def home(name: str) -> str:
    """The backend whose checks an entry point's run with: its source's for a converter path
    (whose checks start the source's worker too, ``needs``), else its own. The checks of one
    home go to one xdist worker, next to each other: a source framework split from its
    converter paths was started again in each xdist worker that ran one of them."""
    source = adapters.load(name).conventions.source
    return adapters.backend(source or name)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The checks of a home (``home``) next to each other, each backend's together within it
    (forward and gradients), in registry order; the other tests first, in their order.
    Deterministic: every xdist worker collects alike."""
    order = {backend: i for i, backend in enumerate(adapters.BACKENDS)}

    def key(item: pytest.Item) -> tuple[int, int]:
        name = _entry_point(item)
        if name is None:
            return (-1, -1)
        return (order[home(name)], order[adapters.backend(name)])

    items.sort(key=key)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """Under ``--dist loadgroup``: one work unit per home backend (``home``: a converter
    path's checks join its source's), so that a framework's checks run in one xdist worker
    and each framework is started in one process, not in each xdist worker; the units are
    handed out costliest first, by the seconds per test of the runs before (``costs``). Built on
    xdist's own LoadGroupScheduling (its other tests stay as it schedules them); the groups
    come from the check ids, because ``xdist_group`` marks no longer reach the scheduler
    under pytest 9 (pytest-xdist 3.8 renames ``item._nodeid``, which pytest 9.2 no longer
    reads: ``Node.nodeid`` is ``str(self._id)``)."""
    if config.getoption("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class BackendScheduling(LoadGroupScheduling):
        ordered = 0       # the queue's length when last ordered: more is work put back

        def _split_scope(self, nodeid: str) -> str:
            name = progress.entry_point(nodeid)
            if _is_entry_point(name):
                return f"backend:{home(name)}"
            return super()._split_scope(nodeid)

        def _assign_work_unit(self, node) -> None:
            # The costliest unit first (costs.longest_first), unless xdist was told not to
            # reorder; ordered again when a crashed node's work came back to the queue.
            if config.option.loadscopereorder and len(self.workqueue) > self.ordered:
                costs.longest_first(self.workqueue, recorded)
            super()._assign_work_unit(node)
            self.ordered = len(self.workqueue)

        def mark_test_complete(self, node, item_index: int, duration: float = 0) -> None:
            nodeid = self.registered_collections[node][item_index]
            recorded.add(self._split_scope(nodeid), nodeid, duration)
            super().mark_test_complete(node, item_index, duration)

    chosen = config.stash[SETTINGS]
    named = "cases" if config.getoption("cases") else chosen.profile
    recorded = config.stash[COSTS] = costs.Costs(adapters.CACHE, named)
    return BackendScheduling(config, log)


COSTS = pytest.StashKey[costs.Costs]()


def pytest_sessionfinish(session: pytest.Session) -> None:
    """The controller keeps the run's seconds per test for the next run's order."""
    recorded = session.config.stash.get(COSTS, None)
    if recorded is not None:
        recorded.save()


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """After a check, close the framework workers the next test does not use: a framework's
    process lives while its checks run, not for the whole run (memory: the processes of
    twenty backends together do not fit). A later check of a closed backend starts it again."""
    pool = item.config.stash.get(POOL, None)
    if pool is not None and needs(item):
        pool.keep_only(needs(nextitem))


@pytest.fixture(scope="session")
def tconv_known(request: pytest.FixtureRequest) -> list[registry.Known]:
    return list(request.config.stash[SETTINGS].known)


def conclude(result: pipeline.Check, known: list[registry.Known], case,
             properties: list | None = None) -> None:
    """The pytest verdict of one check: skip what is unsupported, strict-xfail what the
    registry expects (failing if it came out otherwise), and fail anything else but a pass.
    The check's record goes into ``properties`` (pytest's user_properties) first."""
    matched = registry.find(known, result.kind, result.adapter, case, result.device,
                            result.status, result.version)
    if properties is not None:
        expects = matched if matched and matched.status == result.status else None
        properties.append(("tconv", results.record(result, case, expects)))
    if result.status == Status.UNSUPPORTED:
        pytest.skip(f"unsupported: {result.detail}")
    if matched is not None:
        if result.status != matched.status:
            pytest.fail(f"known issue ({matched.evidence}) expected {matched.status}, "
                        f"got {result.status}: {result.detail}")
        pytest.xfail(f"known ({matched.source}): {matched.evidence}")
    assert result.status == Status.PASS, (
        f"{result.status}: {result.detail}\n  case: {result.case}\n  call: {result.call}")
