"""Environments of their own: a backend whose framework cannot live with the main environment's
pins declares a requirements file, and its workers run from a virtual environment built from it.

PaddlePaddle 3.3.1 is the first: it requires ``opt_einsum==3.3.0`` where ``constraints.txt``
pins 3.4.0. Such a backend sets ``Backend.requirements`` to the name of a file in
``adapters/environments/`` (shipped with tconv as package data) listing every package the
environment needs at an exact version, numpy included (``name==version`` lines; the build
installs them with ``--no-deps`` and then runs ``pip check``, so a file that forgets a
dependency fails to build rather than resolving something unpinned).

The API (everything takes a ``Backend`` declaration or a backend's name):

- ``interpreter(backend)``: the Python its workers start from: ``sys.executable`` for a backend
  that declares no environment, else its environment's (built or not: see ``build``).
- ``build(backend)``: the environment's folder, built first if it is not ready; raises
  ``BuildError`` (one line) when it cannot be built, and remembers that for the process, so a
  run does not try again for every check.
- ``ready(backend)``, ``folder(backend)``, ``declared()`` (the backends that have one),
  ``version(backend, distribution)`` (a distribution's version there, for the registry),
  ``command(backend)`` (how to run a reproducer script there),
  ``describe(backend)`` (build time and disk, for ``tconv environments``) and
  ``worker_environment(backend)`` (what a worker in the environment needs to import tconv).

Where they live: ``$TCONV_ENV_DIR``, by default ``$XDG_CACHE_HOME/tconv/envs`` or
``~/.cache/tconv/envs``: outside the checkout, so every clone on a machine shares them. Each
folder is named by the backend and a hash of the requirements file's bytes and of the Python
that builds it (implementation, version, base interpreter), so an edited file or another Python
builds a new one and a fresh clone finds the old one. A build holds an exclusive ``fcntl`` lock
on ``<folder>.lock`` (two xdist workers never build one environment at once: the second waits,
then finds it ready), and the folder is marked ready (``.tconv-ready``) only after the install,
``pip check`` and a look for the backend's module have all succeeded; a failed build is removed.

The environment holds no tconv and does not see the main environment's site-packages (a plain
``venv`` without system site-packages). Its processes import the controller's own tconv source
instead: ``worker_environment`` passes the folder holding tconv's subpackages (the checkout's
root, whose ``oracle/``, ``adapters/``, ... ``pyproject.toml``'s ``package-dir`` maps onto
``tconv.*``; or an installed tconv's ``tconv/``) as ``TCONV_SOURCE``, and a start-up hook the
build writes into the environment (``_tconv_source.pth``, as an editable install writes its
finder) makes that folder the ``tconv`` package's path: at start-up for a script run there,
and again in a worker (``adapters.remote``), whose variables execnet sets only once it runs.
Code changes are followed at once, and one environment serves every checkout on the machine
(an editable install into it would tie it to whichever checkout installed last); a reproducer
script runs there the same way (``TCONV_SOURCE=... <interpreter> script.py``). execnet is not
needed there: its popen gateway sends its own source over the child's standard input.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import time
import venv
from collections.abc import Iterator
from pathlib import Path

from tconv.adapters.declarations import Backend

# The requirements files (package data of tconv.adapters).
FILES = Path(__file__).resolve().with_name("environments")
READY = ".tconv-ready"
# The variable naming the folder of tconv's subpackages for a worker (adapters.remote reads it).
SOURCE = "TCONV_SOURCE"
# How environments are built: part of the folder's key, so that a change here builds anew.
BUILDER = "2"
# The start-up hook of every environment: tconv from TCONV_SOURCE (see the module docstring).
HOOK = '''"""tconv from $TCONV_SOURCE (written by tconv.adapters.environments)."""
import importlib.machinery
import importlib.util
import os
import sys


def use() -> None:
    """Make $TCONV_SOURCE the tconv package's path (nothing without it, or once imported)."""
    if os.environ.get("TCONV_SOURCE") and "tconv" not in sys.modules:
        spec = importlib.machinery.ModuleSpec("tconv", None, is_package=True)
        spec.submodule_search_locations = [os.environ["TCONV_SOURCE"]]
        sys.modules["tconv"] = importlib.util.module_from_spec(spec)
