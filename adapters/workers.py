"""Long-lived worker processes, one per backend, started lazily through execnet.

TensorFlow, JAX and PyTorch never share a process; a crash, abort or hang inside a framework
call ends that call's check as ``crash`` or ``timeout`` and the worker is started afresh for
the next one, so nothing else is lost. A backend may run from another virtual environment
(``python=``), so the same framework in two versions can be compared in one run.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

import execnet
import numpy as np

import adapters
from adapters import remote

ROOT = Path(__file__).resolve().parent.parent


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


class Worker:
    """One backend's process."""

    def __init__(self, backend: str, python: str = sys.executable,
                 env: dict[str, str] | None = None, timeout: float = 120.0) -> None:
        self.backend, self.python, self.env, self.timeout = backend, python, env or {}, timeout
        self.group: execnet.Group | None = None
        self.channel = None
        self.starts = 0

    def _start(self) -> None:
        spec = f"popen//python={self.python}//chdir={ROOT}"
        spec += "".join(f"//env:{k}={v}" for k, v in self.env.items())
        self.group = execnet.Group()
        gateway = self.group.makegateway(spec)
        self.channel = gateway.remote_exec(remote)
        self.starts += 1

    def close(self) -> None:
        if self.group is not None:
            self.group.terminate(timeout=2.0)
        self.group, self.channel = None, None

    def request(self, message: dict) -> tuple[str, dict]:
        if self.channel is None:
            self._start()
        start = time.perf_counter()
        try:
            self.channel.send(message)
            reply = self.channel.receive(timeout=self.timeout)
        except self.channel.TimeoutError:
            self.close()
            return "timeout", {"message": f"no answer within {self.timeout:g} s",
                               "seconds": time.perf_counter() - start}
        except (EOFError, OSError, execnet.RemoteError, execnet.HostNotFound) as error:
            self.close()
            return "crash", {"message": f"worker process ended: {type(error).__name__}: "
                                        f"{str(error).strip()[-500:]}",
                             "seconds": time.perf_counter() - start}
        reply["seconds"] = time.perf_counter() - start
        return ("ok" if reply["ok"] else "error"), reply

    def call(self, adapter: str, native: dict, x: np.ndarray, w: np.ndarray,
             b: np.ndarray | None, dtype: str) -> Outcome:
        status, reply = self.request({"adapter": adapter, "native": native,
                                      "x": remote.encode(x), "w": remote.encode(w),
                                      "b": remote.encode(b), "dtype": dtype})
        if status == "ok":
            return Outcome("ok", y=remote.decode(reply["y"]), seconds=reply["seconds"],
                           framework_seconds=reply.get("framework_s", 0.0))
        return Outcome(status, error_type=reply.get("type", ""), message=reply["message"],
                       seconds=reply["seconds"])

    def grad(self, adapter: str, native: dict, x: np.ndarray, w: np.ndarray,
             b: np.ndarray | None, dy: np.ndarray, dtype: str) -> Outcome:
        status, reply = self.request({"adapter": adapter, "native": native,
                                      "x": remote.encode(x), "w": remote.encode(w),
                                      "b": remote.encode(b), "dy": remote.encode(dy),
                                      "dtype": dtype})
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
        status, reply = self.request({"adapter": adapter, "version": True})
        return reply["version"] if status == "ok" else f"unknown ({reply.get('message')})"


class Workers:
    """The backends' workers of one controller process, started on first use, all from the
    interpreter ``python`` (another virtual environment's: the upgrade comparison)."""

    def __init__(self, timeout: float = 120.0, python: str = sys.executable) -> None:
        self.timeout, self.python = timeout, python
        self.workers: dict[str, Worker] = {}

    def get(self, backend: str) -> Worker:
        if backend not in self.workers:
            self.workers[backend] = Worker(backend, python=self.python,
                                           env=adapters.environment(backend),
                                           timeout=self.timeout)
        return self.workers[backend]

    def close(self) -> None:
        for worker in self.workers.values():
            worker.close()
