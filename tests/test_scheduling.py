"""Backend-affine scheduling: a backend's checks run next to each other in one xdist worker
(``--dist loadgroup``, one group per backend), so each framework is started in one process,
and its process is closed when the next test does not use it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

from tconv import adapters
from tconv.adapters.logs import MARKER
from tconv.adapters.workers import Workers
from tconv.conformance import plugin

ROOT = Path(__file__).resolve().parent.parent


def item(fixture: str | None, name: str = "") -> SimpleNamespace:
    params = {fixture: (name, None, "cpu")} if fixture else {}
    return SimpleNamespace(callspec=SimpleNamespace(params=params), name=f"{fixture}:{name}")


def test_a_check_needs_its_backend_and_a_converter_paths_source() -> None:
    assert plugin.needs(item("tconv_check", "faults")) == {"faults"}
    assert plugin.needs(item("tconv_check", "faults.converted")) == {"faults"}
    assert plugin.needs(item("tconv_gradient_check", "onnx.reference")) == {"onnx-reference"}
    assert plugin.needs(item(None)) == frozenset() and plugin.needs(None) == frozenset()


def test_a_backends_checks_are_put_together_the_other_tests_first() -> None:
    items = [item("tconv_check", "faults"), item(None), item("tconv_check", "onnx.reference"),
             item("tconv_gradient_check", "faults"), item("tconv_check", "onnxruntime")]
    plugin.pytest_collection_modifyitems(items)
    backends = [adapters.backend(i.callspec.params[f][0]) if i.callspec.params else ""
                for i in items for f in (list(i.callspec.params) or [None])]
    assert backends[0] == ""
    order = list(adapters.BACKENDS)
    assert backends[1:] == sorted(backends[1:], key=order.index)
    assert backends.count("faults") == 2 and backends[-2:] == ["faults", "faults"]


def test_a_converter_paths_checks_join_its_sources() -> None:
    """A converter path's home is its source's backend: its checks go to the xdist worker of
    the source framework, whose process they start too, and sort next to that framework's;
    within a home, each backend's checks stay together."""
    path = "torch.module.onnx.dynamo"
    assert adapters.backend(path) == "torch-onnx"
    assert plugin.home(path) == "torch" == plugin.home("torch.module")
    assert plugin.home("onnx.reference") == "onnx-reference"
    other = "torch.functional.onnx.torchscript"
    items = [item("tconv_check", path), item("tconv_check", "onnx.reference"),
             item("tconv_check", "torch.module"), item("tconv_check", other),
             item("tconv_gradient_check", "torch.module")]
    plugin.pytest_collection_modifyitems(items)
    names = [next(iter(i.callspec.params.values()))[0] for i in items]
    homes = [plugin.home(n) for n in names]
    assert homes.count("torch") == 4 and homes[:4].count("torch") in (0, 4)
    torch_backends = [adapters.backend(n) for n in names if plugin.home(n) == "torch"]
    assert torch_backends == ["torch", "torch", "torch-onnx", "torch-onnx"]


def test_keep_only_closes_the_other_backends_workers() -> None:
    pool = Workers(timeout=30.0)
    try:
        pool.get("faults")
        assert pool.get("faults").version("faults") == "0"   # started
        pool.keep_only({"onnx-reference"})
        assert pool.workers == {}
    finally:
        pool.close()


def test_each_framework_starts_once_across_xdist_workers(tmp_path) -> None:
    cases = tmp_path / "cases.toml"
    cases.write_text("".join(f'[[cases]]\nname = "{name}"\nin_channels = 1\nout_channels = 1\n'
                             f'input_size = [4]\nkernel = 3\nstride = 2\npadding = [[1, 1]]\n\n'
                             for name in ("none-a", "none-b", "none-c", "none-d")))
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "tconv.reports.cli", "run", "--out", str(out),
                          "--adapters", "faults,onnx.reference", "--cases", str(cases),
                          "-n", "2", "--dist", "loadgroup"], cwd=ROOT, capture_output=True,
                         text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    for backend in ("faults", "onnx-reference"):
        log = (out / "logs" / f"{backend}.log").read_text()
        assert log.count(MARKER) == 1, (backend, log[-2000:])


def _collected(*options: str) -> list[str]:
    run = subprocess.run([sys.executable, "-m", "pytest", "--pyargs", "tconv.conformance.suite",
                          "--import-mode=importlib", "--collect-only", "-q", "-p", "no:xdist",
                          *options], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return [line.split("[", 1)[1].rstrip("]") for line in run.stdout.splitlines()
            if "test_forward[" in line]


def test_a_slow_backend_runs_its_quick_families_in_the_quick_profile_only() -> None:
    """A backend whose checks cost a conversion each (``Backend.quick_families``) runs only
    those families in the quick profile, every case in the default one; the others run all."""
    slow = adapters.BACKENDS["onnx2tf"]
    entry = next(n for n in adapters.REGISTRY if adapters.backend(n) == slow.name)
    quick = _collected("--profile", "quick", "--adapters", f"{entry},onnx.reference")
    default = _collected("--profile", "default", "--adapters", entry)
    families = {i.split("::")[1].split("/")[0] for i in quick if i.startswith(f"{entry}::")}
    assert families and families <= set(slow.quick_families)
    reference = {i.split("::")[1].split("/")[0] for i in quick if i.startswith("onnx.reference::")}
    assert reference > families                      # the other backends keep every family
    assert len(default) > len([i for i in quick if i.startswith(f"{entry}::")])
