"""tconv installed for real: a wheel built from this checkout, installed into a fresh virtual
environment, runs the quick profile on the ONNX reference evaluator from an empty directory,
as a framework's own CI would (``tconv run``, and pytest with the ``pytest11`` plugin)."""

from __future__ import annotations

import json
import site
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The fresh environment's interpreter, with the wheel installed and nothing of the
    checkout: its dependencies are borrowed from this environment by plain path entries,
    which (unlike ``site.addsitedir``) run none of this environment's ``.pth`` files, so the
    checkout's editable tconv stays out of sight."""
    work = tmp_path_factory.mktemp("install")
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                            "--no-build-isolation", "--quiet", "-w", str(work / "dist"),
                            str(ROOT)], capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = (work / "dist").glob("tconv-*.whl")
    home = work / "venv"
    venv.EnvBuilder(with_pip=True).create(home)
    python = home / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; "
                              "print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    Path(purelib, "borrowed.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    install = subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--no-index",
                              "--quiet", str(wheel)], capture_output=True, text=True,
                             timeout=600)
    assert install.returncode == 0, install.stderr[-2000:]
    return python


def test_the_installed_package_is_the_wheel_and_claims_one_name(installed) -> None:
    where = subprocess.run([str(installed), "-c", "import tconv.oracle, tconv.conformance; "
                            "print(tconv.oracle.__file__); print(tconv.conformance.__file__)"],
                           capture_output=True, text=True, cwd="/", timeout=120)
    assert where.returncode == 0, where.stderr
    for line in where.stdout.split():
        assert str(installed.parent.parent) in line and str(ROOT) not in line, line
    # the package's data came along: the registry, the case-file and report schemas
    data = subprocess.run([str(installed), "-c", "from tconv.conformance import registry; "
                           "from tconv.reports import build; from tconv.cases import userfile; "
                           "print(len(registry.load()), build.SCHEMA.is_file(), "
                           "userfile.SCHEMA_PATH.is_file())"],
                          capture_output=True, text=True, cwd="/", timeout=120)
    assert data.returncode == 0, data.stderr
    count, *found = data.stdout.split()
    assert int(count) > 0 and found == ["True", "True"]
    # no bare top-level name of the project's folders is importable
    bare = subprocess.run([str(installed), "-c", "import adapters"], capture_output=True,
                          text=True, cwd="/", timeout=120)
    assert bare.returncode != 0 and "ModuleNotFoundError" in bare.stderr


def test_tconv_run_from_an_empty_directory(installed, tmp_path) -> None:
    empty, out = tmp_path / "empty", tmp_path / "out"
    empty.mkdir()
    run = subprocess.run([str(installed.parent / "tconv"), "run", "--profile", "quick",
                          "--backends", "onnx-reference", "--out", str(out), "-q"],
                         capture_output=True, text=True, cwd=empty, timeout=900)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    doc = json.loads((out / "report.json").read_text())
    assert doc["summary"]["checks"] == 2 * 90     # two entry points, the quick profile's cases
    assert set(doc["environment"]["frameworks"]) == {"onnx-reference"}
    assert {c["adapter"] for c in doc["capabilities"]} == {"onnx.reference",
                                                            "onnx.reference.same_lower"}
    assert list(empty.iterdir()) == []            # nothing written where it was started


def test_pytest_runs_the_installed_suite_by_name(installed, tmp_path) -> None:
    results = tmp_path / "results.jsonl"
    run = subprocess.run([str(installed), "-m", "pytest", "--pyargs", "tconv.conformance.suite",
                          "--import-mode=importlib", "-p", "no:cacheprovider", "-q",
                          "--adapters", "onnx.reference", "-m", "family_literature",
                          "--results", str(results)],
                         capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:]
    rows = [json.loads(line) for line in results.read_text().splitlines()]
    assert len(rows) == 5 and {r["status"] for r in rows} == {"pass"}
