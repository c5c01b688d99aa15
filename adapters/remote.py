"""The worker side: runs inside a framework's own process (started by ``adapters.workers``
through execnet) and answers one request at a time on its channel.

A request: ``{"adapter", "native", "x", "w", "b", "dtype"}`` with arrays as
``(dtype, shape, bytes)`` (plus ``"dy"`` for gradients, and in a CUDA worker ``"precision"``:
``"strict"`` or ``"default"``); or ``{"adapter", "version": True}``; or ``{"adapter", "cuda":
True}`` (``Adapter.cuda``: does the framework see a CUDA device); or ``{"prefix": True}`` (the
worker's virtual environment, and the folder its ``tconv.adapters`` came from).
A reply: ``{"ok": True, "y", "framework_s", "rss_mib"}`` (or ``"grads"``),
``{"ok": True, "version"}``, or ``{"ok": False, "type", "message"}`` for an exception raised
by the framework (a crash or hang is seen by the controller as the channel's end or a timeout).

With ``TCONV_LOG_FILE`` in its environment (``adapters.logs``), the worker first sends its
file descriptors 1 and 2 to that file, so that the framework's own output (C and C++ logging
included, which bypasses ``sys.stderr``) lands there and not on the terminal.
"""


def encode(a):
    return None if a is None else (a.dtype.str, tuple(a.shape), a.tobytes())


def decode(message):
    import numpy as np

    if message is None:
        return None
    dtype, shape, data = message
    return np.frombuffer(data, dtype=dtype).reshape(shape).copy()


def resident_mib() -> float:
    """This process's resident set size now, in MiB (the controller recycles a worker that
    has grown past its limit: adapters.workers.Worker.recycle_mib)."""
    import os

    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def redirect_output(path: str) -> None:
    """Append everything this process writes to file descriptors 1 and 2 to ``path``.

    Safe for the channel: execnet's popen bootstrap (``gateway_base.init_popen_io``) moves
    the channel off the standard descriptors before any of this runs: it talks over
    ``os.dup(0)`` and ``os.dup(1)`` and points 0 and 1 at /dev/null, so fd 1 only ever
    carries stray writes (C ``printf``, ``print``), which are lost without this; fd 2 is the
    parent's stderr, the terminal. Appended (``O_APPEND``): restarts and the workers of every
    xdist process share the backend's file, and each write lands at its end."""
    import os
    import sys
    import time

    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    # the marker of tconv.adapters.logs.MARKER (this module is sent as source: no import)
    os.write(2, f"--- tconv worker {os.getpid()} started {time.strftime('%Y-%m-%d %H:%M:%S')}"
                f" ---\n".encode())


def _artefact(adapter) -> dict:
    """A converter path's converted file of the last call (adapters.conversion), if any."""
    data = getattr(adapter, "artefact", None)
    return {"artefact": (adapter.suffix, data)} if data else {}


def serve(channel) -> None:
    import os
    import sys
    import time

    if os.environ.get("TCONV_LOG_FILE"):
        redirect_output(os.environ["TCONV_LOG_FILE"])   # before any framework is imported
    if os.environ.get("TCONV_SOURCE"):
        # a backend's own environment: tconv from the controller's source, by the hook its
        # build wrote (adapters.environments); execnet set the variable after start-up
        import _tconv_source

        _tconv_source.use()
    import tconv.adapters
    from tconv.adapters import load

    adapters = {}
    for request in channel:
        if request.get("prefix"):
            channel.send({"ok": True, "prefix": sys.prefix,
                          "source": os.path.dirname(tconv.adapters.__file__)})
            continue
        name = request["adapter"]
        try:
            adapter = adapters.setdefault(name, load(name))
            if request.get("version"):
                channel.send({"ok": True, "version": adapter.version()})
                continue
            if request.get("cuda"):
                channel.send({"ok": True, "cuda": adapter.cuda()})
                continue
            if "precision" in request:
                adapter.precision(request["precision"] == "strict")
            arrays = (decode(request["x"]), decode(request["w"]), decode(request["b"]))
            # The framework's own time (its import and compilation included on first use),
            # so that the harness's overhead can be told apart (benchmarks/harness.py).
            start = time.perf_counter()
            if "dy" in request:
                grads = adapter.grad(request["native"], *arrays, decode(request["dy"]),
                                     request["dtype"])
                channel.send({"ok": True, "grads": [encode(g) for g in grads],
                              "framework_s": time.perf_counter() - start,
                              "rss_mib": resident_mib()})
                continue
            y = adapter.run(request["native"], *arrays, request["dtype"])
            channel.send({"ok": True, "y": encode(y), "framework_s": time.perf_counter() - start,
                          "rss_mib": resident_mib(), **_artefact(adapter)})
        except Exception as error:  # the framework's refusal, reported as data
            # a converter path's stage (adapters.conversion.StageFailed) names where it failed
            channel.send({"ok": False, "type": getattr(error, "kind", type(error).__name__),
                          "message": str(error), "stage": getattr(error, "stage", ""),
                          "rss_mib": resident_mib(), **_artefact(adapters.get(name))})


if __name__ == "__channelexec__":
    serve(channel)  # noqa: F821 (execnet provides the channel)
