"""The regression gate: doctored runs against a baseline, the baseline file, the command line."""

from __future__ import annotations

import copy
import json

import pytest

from tconv.reports import gate


def row(name: str, status: str = "pass", observed: str | None = None,
        bound_units: float | None = 0.2, actual_shape: list | None = None) -> dict:
    """A synthetic results line with every field of ``conformance.results.FIELDS``."""
    case_id = f"edge/{name}/float32"
    return {"check_id": f"torch.functional::{case_id}::forward::cpu", "case_id": case_id,
            "case": {"family": "edge", "name": name, "batch": 1, "in_channels": 1,
                     "out_channels": 1, "groups": 1, "input_size": [4], "kernel": [3],
                     "stride": [2], "dilation": [1], "padding": [[0, 0]], "output_padding": [0],
                     "bias": False, "dtype": "float32", "layout": "channels_first", "seed": 1,
                     "source": "synthetic", "dims": 1},
            "family": "edge", "dtype": "float32", "check": "forward",
            "adapter": "torch.functional", "backend": "torch",
            "entry_point": "torch.nn.functional.conv_transposeNd",
            "framework_version": "2.13.0", "device": "cpu", "status": status,
            "observed": observed or status, "detail": "",
            "known_issue": "upstream #1" if status == "known" else "",
            "expected_shape": [1, 1, 9], "actual_shape": actual_shape or [1, 1, 9],
            "max_abs_error": 1e-7, "bound_units": bound_units, "worst_index": [0, 0, 3],
            "error_type": None, "error_message": None,
            "call": "torch.nn.functional.conv_transpose1d(x, w)", "error_map": None,
            "duration_s": 0.01, "pytest_outcome": "passed"}


def baseline_rows() -> list[dict]:
    return [row("a"), row("b"), row("c", "known", "mismatch", bound_units=3e4),
            row("d", "mismatch", bound_units=50.0), row("e", "unsupported", bound_units=None)]


def write(path, rows: list[dict], tail: str = "") -> str:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows) + tail)
    return str(path)


def run(tmp_path, current: list[dict], *flags: str, tail: str = "") -> int:
    before = write(tmp_path / "baseline.jsonl", baseline_rows())
    after = write(tmp_path / "current.jsonl", current, tail)
    return gate.main(["--baseline", before, "--current", after, *flags])


def by_name(rows: list[dict]) -> dict[str, dict]:
    return {r["case"]["name"]: r for r in rows}


def test_identical_run_passes(tmp_path, capsys) -> None:
    assert run(tmp_path, baseline_rows()) == 0
    out = capsys.readouterr().out
    assert "gate ok: 0 regression(s), 0 improvement(s), 0 missing, 0 new, 5 unchanged" in out


@pytest.mark.parametrize(("name", "changes", "why"), [
    ("a", {"status": "mismatch", "observed": "mismatch"}, "passed, now mismatch"),
    ("a", {"status": "unsupported", "observed": "unsupported"}, "passed, now unsupported"),
    ("d", {"status": "shape", "observed": "shape"}, "status changed: mismatch -> shape"),
    ("c", {"observed": "shape"}, "now observed as shape"),
    ("c", {"actual_shape": [1, 1, 8]}, "output shape changed"),
    ("c", {"bound_units": 2e5}, "grew past its order of magnitude"),
])
def test_doctored_run_is_a_regression(tmp_path, capsys, name, changes, why) -> None:
    current = baseline_rows()
    by_name(current)[name].update(changes)
    assert run(tmp_path, current) == 1
    out = capsys.readouterr().out
    [line] = [line for line in out.splitlines() if line.startswith("REGRESSION")]
    assert f"::edge/{name}/float32::" in line and why in line
    assert "gate FAIL: 1 regression(s)" in out


def test_new_failing_check_is_a_regression(tmp_path, capsys) -> None:
    assert run(tmp_path, [*baseline_rows(), row("f", "error")]) == 1
    assert "REGRESSION torch.functional::edge/f/float32::forward::cpu: - -> error: new check" \
        in capsys.readouterr().out


def test_error_within_its_order_of_magnitude_is_unchanged() -> None:
    current = baseline_rows()
    by_name(current)["c"]["bound_units"] = 8e4  # 3e4 -> 8e4: same order
    result = gate.compare(baseline_rows(), current)
    assert not result.regressions and len(result.unchanged) == 5


def test_magnitude_is_the_decimal_order() -> None:
    assert [gate.magnitude(x) for x in (3e4, 8e4, 2e5, 1e-5, 1000.0, 0.999)] == \
        [4, 4, 5, -5, 3, -1]
    # Just below a power of ten, log10 rounds up to it: the order is still the one below.
    assert gate.magnitude(999.9999999999999) == 2 and gate.magnitude(0.09999999999999999) == -2
    assert gate.magnitude(None) is None and gate.magnitude(0.0) == -float("inf")
    assert gate.magnitude(float("nan")) == float("inf")


def test_improvements_are_listed_and_do_not_fail(tmp_path, capsys) -> None:
    current = baseline_rows()
    by_name(current)["c"].update(status="pass", observed="pass", known_issue="")
    by_name(current)["d"].update(status="pass", observed="pass")
    assert run(tmp_path, current) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines if line.startswith("improvement")] == \
        ["improvement torch.functional", "improvement torch.functional"]
    assert any("edge/c/float32" in line and "known -> pass: fixed" in line for line in lines)
    assert any("edge/d/float32" in line and "mismatch -> pass: passes" in line for line in lines)
    assert "gate ok: 0 regression(s), 2 improvement(s)" in lines[-1]


