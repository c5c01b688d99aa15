"""The ONNX runtimes that import tconv's ONNX file themselves (adapters.onnx_file: tract,
tinygrad's ONNX frontend, Apache TVM's Relax frontend): what they take from the onnxruntime
entry points, the file the export stage keeps, and one check of each runtime per dtype through
the one pipeline (skipped where the runtime is not installed)."""

from __future__ import annotations

import importlib.util
from dataclasses import replace

import pytest

from tconv import adapters
from tconv.adapters import onnx as onnx_adapter
from tconv.adapters.workers import Workers
from tconv.cases.case import Case
from tconv.conformance import pipeline
from tconv.conformance.status import Status

# entry point -> the module whose presence says the runtime is installed
PATHS = {"onnx.tract": "tract", "onnx.same_lower.tract": "tract",
         "onnx.tinygrad": "tinygrad", "onnx.same_lower.tinygrad": "tinygrad",
         "onnx.tvm": "tvm", "onnx.same_lower.tvm": "tvm"}


def case(dtype: str = "float32", padding=((1, 2),), output_padding=(1,)) -> Case:
    return Case("grid", "ort-1d", 2, 2, 4, 2, (5,), (3,), (2,), (1,), padding, output_padding,
                True, dtype, seed=7)


@pytest.fixture(scope="module")
def workers():
    pool = Workers(timeout=120.0)
    yield pool
    pool.close()


@pytest.mark.parametrize("name", sorted(PATHS))
def test_each_path_takes_its_onnxruntime_entry_points_vocabulary(name: str) -> None:
    cls, _ = adapters.REGISTRY[name]
    source = "onnxruntime.same_lower" if ".same_lower." in name else "onnxruntime"
    assert cls.origin == source and cls.conventions.source == source
    assert cls.conventions.dtypes == ("float32", "float16", "float64")
    assert cls.conventions.gradients is False and cls.conventions.devices == ("cpu",)
    same = case(padding="SAME", output_padding=(1,))   # the one padding both sources judge
    ort = adapters.load(source).plan(same)
    plan = adapters.load(name).plan(same)
    assert (plan.native, plan.canonical) == (ort.native, ort.canonical)


def test_only_onnxruntimes_missing_float64_kernel_leaves_the_plan() -> None:
    path, ort = adapters.load("onnx.tract"), adapters.load("onnxruntime")
    c = case("float64")
    assert ort.plan(c).violation == onnx_adapter.ORT_NO_KERNEL.format(dtype="float64")
    assert path.plan(c).violation == ""
    # the spec's own restrictions stay: SAME with output_padding at the stride is forbidden
    invalid = replace(c, padding="SAME", output_padding=(2,))
    assert "output_padding" in path.plan(invalid).violation


def test_the_exported_file_is_the_onnxruntime_model_with_weight_initializers() -> None:
    onnx = pytest.importorskip("onnx")
    c = case()
    path = adapters.load("onnx.tract")
    plan = path.plan(c)
    x, w, b = c.arrays()
    model = onnx.load_from_string(path.export(plan.native, x, w, b, c.dtype))
    assert [i.name for i in model.graph.input] == ["X"]
    assert [t.name for t in model.graph.initializer] == ["W", "B"]
    [node] = model.graph.node
    assert node.op_type == "ConvTranspose"
    attributes = {a.name: list(a.ints) for a in node.attribute if a.ints}
    assert attributes["pads"] == list(plan.native["pads"])


@pytest.mark.parametrize("dtype", ["float32", "float16", "float64"])
@pytest.mark.parametrize("name", ["onnx.tract", "onnx.tinygrad", "onnx.tvm"])
def test_each_runtime_computes_explicit_padding_in_each_dtype(name, dtype, workers) -> None:
    if importlib.util.find_spec(PATHS[name]) is None:
        pytest.skip(f"{PATHS[name]} is not installed")
    check = pipeline.run(name, case(dtype), workers)
    assert check.status == Status.PASS, check.verdict.detail
    assert check.stage == "" and check.artefact is None
    source = check.source_output
    assert source["entry_point"] == "onnxruntime"
    if dtype == "float64":   # onnxruntime has no float64 kernel: nothing to compare
        assert source["status"] == "error" and source["agree"] is None
    else:
        assert source["agree"] is True


def test_a_refused_load_names_its_stage_and_keeps_the_onnx_file(workers) -> None:
    if importlib.util.find_spec("tract") is None:
        pytest.skip("tract is not installed")
    onnx = pytest.importorskip("onnx")
    # SAME with a kernel no longer than the stride: tract's analysis refuses it (registered)
    c = replace(case(), padding="SAME", output_padding=(0,), kernel=(1,))
    check = pipeline.run("onnx.tract", c, workers)
    assert check.status == Status.ERROR and check.stage == "load"
    suffix, data = check.artefact
    assert suffix == ".onnx"
    assert onnx.load_from_string(data).graph.node[0].op_type == "ConvTranspose"
