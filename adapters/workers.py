"""Long-lived worker processes, one per backend, started lazily through execnet.

TensorFlow, JAX and PyTorch never share a process; a crash, abort or hang inside a framework
call ends that call's check as ``crash`` or ``timeout`` and the worker is started afresh for
the next one, so nothing else is lost. A backend may run from another virtual environment
(``python=``), so the same framework in two versions can be compared in one run; a backend that
declares an environment of its own (``adapters.environments``) runs from that one.

A crash's detail says how the process died (the signal, or its exit status) and the last lines
it wrote to its backend's log file (``adapters.logs``), when the run keeps log files.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from tconv import adapters
from tconv.adapters import devices, environments, logs, remote

if TYPE_CHECKING:
    import execnet


@dataclass
class Outcome:
    """What came back from one call: status ``ok``, ``error`` (the framework raised),
    ``crash`` (the process died) or ``timeout``."""

    status: str
    y: np.ndarray | None = None
    grads: tuple | None = None
    error_type: str = ""
    message: str = ""
    seconds: float = 0.0            # the round trip, as the controller saw it
    framework_seconds: float = 0.0  # inside the framework call, as the worker measured it
    stage: str = ""                 # a converter path's stage that raised (adapters.conversion)
    artefact: tuple[str, bytes] | None = None   # a converter path's file: (suffix, bytes)


# A worker whose resident memory has grown past this after a call is ended and started afresh
# for the next one: a framework's caches (compiled executables per shape, traced functions)
# only grow over a run of thousands of shapes (benchmarks/RESULTS.md: 2.5 GiB in one worker
# over the default profile). TCONV_WORKER_RSS_MIB changes it.
RECYCLE_MIB = float(os.environ.get("TCONV_WORKER_RSS_MIB", "1280"))

# How long a worker whose channel ended is waited for, for its exit status: a process that
# died has closed its pipes on its way out, so the status is there at once; one that broke
# the channel and lives on is ended by close() after this.
EXIT_WAIT_S = 2.0


def how_it_ended(returncode: int | None) -> str:
    """A process's exit status in words: ``died of SIGSEGV (signal 11)``, ``exited with
    status 3``; "" when it is not known (still running)."""
    if returncode is None:
        return ""
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = "an unknown signal"
        return f"died of {name} (signal {-returncode})"
    return f"exited with status {returncode}"


# Where a benchmark asks for it (benchmarks/harness.py), each worker's process id and backend,
# one line per start: /proc shows every worker as the same execnet bootstrap.
PIDS_FILE = "TCONV_WORKER_PIDS"


def _announce(gateway: object, backend: str) -> None:
    path = os.environ.get(PIDS_FILE)
    popen = getattr(getattr(gateway, "_io", None), "popen", None)
    if path and popen is not None:
        with open(path, "a", encoding="utf-8") as pids:
            pids.write(f"{popen.pid} {backend}\n")


class Worker:
    """One backend's process."""

    def __init__(self, backend: str, python: str = sys.executable,
                 env: dict[str, str] | None = None, timeout: float = 120.0,
                 recycle_mib: float = RECYCLE_MIB) -> None:
        self.backend, self.python, self.env, self.timeout = backend, python, env or {}, timeout
        self.recycle_mib = recycle_mib
        self.group: execnet.Group | None = None
        self.gateway: execnet.Gateway | None = None
        self.channel = None
        self.log: Path | None = None       # the backend's log file, when the run keeps them
        self.starts = 0
        self.recycled = 0
        self._cuda: dict[str, dict] = {}   # Adapter.cuda's answers, per entry point
        self._versions: dict[str, str] = {}  # Adapter.version's answers, per entry point

    def _start(self) -> None:
        self.log = logs.path(self.backend)
        env = {**self.env, **({logs.LOG_FILE: str(self.log)} if self.log else {})}
        spec = f"popen//python={self.python}"
        spec += "".join(f"//env:{k}={v}" for k, v in env.items())
        import execnet  # here: the judge imports Outcome where execnet is absent (reproducers)

        self.group = execnet.Group()
        self.gateway = self.group.makegateway(spec)
        self.channel = self.gateway.remote_exec(remote)
        self.starts += 1
        _announce(self.gateway, self.backend)

    def close(self) -> None:
        if self.group is not None:
            self.group.terminate(timeout=2.0)
        self.group, self.gateway, self.channel = None, None, None

    def _returncode(self) -> int | None:
        """The ended worker's exit status, waited for briefly (execnet keeps the
        ``subprocess.Popen`` of a popen gateway on its IO object); None if still running."""
        popen = getattr(getattr(self.gateway, "_io", None), "popen", None)
        if popen is None:
            return None
        try:
            return popen.wait(timeout=EXIT_WAIT_S)
        except (subprocess.TimeoutExpired, OSError):
            return None

    def _crash_detail(self, error: Exception, offset: int) -> str:
        """One line: how the process ended, and what it wrote to its log during the call."""
        ended = how_it_ended(self._returncode())
        detail = (f"worker process {ended}" if ended else
                  f"worker process ended: {type(error).__name__}: {str(error).strip()[-500:]}")
        if self.log is not None:
            # read back from the file the backend's processes share: under xdist another
            # process's lines of the same moment may be among them
            detail += logs.quote(self.log, logs.tail(self.log, offset))
        return detail

    def request(self, message: dict) -> tuple[str, dict]:
        import execnet

        if self.channel is None:
            self._start()
        offset = logs.size(self.log)
        start = time.perf_counter()
        try:
            self.channel.send(message)
            reply = self.channel.receive(timeout=self.timeout)
        except self.channel.TimeoutError:
            self.close()
            return "timeout", {"message": f"no answer within {self.timeout:g} s",
                               "seconds": time.perf_counter() - start}
        except (EOFError, OSError, execnet.RemoteError, execnet.HostNotFound) as error:
            message = self._crash_detail(error, offset)
            self.close()
            return "crash", {"message": message, "seconds": time.perf_counter() - start}
        reply["seconds"] = time.perf_counter() - start
        if reply.get("rss_mib", 0.0) > self.recycle_mib:
            self.close()   # the answer is in; the next request starts a fresh process
            self.recycled += 1
        return ("ok" if reply["ok"] else "error"), reply

    def call(self, adapter: str, native: dict, x: np.ndarray, w: np.ndarray,
             b: np.ndarray | None, dtype: str, precision: str = "") -> Outcome:
        """``precision`` (CUDA workers): "strict" or "default" float32 arithmetic."""
        status, reply = self.request({"adapter": adapter, "native": native,
                                      "x": remote.encode(x), "w": remote.encode(w),
                                      "b": remote.encode(b), "dtype": dtype,
                                      **({"precision": precision} if precision else {})})
        artefact = tuple(reply["artefact"]) if reply.get("artefact") else None
        if status == "ok":
            return Outcome("ok", y=remote.decode(reply["y"]), seconds=reply["seconds"],
                           framework_seconds=reply.get("framework_s", 0.0), artefact=artefact)
        return Outcome(status, error_type=reply.get("type", ""), message=reply["message"],
                       seconds=reply["seconds"], stage=reply.get("stage", ""),
                       artefact=artefact)

    def grad(self, adapter: str, native: dict, x: np.ndarray, w: np.ndarray,
             b: np.ndarray | None, dy: np.ndarray, dtype: str, precision: str = "") -> Outcome:
        status, reply = self.request({"adapter": adapter, "native": native,
                                      "x": remote.encode(x), "w": remote.encode(w),
                                      "b": remote.encode(b), "dy": remote.encode(dy),
                                      "dtype": dtype,
                                      **({"precision": precision} if precision else {})})
        if status == "ok":
            return Outcome("ok", grads=tuple(remote.decode(g) for g in reply["grads"]),
                           seconds=reply["seconds"],
                           framework_seconds=reply.get("framework_s", 0.0))
        return Outcome(status, error_type=reply.get("type", ""), message=reply["message"],
                       seconds=reply["seconds"])

    def prefix(self) -> str:
        """The worker interpreter's ``sys.prefix``: which virtual environment it runs from."""
        status, reply = self.request({"prefix": True})
        return reply["prefix"] if status == "ok" else f"unknown ({reply.get('message')})"

    def version(self, adapter: str) -> str:
        """The entry point's framework version, asked once per entry point: the interpreter
        is fixed for the worker's life, restarts included (it was one round trip per check)."""
        if adapter not in self._versions:
            status, reply = self.request({"adapter": adapter, "version": True})
            if status != "ok":
                return f"unknown ({reply.get('message')})"
            self._versions[adapter] = reply["version"]
        return self._versions[adapter]

    def cuda(self, adapter: str) -> dict:
        """``Adapter.cuda`` as the framework answers it in this worker, asked once per entry
        point (a worker restarted after a crash is the same build on the same machine)."""
        if adapter not in self._cuda:
            status, reply = self.request({"adapter": adapter, "cuda": True})
            self._cuda[adapter] = reply["cuda"] if status == "ok" else {
                "available": False, "detail": f"the CUDA probe failed: {status}: "
                                              f"{reply.get('type', '')} {reply.get('message')}"}
        return self._cuda[adapter]


