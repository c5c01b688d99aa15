"""The run's progress on the terminal, as a pytest plugin (``-p tconv.conformance.progress``,
which ``tconv run`` enables unless asked for ``-v``): per worker backend, the checks done of
its total and an estimate of the time left; at the end, the new discrepancies.

It counts in the controller (under xdist every report arrives there): the totals from the
collection, each finished check from ``pytest_runtest_logreport``. pytest's own terminal
output (its per-test letters, tracebacks, warnings) goes to ``TCONV_LOG_DIR/pytest.log``, so
the terminal shows only this; without ``TCONV_LOG_DIR`` pytest's output stays where it was and
this adds plain lines to it. On a terminal the display is rich's live progress; anywhere else
(a CI log) it is plain lines: one every tenth of the run and one as each backend finishes.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import pytest

from tconv import adapters
from tconv.adapters import logs

# How many of each kind of problem the end of the run lists (the reports hold every one).
SHOWN_FAILURES = 10
SHOWN_ERRORS = 5
ERROR_LINES = 12
DETAIL_WIDTH = 200


def entry_point(nodeid: str) -> str:
    """The entry point a test id names: a check's parameter reads ``<entry point>::<case
    id>[::<device>]`` (``plugin._params``), the exploration's ``<entry point>``."""
    if not nodeid.endswith("]") or "[" not in nodeid:
        return ""
    return nodeid[nodeid.index("[") + 1:-1].split("::", 1)[0]


def clock(seconds: float) -> str:
    """``1:02:03``, ``2:03``."""
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    return (f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours
            else f"{rest // 60}:{rest % 60:02d}")


def _cut(text: str, width: int = DETAIL_WIDTH) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[:width - 3] + "..."


@dataclass
class Backend:
    """One worker backend's count."""

    name: str
    total: int = 0
    done: int = 0
    new: int = 0                   # new discrepancies (failed checks)
    started: float | None = None   # when its first finished check began

    @property
    def finished(self) -> bool:
        return self.done >= self.total


@dataclass
class Tally:
    """The counts, fed by pytest's reports; no display, no clock of its own (``now`` is
    passed in), so that it can be tested with made-up reports."""

    started: float = 0.0
    backends: dict[str, Backend] = field(default_factory=dict)
    of: dict[str, str] = field(default_factory=dict)          # test id -> backend
    counted: set[str] = field(default_factory=set)
    failures: list[tuple[str, str, str]] = field(default_factory=list)  # check, status, detail
    errors: list[tuple[str, str]] = field(default_factory=list)         # what, pytest's text
    collected_once: bool = False

    def collected(self, nodeids: Iterable[str], backend_of: Callable[[str], str | None],
                  now: float) -> None:
        """The totals, from the collected test ids (the first collection only: xdist's
        workers each collect the same tests)."""
        if self.collected_once:
            return
        self.collected_once, self.started = True, now
        for nodeid in nodeids:
            name = backend_of(nodeid)
            if name:
                self.of[nodeid] = name
                self.backends.setdefault(name, Backend(name)).total += 1

    @property
    def total(self) -> int:
        return sum(b.total for b in self.backends.values())

    @property
    def done(self) -> int:
        return sum(b.done for b in self.backends.values())

    def record(self, report, now: float) -> str | None:
        """Count one report; the backend whose count changed, or None. A test ends with its
        call, or with a setup that did not pass (an error, a skip), or with a report of its
        own when an xdist worker died under it; a teardown only adds an error."""
        nodeid = report.nodeid
        if report.when == "teardown" or nodeid in self.counted:
            if report.failed:
                self.errors.append((f"{nodeid} ({report.when})", _text(report)))
            return None
        if report.when == "setup" and report.passed:
            return None
        self.counted.add(nodeid)
        row = next((r for key, r in report.user_properties if key == "tconv"), None)
        name = self.of.get(nodeid) or (row or {}).get("backend")
        if not name:                                  # not a check of a chosen entry point
            if report.failed:
                self.errors.append((nodeid, _text(report)))
            return None
        backend = self.backends.setdefault(name, Backend(name))
        if nodeid not in self.of:                     # a test the collection did not show
            self.of[nodeid] = name
            backend.total += 1
        if report.skipped and row is None:
            # a skip that checked nothing (the exploration outside --profile full) is no
            # check: it leaves the total
            backend.total -= 1
            return name
        if backend.started is None:
            backend.started = now - report.duration
        backend.done += 1
        if report.failed:
            backend.new += 1
            if row is not None:
                self.failures.append((row["check_id"], row["status"], row["detail"]))
            else:
                self.errors.append((nodeid, _text(report)))
        return name

    def left(self, now: float, name: str | None = None) -> float | None:
        """Seconds left, from the pace so far: of one backend, or of the whole run."""
        if name is None:
            done, total, since = self.done, self.total, self.started
        else:
            backend = self.backends[name]
            done, total, since = backend.done, backend.total, backend.started
        if since is None or done == 0:
            return None
        return (now - since) * (total - done) / done

    def ending(self, pytest_log: Path | None) -> list[str]:
        """The lines that end the run: the new discrepancies, then anything that went wrong
        outside a check (a collection error, a fixture's error, a worker that died)."""
        lines = []
        if self.failures:
            lines.append(f"new discrepancies: {len(self.failures)} (every detail is in the "
                         "reports)")
            for check, status, detail in self.failures[:SHOWN_FAILURES]:
                lines.append(f"  {check}  {status}: {_cut(detail)}")
            if len(self.failures) > SHOWN_FAILURES:
                lines.append(f"  and {len(self.failures) - SHOWN_FAILURES} more")
        if self.errors:
            where = f": {pytest_log}" if pytest_log else " above"
            lines.append(f"errors outside the checks: {len(self.errors)} (pytest's whole "
                         f"output{where})")
            for what, text in self.errors[:SHOWN_ERRORS]:
                lines.append(f"  {what}")
                lines += [f"    {line}" for line in text.splitlines()[-ERROR_LINES:]]
            if len(self.errors) > SHOWN_ERRORS:
                lines.append(f"  and {len(self.errors) - SHOWN_ERRORS} more")
        return lines