def test_new_passing_check_is_listed_and_does_not_fail(tmp_path, capsys) -> None:
    assert run(tmp_path, [*baseline_rows(), row("g")]) == 0
    assert "new torch.functional::edge/g/float32::forward::cpu: - -> pass" \
        in capsys.readouterr().out


def test_missing_fails_only_with_strict(tmp_path, capsys) -> None:
    current = [r for r in baseline_rows() if r["case"]["name"] != "b"]
    assert run(tmp_path, current) == 0
    assert "missing torch.functional::edge/b/float32::forward::cpu: pass -> -" \
        in capsys.readouterr().out
    assert run(tmp_path, current, "--strict") == 1
    assert "gate FAIL: 0 regression(s), 0 improvement(s), 1 missing (strict)" \
        in capsys.readouterr().out


def test_json_carries_the_same_lists(tmp_path, capsys) -> None:
    current = [r for r in baseline_rows() if r["case"]["name"] != "b"] + [row("f", "crash")]
    by_name(current)["a"].update(status="mismatch", observed="mismatch")
    by_name(current)["d"].update(status="pass", observed="pass")
    assert run(tmp_path, current, "--json") == 1
    document = json.loads(capsys.readouterr().out)
    expected = gate.compare(baseline_rows(), current)
    assert document == json.loads(json.dumps(gate.as_json(expected)))
    assert [c["after"] for c in document["regressions"]] == ["mismatch", "crash"]
    assert [c["before"] for c in document["improvements"]] == ["mismatch"]
    assert [c["before"] for c in document["missing"]] == ["pass"]
    assert document["failed"] is True and document["counts"]["unchanged"] == 2


def test_truncated_last_line_is_skipped(tmp_path, capsys) -> None:
    assert run(tmp_path, baseline_rows(), tail='{"check_id": "torch.functional::cut') == 0
    out = capsys.readouterr().out
    assert "1 unreadable line(s) skipped" in out and "5 unchanged" in out


def test_report_json_is_read_by_its_checks(tmp_path) -> None:
    current = baseline_rows()
    by_name(current)["b"].update(status="shape", observed="shape")
    report = {"schema_version": "1.1", "checks": [dict(r, reproducer=None) for r in current]}
    (tmp_path / "report.json").write_text(json.dumps(report, indent=1))
    before = write(tmp_path / "baseline.jsonl", baseline_rows())
    assert gate.load(tmp_path / "report.json")[2] == "report"
    assert gate.main(["--baseline", before, "--current", str(tmp_path / "report.json")]) == 1


def test_baseline_round_trips(tmp_path) -> None:
    rows = baseline_rows()
    rows[2]["bound_units"] = 9.9996e4  # the known one: 3 digits round it up an order, never down
    assert gate.write_baseline(rows, tmp_path / "baseline.jsonl") == 5
    loaded, broken, kind = gate.load(tmp_path / "baseline.jsonl")
    assert (kind, broken, len(loaded)) == ("baseline", 0, 5)
    result = gate.compare(loaded, rows)
    assert not result.failed(strict=True) and len(result.unchanged) == 5
    # The file alone still catches a doctored run.
    doctored = copy.deepcopy(rows)
    doctored[2]["bound_units"] = 2e6
    assert [c.check_id for c in gate.compare(loaded, doctored).regressions] == \
        [rows[2]["check_id"]]


def test_baseline_file_is_sorted_compact_and_stable(tmp_path) -> None:
    rows = baseline_rows()
    rows[1]["bound_units"] = 0.123456
    gate.write_baseline(reversed(rows), tmp_path / "one.jsonl")
    gate.write_baseline([dict(r, duration_s=9.0) for r in rows], tmp_path / "two.jsonl")
    text = (tmp_path / "one.jsonl").read_text()
    assert text == (tmp_path / "two.jsonl").read_text()
    header, *lines = [json.loads(line) for line in text.splitlines()]
    assert header["tconv_baseline"] == "1.0" and header["checks"] == 5
    assert [line["check_id"] for line in lines] == sorted(r["check_id"] for r in rows)
    assert set(lines[0]) == set(gate.BASELINE_FIELDS)
    assert lines[1]["bound_units"] == 0.123 and lines[2]["known_issue"] is True
    assert all(json.dumps(line, sort_keys=True) in text for line in lines)


@pytest.mark.parametrize(("argv", "says"), [
    ([], "the following arguments are required"),
    (["--baseline", "{dir}/nope.jsonl", "--current", "{dir}/baseline.jsonl"], "nope.jsonl: no such file"),
    (["--baseline", "{dir}/baseline.jsonl", "--current", "{dir}"], "is a directory"),
    (["--baseline", "{dir}/baseline.jsonl", "--current", "{dir}/junk.txt"], "junk.txt: no readable check"),
    (["--baseline", "{dir}/future.jsonl", "--current", "{dir}/baseline.jsonl"], "baseline version '9.0'"),
    (["--baseline", "{dir}/baseline.jsonl", "--current", "{dir}/baseline.jsonl", "--frobnicate"],
     "unrecognized arguments"),
])
def test_bad_usage_is_one_line_and_status_2(tmp_path, capsys, argv, says) -> None:
    write(tmp_path / "baseline.jsonl", baseline_rows())
    (tmp_path / "junk.txt").write_text("not json\n")
    (tmp_path / "future.jsonl").write_text('{"tconv_baseline": "9.0"}\n')
    assert gate.main([a.format(dir=tmp_path) for a in argv]) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and captured.err.startswith("tconv gate: ")
    assert says in captured.err and captured.out == ""
