"""Converter paths (adapters.conversion): the stage that failed, the converted file kept for a
check that did not pass, and the second judgement against the source's own answer; through the
one pipeline, with the test-only path ``faults.converted``."""

from __future__ import annotations

import base64
import json

import pytest

from tconv.adapters.conversion import StageFailed, stage
from tconv.adapters.workers import Workers
from tconv.cases.case import Case
from tconv.conformance import pipeline, registry, results
from tconv.conformance.status import Status
from tconv.reports import build


def case(fault: str) -> Case:
    return Case("faults", f"{fault}-k3-s2", 2, 2, 4, 2, (4, 3), (3, 2), (2, 1), (1, 2),
                ((1, 0), (0, 1)), (1, 0), True, "float64")


@pytest.fixture(scope="module")
def workers():
    pool = Workers(timeout=30.0)
    yield pool
    pool.close()


def test_a_stage_names_itself_and_keeps_the_frameworks_words() -> None:
    with pytest.raises(StageFailed) as raised, stage("load"):
        raise KeyError("no such node")
    assert (raised.value.stage, raised.value.kind) == ("load", "KeyError")
    assert "no such node" in str(raised.value)
    with pytest.raises(ValueError), stage("compile"):
        pass


def test_a_faithful_path_passes_keeps_no_file_and_agrees_with_its_source(workers) -> None:
    check = pipeline.run("faults.converted", case("none"), workers)
    assert check.status == Status.PASS and check.stage == "" and check.artefact is None
    assert check.source_output["entry_point"] == "faults"
    assert check.source_output["agree"] is True
    assert check.source_output["max_abs_difference"] == 0.0


def test_a_failed_load_names_the_stage_and_keeps_the_file(workers, tmp_path) -> None:
    c = case("raise")
    check = pipeline.run("faults.converted", c, workers)
    assert check.status == Status.ERROR and check.stage == "load"
    assert check.verdict.error_type == "ValueError"
    # the source itself raised too (its own fault): recorded, not compared
    assert check.source_output["status"] == "error" and check.source_output["agree"] is None
    row = results.record(check, c)
    assert row["stage"] == "load" and row["artefact"]["suffix"] == ".json"
    assert json.loads(base64.b64decode(row["artefact"]["base64"]))["fault"] == "raise"
    [path] = build.artefacts([row], tmp_path)
    assert path.name.endswith(".json") and "/" not in path.name
    assert json.loads(path.read_bytes())["fault"] == "raise"


def test_a_wrong_answer_keeps_the_file_and_says_whether_the_source_agrees(workers) -> None:
    check = pipeline.run("faults.converted", case("shift"), workers)
    assert check.status == Status.MISMATCH and check.stage == ""
    assert check.artefact is not None
    # the source (faults) shifts the same way: the converter is faithful to it
    assert check.source_output["agree"] is True


def test_registry_versions_name_the_part_of_a_converter_path() -> None:
    entry = registry.Known("x", "*", Status.ERROR, "onnxruntime>=1.13", "e")
    assert entry.affects("torch 2.13.0, onnxruntime 1.32.0")
    assert not entry.affects("torch 2.13.0, onnxruntime 1.12.1")
    assert not entry.affects("torch 2.13.0")
    assert not entry.affects("")   # an unsupported check reached no framework: no version
    bare = registry.Known("x", "*", Status.ERROR, ">=2", "e")
    assert bare.affects("2.13.0") and not bare.affects("torch 2.13.0, onnxruntime 1.32.0")