def _discrepancies(count: int) -> str:
    return f"{count} new discrepanc{'y' if count == 1 else 'ies'}"


def _text(report) -> str:
    return getattr(report, "longreprtext", "") or str(getattr(report, "longrepr", "") or "")


class Plain:
    """Line by line, for logs: the backends, a line every tenth of the run, one per backend
    as it finishes."""

    def __init__(self, out: TextIO) -> None:
        self.out, self.tenths = out, 0
        self.said: set[str] = set()             # the backends whose end has been told

    def _line(self, text: str) -> None:
        self.out.write(f"tconv: {text}\n")
        self.out.flush()

    def start(self, tally: Tally, now: float) -> None:
        # no count yet: the exploration's tests outside --profile full are collected, and
        # leave the totals as they are skipped
        names = ", ".join(tally.backends)
        self._line(f"checks of {len(tally.backends)} backend(s): {names}" if names
                   else "no checks to run")

    def update(self, tally: Tally, name: str, now: float) -> None:
        backend = tally.backends[name]
        if backend.finished and backend.total and name not in self.said:
            self.said.add(name)
            new = f", {_discrepancies(backend.new)}" if backend.new else ""
            took = clock(now - backend.started) if backend.started is not None else "0:00"
            self._line(f"{name}: {backend.done}/{backend.total} checks done in {took}{new}")
        total = tally.total
        tenths = tally.done * 10 // total if total else 0
        if tenths > self.tenths:
            self.tenths = tenths
            left = tally.left(now)
            ahead = f", about {clock(left)} left" if left and tally.done < total else ""
            self._line(f"{tally.done}/{total} checks ({tally.done * 100 // total}%) in "
                       f"{clock(now - tally.started)}{ahead}")

    def stop(self, tally: Tally, lines: list[str]) -> None:
        for line in lines:
            self.out.write(line + "\n")
        self.out.flush()


class Live:
    """rich's live progress: a bar per backend (and one for the run), the new discrepancies
    so far, the time left."""

    def __init__(self, out: TextIO) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
        )

        self.console = Console(file=out, highlight=False)
        # Refreshed from its own thread, so the spinner turns while a long check runs (up to
        # --check-timeout) and the display does not look stuck. It writes to its own
        # descriptor, which pytest's capturing of 1 and 2 (-n 0) never holds, and it must not
        # replace sys.stdout and sys.stderr: pytest's capture does that.
        self.progress = Progress(SpinnerColumn(finished_text=" "),
                                 TextColumn("{task.description}"), BarColumn(),
                                 MofNCompleteColumn(), TextColumn("{task.fields[new]}",
                                                                  style="red"),
                                 TextColumn("{task.fields[left]}"), console=self.console,
                                 refresh_per_second=2, redirect_stdout=False,
                                 redirect_stderr=False)
        self.tasks: dict[str | None, int] = {}

    def start(self, tally: Tally, now: float) -> None:
        names = [*tally.backends, *([None] if len(tally.backends) > 1 else [])]
        for name in names:
            self.tasks[name] = self.progress.add_task(name or "all", total=1, new="", left="")
            self._show(tally, name, now)
        self.progress.start()

    def _show(self, tally: Tally, name: str | None, now: float) -> None:
        if name is None:
            done, total, new = tally.done, tally.total, sum(b.new for b in
                                                             tally.backends.values())
            since = tally.started
        else:
            backend = tally.backends[name]
            done, total, new, since = backend.done, backend.total, backend.new, backend.started
        left = tally.left(now, name)
        if done >= total:
            when = f"done in {clock(now - since)}" if since is not None and total else ""
        else:
            when = f"about {clock(left)} left" if left is not None else ""
        self.progress.update(self.tasks[name], completed=done, total=max(total, 1),
                             visible=total > 0, new=f"{new} new" if new else "", left=when)

    def update(self, tally: Tally, name: str, now: float) -> None:
        if name not in self.tasks:                   # a backend the collection did not show
            self.tasks[name] = self.progress.add_task(name, total=1, new="", left="")
        for shown in (name, None):
            if shown in self.tasks:
                self._show(tally, shown, now)

    def stop(self, tally: Tally, lines: list[str]) -> None:
        self.progress.stop()
        for line in lines:
            self.console.print(line, markup=False, highlight=False, soft_wrap=True)