def threads() -> int:
    """The compute threads each framework worker gets: this machine's cores shared among the
    xdist workers (``PYTEST_XDIST_WORKER_COUNT``), each of which has its own framework workers
    and runs one check at a time. The frameworks default to every core each, so ``-n 2`` on
    two cores ran four busy pools on two cores (benchmarks/RESULTS.md)."""
    xdist = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
    return max(1, len(os.sched_getaffinity(0)) // max(1, xdist))


class Workers:
    """The backends' workers of one controller process, started on first use; one per
    backend and worker device (``adapters.devices``). Each backend runs from its own
    interpreter (``environments.interpreter``: this one, or the environment the backend
    declares, built here on first use), unless ``python`` overrides it for every backend
    (another virtual environment's: the upgrade comparison's ``--python``)."""

    def __init__(self, timeout: float = 120.0, python: str | None = None) -> None:
        self.timeout, self.python = timeout, python
        self.workers: dict[str, Worker] = {}

    def get(self, backend: str, device: str = "cpu") -> Worker:
        """The worker of ``backend`` for the check device ``device``."""
        key = f"{backend}@{devices.WORKER_DEVICE[device]}"
        if key not in self.workers:
            env = {**adapters.thread_environment(threads()), **adapters.environment(backend),
                   **devices.environment(device)}
            python = self.python
            if python is None:
                if environments.requirements(backend) is not None:
                    environments.build(backend)    # BuildError: one line, remembered
                    env.update(environments.worker_environment(backend))
                python = environments.interpreter(backend)
            self.workers[key] = Worker(backend, python=python, env=env, timeout=self.timeout)
        return self.workers[key]

    def keep_only(self, backends: frozenset[str] | set[str]) -> None:
        """Close and forget the workers of every backend not in ``backends``."""
        for key in [k for k, w in self.workers.items() if w.backend not in backends]:
            self.workers.pop(key).close()

    def close(self) -> None:
        for worker in self.workers.values():
            worker.close()