'''
# Build failures seen by this process, by folder: raised again without a second attempt.
_FAILED: dict[Path, str] = {}


class BuildError(RuntimeError):
    """An environment that could not be built; the message is one line."""


def _declaration(backend: Backend | str) -> Backend:
    if isinstance(backend, Backend):
        return backend
    from tconv import adapters

    return adapters.BACKENDS[backend]


def root() -> Path:
    """The folder of every environment on this machine."""
    if os.environ.get("TCONV_ENV_DIR"):
        return Path(os.environ["TCONV_ENV_DIR"])
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "tconv" / "envs"


def requirements(backend: Backend | str) -> Path | None:
    """The backend's requirements file (a name in ``adapters/environments/``; an absolute path
    is taken as it is), or None when it declares no environment of its own."""
    declared = _declaration(backend)
    return FILES / declared.requirements if declared.requirements else None


def declared() -> list[str]:
    """The backends (of every registered framework) that declare an environment."""
    from tconv import adapters

    return [name for name, b in adapters.BACKENDS.items() if b.requirements]


def _python_identity() -> str:
    base = getattr(sys, "_base_executable", sys.executable)
    return (f"{sys.implementation.name} {platform.python_version()} "
            f"{os.path.realpath(base)}")


def key(text: bytes) -> str:
    """The hash naming an environment: the requirements file's bytes and this Python."""
    identity = f"{_python_identity()} builder {BUILDER}".encode()
    return hashlib.sha256(text + b"\0" + identity).hexdigest()[:16]


def folder(backend: Backend | str) -> Path:
    declared_ = _declaration(backend)
    path = requirements(declared_)
    if path is None:
        raise ValueError(f"backend {declared_.name} declares no environment of its own")
    return root() / f"{declared_.name}-py{sys.version_info[0]}{sys.version_info[1]}-" \
                    f"{key(path.read_bytes())}"


def _python(home: Path) -> Path:
    return home / "bin" / "python"


def ready(backend: Backend | str) -> bool:
    return requirements(backend) is None or (folder(backend) / READY).is_file()


def interpreter(backend: Backend | str) -> str:
    """The interpreter the backend's workers start from (not built here: ``build``)."""
    if requirements(backend) is None:
        return sys.executable
    return str(_python(folder(backend)))


def worker_environment(backend: Backend | str) -> dict[str, str]:
    """The variables a worker started from the backend's environment needs: where tconv's
    source is (``SOURCE``); nothing for a backend without an environment."""
    if requirements(backend) is None:
        return {}
    return {SOURCE: str(Path(__file__).resolve().parent.parent)}


def command(backend: Backend | str) -> str:
    """How to run a script in the backend's interpreter with this tconv (reproducers): the
    interpreter, after ``TCONV_SOURCE=...`` for a backend with an environment of its own."""
    variables = "".join(f"{k}={v} " for k, v in worker_environment(backend).items())
    return variables + interpreter(backend)


@contextlib.contextmanager
def _locked(home: Path) -> Iterator[None]:
    """An exclusive lock on ``<home>.lock``, held while the environment is built."""
    home.parent.mkdir(parents=True, exist_ok=True)
    with open(home.with_name(home.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _clean_environment() -> dict[str, str]:
    """This process's environment without what would point pip or Python elsewhere."""
    drop = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PIP_REQUIRE_VIRTUALENV", SOURCE}
    return {k: v for k, v in os.environ.items() if k not in drop}


def _step(what: str, command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, env=_clean_environment())
    if done.returncode != 0:
        lines = (done.stderr.strip() or done.stdout.strip() or "no output").splitlines()
        errors = [line for line in lines if "ERROR" in line or "Error" in line]
        raise BuildError(f"{what} failed: {(errors or lines)[-1].strip()}")


def _install(home: Path, path: Path, module: str) -> None:
    """Create the environment at ``home`` and install ``path`` into it, then check it."""
    venv.EnvBuilder(with_pip=True, clear=True, symlinks=True).create(home)
    python = str(_python(home))
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()"
                           "['purelib'])"], capture_output=True, text=True, check=True,
                          env=_clean_environment()).stdout.strip()
    Path(site, "_tconv_source.py").write_text(HOOK)
    Path(site, "_tconv_source.pth").write_text("import _tconv_source; _tconv_source.use()\n")
    _step(f"pip install -r {path.name}",
          [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
           "--no-deps", "-r", str(path)])
    _step(f"pip check ({path.name} must pin every dependency)",
          [python, "-m", "pip", "check", "--disable-pip-version-check"])
    _step(f"importing {module}'s spec",
          [python, "-c", f"import importlib.util, sys; "
                         f"sys.exit(importlib.util.find_spec({module!r}) is None)"])


def build(backend: Backend | str) -> Path:
    """The backend's environment, built on first use (see the module docstring)."""
    declared_ = _declaration(backend)
    path = requirements(declared_)
    if path is None:
        raise ValueError(f"backend {declared_.name} declares no environment of its own")
    if not path.is_file():
        raise BuildError(f"environment of backend {declared_.name}: no requirements file {path}")
    home = folder(declared_)
    if (home / READY).is_file():
        return home
    if home in _FAILED:
        raise BuildError(_FAILED[home])
    with _locked(home):
        if (home / READY).is_file():       # built by another process while this one waited
            return home
        start = time.perf_counter()
        try:
            _install(home, path, declared_.module)
        except (BuildError, OSError, subprocess.SubprocessError) as error:
            shutil.rmtree(home, ignore_errors=True)
            message = (f"environment of backend {declared_.name} ({path.name}, at {home}): "
                       f"{error}").replace("\n", " ")
            _FAILED[home] = message
            raise BuildError(message) from None
        (home / READY).write_text(json.dumps({
            "backend": declared_.name, "requirements": path.name,
            "python": _python_identity(), "seconds": round(time.perf_counter() - start, 1),
            "built": time.strftime("%Y-%m-%d %H:%M:%S")}) + "\n")
    return home


def version(backend: Backend | str, distribution: str) -> str:
    """``distribution``'s version in the backend's environment (read there, without importing
    it); ``importlib.metadata.PackageNotFoundError`` when the environment is not built or has
    no such distribution."""
    from importlib import metadata

    if not ready(backend):
        raise metadata.PackageNotFoundError(f"{distribution} (environment not built)")
    done = subprocess.run([interpreter(backend), "-c", "import importlib.metadata as m, sys; "
                           "print(m.version(sys.argv[1]))", distribution],
                          capture_output=True, text=True, env=_clean_environment())
    if done.returncode != 0:
        raise metadata.PackageNotFoundError(distribution)
    return done.stdout.strip()


def disk(home: Path) -> int:
    """Bytes the folder takes on disk (allocated blocks; symbolic links not followed)."""
    total = 0
    for parent, _, files in os.walk(home):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(parent, name)).st_blocks * 512
    return total


def describe(backend: Backend | str) -> dict:
    """A ready environment's record: its folder, build time, date and disk."""
    home = folder(backend)
    record = json.loads((home / READY).read_text())
    return {**record, "folder": str(home), "bytes": disk(home)}


__all__ = ["BuildError", "build", "command", "declared", "describe", "folder", "interpreter", "key",
           "ready", "requirements", "root", "version", "worker_environment"]
