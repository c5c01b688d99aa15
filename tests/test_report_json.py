"""report.json: valid against its published schema, and the same for two runs of the same
versions once timings and timestamps are removed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from tconv.reports import build, features

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads(build.SCHEMA.read_text())
# Three backends, xdist on: the order in which checks end differs between the two runs.
RUN = ["--profile", "quick", "--adapters", "torch.functional,jax.conv_transpose,onnx.reference",
       "-p", "no:cacheprovider", "-q", "-n", "2"]


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory) -> list[Path]:
    outs = []
    for n in (1, 2):
        out = tmp_path_factory.mktemp(f"run{n}")
        run = subprocess.run([sys.executable, "-m", "tconv.reports.cli", "run", "--out", str(out),
                              *RUN], cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert run.returncode in (0, 1), run.stderr[-2000:]
        outs.append(out)
    return outs


def test_schema_is_a_valid_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_run_report_is_valid(two_runs) -> None:
    doc = json.loads((two_runs[0] / "report.json").read_text())
    jsonschema.validate(doc, SCHEMA)
    assert doc["summary"]["checks"] == len(doc["checks"]) > 0
    assert {"torch", "jax", "onnx-reference"} <= set(doc["environment"]["frameworks"])
    assert doc["command"][:2] == ["tconv", "run"]
    # every check that did not pass and was run carries its reproducer, and only those
    for check in doc["checks"]:
        assert (check["reproducer"] is None) == (check["status"] in ("pass", "unsupported"))


def test_feature_matrix_counts_every_check(two_runs) -> None:
    doc = json.loads((two_runs[0] / "report.json").read_text())
    matrix = doc["feature_matrix"]
    assert matrix["features"] == list(features.FEATURES)
    assert matrix["categories"] == ["pass", "known", "unsupported", "new"]
    entries = {e["adapter"]: e for e in matrix["entry_points"]}
    assert set(entries) == {c["adapter"] for c in doc["checks"]}
    for adapter, entry in entries.items():
        mine = [c for c in doc["checks"] if c["adapter"] == adapter]
        assert entry["backends"] == sorted({c["backend"] for c in mine})
        # every check has one dtype, and the gradients column counts the gradient checks
        by_dtype = sum(sum(entry["features"][d].values())
                       for d in ("float16", "bfloat16", "float32", "float64"))
        assert by_dtype == len(mine)
        assert sum(entry["features"]["gradients"].values()) == sum(
            c["check"] == "gradients" for c in mine)
        known = sum(c["status"] == "known" and c["dtype"] == "float32" for c in mine)
        assert entry["features"]["float32"]["known"] == known
    # optional: a document written before it was added stays valid; a wrong one is not
    jsonschema.validate({k: v for k, v in doc.items() if k != "feature_matrix"}, SCHEMA)
    matrix["entry_points"][0]["features"]["SAME"]["new"] = -1
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, SCHEMA)


def test_schema_rejects_a_broken_document(two_runs) -> None:
    doc = json.loads((two_runs[0] / "report.json").read_text())
    doc["checks"][0]["status"] = "fine"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, SCHEMA)


def test_two_runs_give_the_same_report(two_runs) -> None:
    first, second = (build.stable(json.loads((out / "report.json").read_text()))
                     for out in two_runs)
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)
    # ... and the comparison sees a difference where there is one
    second["checks"][0]["detail"] += " "
    assert json.dumps(first, sort_keys=True) != json.dumps(second, sort_keys=True)


def test_a_report_shows_what_the_recorded_run_saw(two_runs, tmp_path) -> None:
    """Reports come from the results lines alone: lines whose recorded conventions, registry
    entry and reproducer differ from this checkout's (another version of tconv, another
    machine) are reported as recorded."""
    rows = [json.loads(line) for line in
            (two_runs[0] / "results.jsonl").read_text().splitlines()]
    known = next(r for r in rows if r["status"] == "known")
    other = []
    for row in rows:
        if row["adapter"] == known["adapter"]:
            row = {**row, "conventions": {**row["conventions"],
                                          "kernel_layout": "as another version declared it"}}
        if row["check_id"] == known["check_id"]:
            row = {**row, "reproducer": "# the other run's script\n",
                   "known_entry": {**row["known_entry"], "source": "their-registry.toml",
                                   "evidence": "their evidence"}}
        other.append(row)
    path = tmp_path / "theirs.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in other))
    doc = build.write([path], tmp_path / "out", ["tconv", "report", str(path)])
    jsonschema.validate(doc, SCHEMA)
    capability = {c["adapter"]: c for c in doc["capabilities"]}[known["adapter"]]
    assert capability["kernel_layout"] == "as another version declared it"
    check = {c["check_id"]: c for c in doc["checks"]}[known["check_id"]]
    assert check["reproducer"] == "# the other run's script\n"
    assert any(e["source"] == "their-registry.toml" and e["evidence"] == "their evidence"
               for e in doc["known_issues"])
    html = (tmp_path / "out" / "report.html").read_text()
    assert "as another version declared it" in html
