"""Merging results files from several machines: duplicates, conflicts, devices, versions."""

from __future__ import annotations

import json

from tconv.conformance import results
from tconv.reports import merge


def row(name: str, status: str = "pass", device: str = "cpu", version: str = "2.13.0",
        duration_s: float = 0.01) -> dict:
    case_id = f"edge/{name}/float32"
    return {"check_id": results.check_id("torch.functional", case_id, "forward", device),
            "case_id": case_id, "check": "forward", "adapter": "torch.functional",
            "backend": "torch", "framework_version": version, "device": device,
            "status": status, "observed": status, "bound_units": 0.2, "duration_s": duration_s}


def write(path, rows: list[dict], tail: str = "") -> str:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows) + tail)
    return str(path)


def test_devices_and_versions_are_different_checks(tmp_path) -> None:
    one = write(tmp_path / "one.jsonl", [row("a"), row("a", version="2.12.0")])
    two = write(tmp_path / "two.jsonl", [row("a", device="cuda:0")])
    rows, notes = merge.merge([one, two])
    assert [(r["device"], r["framework_version"]) for r in rows] == \
        [("cpu", "2.12.0"), ("cpu", "2.13.0"), ("cuda:0", "2.13.0")]
    assert notes == []


def test_identical_rows_collapse_despite_duration(tmp_path) -> None:
    one = write(tmp_path / "one.jsonl", [row("b"), row("a")])
    two = write(tmp_path / "two.jsonl", [row("a", duration_s=3.5)])
    rows, notes = merge.merge([one, two])
    assert [r["case_id"] for r in rows] == ["edge/a/float32", "edge/b/float32"]
    assert notes == []


def test_conflicting_duplicate_keeps_the_last_and_is_noted(tmp_path) -> None:
    one = write(tmp_path / "one.jsonl", [row("a")])
    two = write(tmp_path / "two.jsonl", [row("a", "mismatch")], tail='{"check_id": "cut')
    rows, notes = merge.merge([one, two])
    assert [r["status"] for r in rows] == ["mismatch"]
    [conflict] = [n for n in notes if rows[0]["check_id"] in n]
    assert f"{one} says pass, {two} says mismatch; kept {two}" in conflict
    assert f"{two}: 1 unreadable line(s) skipped" in notes


def test_main_writes_sorted_results(tmp_path, capsys) -> None:
    one = write(tmp_path / "one.jsonl", [row("c"), row("a")])
    two = write(tmp_path / "two.jsonl", [row("b"), row("a", duration_s=2.0)])
    out = tmp_path / "merged"
    (out).mkdir()
    (out / "results.jsonl").write_text("stale\n")  # replaced, not appended to
    (out / ".results.jsonl.partial").write_text(json.dumps(row("z")) + "\n")  # a killed merge
    assert merge.main([one, two, "--out", str(out)]) == 0
    written, broken = results.read([out / "results.jsonl"])
    assert broken == 0 and [r["case_id"][5] for r in written] == ["a", "b", "c"]
    assert capsys.readouterr().out.count("\n") == 1


def test_output_may_be_an_input(tmp_path) -> None:
    one = write(tmp_path / "results.jsonl", [row("a")])
    two = write(tmp_path / "two.jsonl", [row("b")])
    assert merge.main([one, two, "--out", str(tmp_path)]) == 0
    assert len(results.read([tmp_path / "results.jsonl"])[0]) == 2


def test_missing_file_is_one_line_and_status_2(tmp_path, capsys) -> None:
    one = write(tmp_path / "one.jsonl", [row("a")])
    assert merge.main([one, str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nope.jsonl" in err
    assert not (tmp_path / "o").exists()


def test_bad_usage_is_one_line_and_status_2(capsys) -> None:
    assert merge.main(["--out"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("tconv merge: ")
