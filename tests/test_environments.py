"""Environments of their own (``adapters.environments``): the folder's key follows the
requirements file and the Python, a build holds a lock so two processes never build one
environment at once, a worker of a backend that declares one really runs from it (its own
``sys.prefix``, the controller's tconv source, no execnet and nothing of this environment's
site-packages there), and a failed build is one line and leaves nothing that looks ready.

Cheap: a tiny environment (numpy at the main pin, from pip's cache) in a temporary folder,
never Paddle's; the faults backend (NumPy only) runs in it."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import threading
import time
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest

from tconv import adapters
from tconv.adapters import environments
from tconv.adapters.declarations import Backend
from tconv.adapters.workers import Workers
from tconv.cases.case import Case


def tiny(folder: Path, name: str = "tiny.txt", extra: str = "") -> Path:
    path = folder / name
    path.write_text(f"numpy=={metadata.version('numpy')}\n{extra}")
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Backend, Path]:
    """The faults backend declaring a tiny environment, built once for the module."""
    folder = tmp_path_factory.mktemp("envs")
    patch = pytest.MonkeyPatch()
    patch.setenv("TCONV_ENV_DIR", str(folder / "cache"))
    declared = dataclasses.replace(adapters.BACKENDS["faults"],
                                   requirements=str(tiny(folder)))
    patch.setitem(adapters.BACKENDS, "faults", declared)
    try:
        yield declared, environments.build(declared)
    finally:
        patch.undo()


def test_the_key_follows_the_file_and_the_python(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("TCONV_ENV_DIR", str(tmp_path / "cache"))
    one = Backend("one", "numpy", requirements=str(tiny(tmp_path, "a.txt")))
    same = Backend("one", "numpy", requirements=str(tiny(tmp_path, "b.txt")))
    other = Backend("one", "numpy", requirements=str(tiny(tmp_path, "c.txt", "# changed\n")))
    assert environments.folder(one) == environments.folder(same)      # bytes, not the name
    assert environments.folder(one) != environments.folder(other)
    assert environments.folder(one).parent == tmp_path / "cache"
    here = environments.folder(one)
    monkeypatch.setattr(environments, "_python_identity", lambda: "cpython 3.99.0 /elsewhere")
    assert environments.folder(one) != here                           # another Python
    assert environments.key(b"numpy==1\n") != environments.key(b"numpy==2\n")


def test_a_backend_without_an_environment_runs_from_this_interpreter() -> None:
    plain = Backend("plain", "numpy")
    assert environments.interpreter(plain) == sys.executable
    assert environments.ready(plain) and environments.worker_environment(plain) == {}


def test_two_builds_of_one_environment_never_overlap(tmp_path, monkeypatch) -> None:
    """Four threads ask for one missing environment: one installs, the others wait on the
    lock and then find it ready (the install itself is stubbed: the lock is what is tested)."""
    monkeypatch.setenv("TCONV_ENV_DIR", str(tmp_path / "cache"))
    declared = Backend("locked", "numpy", requirements=str(tiny(tmp_path)))
    state = {"running": 0, "most": 0, "installs": 0}
    guard = threading.Lock()

    def install(home: Path, path: Path, module: str) -> None:
        with guard:
            state["running"] += 1
            state["most"] = max(state["most"], state["running"])
            state["installs"] += 1
        time.sleep(0.3)
        home.mkdir(parents=True)
        with guard:
            state["running"] -= 1

    monkeypatch.setattr(environments, "_install", install)
    threads = [threading.Thread(target=environments.build, args=(declared,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert state == {"running": 0, "most": 1, "installs": 1}
    assert environments.ready(declared)


def test_a_failed_build_is_one_line_and_not_ready(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("TCONV_ENV_DIR", str(tmp_path / "cache"))
    broken = tmp_path / "broken.txt"
    broken.write_text("this is not a requirement!!\n")
    declared = Backend("broken", "numpy", requirements=str(broken))
    with pytest.raises(environments.BuildError) as error:
        environments.build(declared)
    message = str(error.value)
    assert "\n" not in message and "broken" in message and "pip install" in message
    assert not environments.ready(declared)
    assert not environments.folder(declared).exists()      # nothing half-built left
    start = time.perf_counter()   # remembered: the same error again, without a second try
    with pytest.raises(environments.BuildError, match="pip install"):
        environments.build(declared)
    assert time.perf_counter() - start < 0.5


def test_an_incomplete_file_fails_pip_check(tmp_path, monkeypatch) -> None:
    """``--no-deps`` then ``pip check``: a file that forgets a dependency does not build."""
    monkeypatch.setenv("TCONV_ENV_DIR", str(tmp_path / "cache"))
    path = tmp_path / "incomplete.txt"
    # matplotlib's dependency, so in pip's cache; it needs six, not listed
    path.write_text(f"python-dateutil=={metadata.version('python-dateutil')}\n")
    declared = Backend("incomplete", "dateutil", requirements=str(path))
    try:
        environments.build(declared)
    except environments.BuildError as error:
        assert "pip check" in str(error) or "pip install" in str(error)
    else:
        pytest.fail("an environment missing a dependency was marked ready")
    assert not environments.ready(declared)


def test_the_environment_is_its_own(built) -> None:
    """No execnet (the popen gateway brings its own source), nothing of this environment's
    site-packages (pytest is here, not there), and no tconv installed there."""
    declared, home = built
    python = environments.interpreter(declared)
    assert python == str(home / "bin" / "python")
    for module in ("execnet", "pytest", "tconv"):
        found = subprocess.run([python, "-c", f"import importlib.util as u; "
                                f"print(u.find_spec({module!r}) is not None)"],
                               capture_output=True, text=True, check=True).stdout.strip()
        assert found == "False", module
    record = environments.describe(declared)
    assert record["seconds"] > 0 and record["bytes"] > 0
    # a script run there as a reproducer is (environments.command): this checkout's tconv
    source = subprocess.run([python, "-c", "import tconv.oracle; print(tconv.oracle.__file__)"],
                            capture_output=True, text=True, check=True,
                            env=environments.worker_environment(declared)).stdout.strip()
    assert Path(source) == Path(adapters.__file__).parent.parent / "oracle" / "__init__.py"
    assert environments.command(declared).endswith(python)


def test_a_worker_runs_in_the_environment_with_this_tconv(built) -> None:
    declared, home = built
    pool = Workers(timeout=60)
    try:
        worker = pool.get("faults")
        status, reply = worker.request({"prefix": True})
        assert status == "ok"
        assert reply["prefix"] == str(home)
        assert Path(reply["source"]) == Path(adapters.__file__).parent
        c = Case("faults", "none-k3-s2", 1, 2, 2, 1, (4,), (3,), (2,), (1,), ((1, 0),), (0,),
                 True, "float64")
        plan = adapters.load("faults").plan(c)
        x, w, b = c.arrays()
        there = worker.call("faults", plan.native, x, w, b, c.dtype)
        here = Workers(timeout=60, python=sys.executable)   # the override: this interpreter
        try:
            same = here.get("faults")
            assert same.prefix() == sys.prefix
            np.testing.assert_array_equal(there.y, same.call("faults", plan.native, x, w, b,
                                                             c.dtype).y)
        finally:
            here.close()
    finally:
        pool.close()


@pytest.mark.parametrize("name", environments.declared())
def test_a_declared_file_pins_every_package_exactly(name) -> None:
    """Each requirements file a backend declares lists ``name==version`` lines only (the
    build installs them with --no-deps), numpy among them, at the main environment's version
    unless the file's comments say why not (MindSpore's and onnx2tf's builds need NumPy 1.x;
    arrays cross between the environments as bytes with their dtype), and every distribution
    its framework reports versions of."""
    declared = adapters.BACKENDS[name]
    lines = [line.strip() for line in environments.requirements(declared).read_text()
             .splitlines() if line.strip() and not line.startswith("#")]
    pins = dict(line.split("==", 1) for line in lines)
    assert all("==" in line and not line.startswith("-") for line in lines), lines
    comments = " ".join(line for line in environments.requirements(declared).read_text()
                        .splitlines() if line.startswith("#"))
    assert pins["numpy"] == metadata.version("numpy") or f"numpy {pins['numpy']}" in comments \
        or f"numpy=={pins['numpy']}" in comments, (pins["numpy"], comments)
    names = {n.lower().replace("_", "-") for n in pins}
    for distribution in adapters.framework(name).distributions:
        assert distribution.lower().replace("_", "-") in names, distribution
