"""Backend-affine scheduling: a backend's checks run next to each other in one xdist worker
(``--dist loadgroup``, one group per backend), so each framework is started in one process,
and its process is closed when the next test does not use it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter, OrderedDict
from pathlib import Path
from types import SimpleNamespace

import pytest

from tconv import adapters
from tconv.adapters.logs import MARKER
from tconv.adapters.workers import Workers
from tconv.conformance import costs, plugin

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


FORWARD = "conformance/suite/test_forward.py::test_forward[faults::{}]"
EXPLORE = "conformance/suite/test_explore.py::test_explore[faults]"


def test_costs_are_kept_per_test_function_and_merged_with_the_runs_before(tmp_path) -> None:
    unit, other = "backend:faults", "tests/test_x.py::test_y"
    before = costs.Costs(tmp_path, "quick")
    assert before.recorded == {} and before.per_test(unit, FORWARD.format("a")) == 1.0
    before.add(unit, FORWARD.format("a"), 0.5)
    before.add(unit, FORWARD.format("b"), 2.5)
    before.add(unit, EXPLORE, 0.001)
    before.add(other, other, 4.0)
    before.save()
    after = costs.Costs(tmp_path, "quick")
    assert after.per_test(unit, FORWARD.format("c")) == 1.5     # its forward checks' mean
    assert after.per_test(unit, EXPLORE) == 0.001 and after.per_test(other, other) == 4.0
    assert after.per_test("tests/test_z.py::test_new", "tests/test_z.py::test_new") == pytest.approx(7.001 / 4)
    default = costs.Costs(tmp_path, "default")                    # one file per profile,
    assert default.recorded == {} and default.per_test(unit, FORWARD.format("d")) == 1.5
    (tmp_path / costs.file("cases")).write_text(json.dumps({f"{unit} test_forward": [1, 9.0]}))
    # the others' figures for what it never measured: those of the most tests
    assert costs.Costs(tmp_path, "default").per_test(unit, FORWARD.format("d")) == 1.5
    (tmp_path / costs.file("cases")).write_text(json.dumps({f"{unit} test_forward": [3, 9.0]}))
    assert costs.Costs(tmp_path, "default").per_test(unit, FORWARD.format("d")) == 3.0
    (tmp_path / costs.file("cases")).unlink()
    after.add(unit, FORWARD.format("a"), 3.0)                      # this run's figures win
    after.save()
    again = costs.Costs(tmp_path, "quick")
    assert again.recorded == {f"{unit} test_forward": [1, 3.0], f"{unit} test_explore": [1, 0.001],
                              other: [1, 4.0]}
    (tmp_path / costs.file("quick")).write_text("{not json")
    assert costs.Costs(tmp_path, "quick").recorded == {}          # a cache: started afresh
    assert costs.Costs("", "quick").path is None                  # caches turned off: none kept


def test_the_costliest_unit_is_handed_out_first(tmp_path) -> None:
    def queue() -> OrderedDict:
        return OrderedDict([("many", dict.fromkeys("abcd", False)),
                            ("few", dict.fromkeys("ef", False)),
                            ("one", {"g": False})])
    unmeasured = queue()
    costs.longest_first(unmeasured, costs.Costs(tmp_path, "quick"))
    assert list(unmeasured) == ["many", "few", "one"]              # xdist's order: most tests
    (tmp_path / costs.file("quick")).write_text(json.dumps({"many a": [10, 1.0],
                                                            "few e": [1, 3.0]}))
    measured = queue()
    costs.longest_first(measured, costs.Costs(tmp_path, "quick"))
    # few: 2 x 3 s, one: unmeasured, the mean (4 s over 11 tests), many: 4 x 0.1 s
    assert list(measured) == ["few", "many", "one"]
    done = queue()
    done["few"]["e"] = done["few"]["f"] = True                     # a crashed node's unit, run
    costs.longest_first(done, costs.Costs(tmp_path, "quick"))
    assert list(done) == ["many", "one", "few"]


def _run_order(tmp_path, name: str, seeded: dict | None) -> tuple[list[str], dict, dict]:
    """The homes of a one-worker run's checks in the order they ran, its number of checks per
    home, and the figures it left, with ``seeded`` as the figures of the runs before."""
    cache = tmp_path / name
    cache.mkdir()
    if seeded is not None:
        (cache / costs.file("cases")).write_text(json.dumps(seeded))
    cases = tmp_path / "cases.toml"
    cases.write_text('[[cases]]\nname = "one"\nin_channels = 1\nout_channels = 1\n'
                     'input_size = [4]\nkernel = 3\nstride = 2\npadding = [[1, 1]]\n')
    out = tmp_path / f"{name}-out"
    run = subprocess.run([sys.executable, "-m", "tconv.reports.cli", "run", "--out", str(out),
                          "--adapters", "faults,onnx.reference", "--cases", str(cases),
                          "-n", "1", "--dist", "loadgroup"], cwd=ROOT, capture_output=True,
                         text=True, timeout=600, env={**os.environ, "TCONV_CACHE_DIR": str(cache)})
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    homes = [plugin.home(json.loads(line)["adapter"])
             for line in (out / "results.jsonl").read_text().splitlines()]
    order = [h for i, h in enumerate(homes) if i == 0 or homes[i - 1] != h]
    return order, Counter(homes), json.loads((cache / costs.file("cases")).read_text())


def test_a_run_orders_its_units_by_the_seconds_it_recorded_before(tmp_path) -> None:
    """End to end, with one xdist worker (so the order is the scheduler's alone): without
    figures the home with more tests runs first; seeded figures that make the other one
    costlier put it first; each run leaves its figures, one test per check."""
    plain, checks, left = _run_order(tmp_path, "plain", None)
    assert sorted(plain) == ["faults", "onnx-reference"], plain
    first, later = plain
    for home in plain:
        kept = {k: n for k, (n, _) in left.items() if k.startswith(f"backend:{home} ")}
        assert sum(n for k, n in kept.items() if "test_explore" not in k) == checks[home], kept
    explored = {h: left.get(f"backend:{h} test_explore", [0])[0] for h in plain}
    assert checks[first] + explored[first] >= checks[later] + explored[later]
    # The figures the run left, with the later home's tests made a thousand times costlier.
    slower = {k: [n, s * 1000 if k.startswith(f"backend:{later} ") else s]
              for k, (n, s) in left.items()}
    seeded, _, _ = _run_order(tmp_path, "seeded", slower)
    assert seeded == [later, first]