class _LaterFile:
    """pytest's terminal output, written to ``path``, opened (afresh) on the first write:
    it is handed to pytest before the run's options are checked, and a rejected run must
    leave its output folder as it was."""

    encoding = "utf-8"

    def __init__(self, path: Path) -> None:
        self.path, self.file = path, None

    def write(self, text: str) -> int:
        if self.file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.file = open(self.path, "w", encoding="utf-8", errors="replace")
        return self.file.write(text)

    def flush(self) -> None:
        if self.file is not None:
            self.file.flush()

    def isatty(self) -> bool:
        return False

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


def _terminal() -> TextIO:
    """This process's standard output as it is now, on a descriptor of its own."""
    try:
        fd = os.dup(sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):   # no real descriptor (pytest in pytest)
        return sys.stdout
    return open(fd, "w", buffering=1, encoding=getattr(sys.stdout, "encoding", None),
                errors="replace")


class Run:
    """The plugin in the controller: it holds the terminal, sends pytest's output to the
    log, counts and shows. Registered as a plugin object for the session."""

    def __init__(self) -> None:
        self.terminal = _terminal()
        folder = logs.folder()
        self.pytest_log = folder / "pytest.log" if folder else None
        self.later = _LaterFile(self.pytest_log) if self.pytest_log else None
        self.stdout = sys.stdout
        if self.later is not None:
            # pytest's terminal reporter writes to sys.stdout as it is when the plugins are
            # configured: there, it is the log (restored in pytest_configure)
            sys.stdout = self.later
        live = self.later is not None and self.terminal.isatty()
        self.display: Plain | Live = Live(self.terminal) if live else Plain(self.terminal)
        self.tally = Tally()
        self.config: pytest.Config | None = None
        self.showing = self.finished = False

    def restore_stdout(self) -> None:
        if sys.stdout is self.later:
            sys.stdout = self.stdout

    @pytest.hookimpl(trylast=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        self.restore_stdout()        # the terminal reporter has been made by now
        self.config = config

    def _collected(self, nodeids: Iterable[str]) -> None:
        if self.tally.collected_once:
            return
        self.tally.collected(nodeids, _backend_of(self.config), time.monotonic())
        self.display.start(self.tally, time.monotonic())
        self.showing = True

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self._collected([item.nodeid for item in session.items])

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node, ids) -> None:
        self._collected(ids)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        # under xdist, the workers' failed collections arrive here too
        if report.failed:
            self.tally.errors.append((f"collecting {report.nodeid or 'the suite'}",
                                      _text(report)))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        now = time.monotonic()
        name = self.tally.record(report, now)
        if name is not None and self.showing:
            self.display.update(self.tally, name, now)

    def pytest_internalerror(self, excrepr) -> None:
        self.tally.errors.append(("pytest's internal error", str(excrepr)))

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self) -> None:
        self.finish()

    def finish(self) -> None:
        if self.finished:
            return
        self.finished = True
        lines = self.tally.ending(self.pytest_log)
        if self.showing:
            self.display.stop(self.tally, lines)
        elif lines:
            Plain(self.terminal).stop(self.tally, lines)

    def close(self) -> None:
        self.restore_stdout()
        self.finish()
        if self.later is not None:
            self.later.close()
        if self.terminal is not sys.stdout:
            self.terminal.close()


def _backend_of(config: pytest.Config) -> Callable[[str], str | None]:
    """Test id -> the backend of its entry point, for the chosen entry points only (the
    exploration's test of an entry point not chosen is a skip, not a check)."""
    from tconv.conformance import plugin

    chosen = (set(plugin.entry_points(config)) if plugin.SETTINGS in config.stash
              else {*adapters.REGISTRY, *adapters.TESTING})

    def backend_of(nodeid: str) -> str | None:
        name = entry_point(nodeid)
        return adapters.backend(name) if name in chosen else None

    return backend_of


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_cmdline_main(config: pytest.Config):
    # Around the whole session, so that sys.stdout is the log while the plugins configure
    # (pytest_configure is a historic hook, which takes no wrapper).
    if hasattr(config, "workerinput"):             # an xdist worker: the controller counts
        return (yield)
    run = Run()
    config.pluginmanager.register(run, "tconv-progress")
    try:
        return (yield)
    finally:
        run.close()
