"""report.md from results lines, a partial run's included; and the feature classification
(``reports.features``) that report.md, report.html and report.json share."""

from __future__ import annotations

import pytest

from tconv.reports import features, summary
from tconv.reports.cli import main

# A case record as results.case_record writes it: 2-D, stride 2, kernel 3, symmetric padding.
CASE = {"family": "edge", "name": "c", "batch": 1, "in_channels": 4, "out_channels": 4,
        "groups": 1, "input_size": [4, 4], "kernel": [3, 3], "stride": [2, 2],
        "dilation": [1, 1], "padding": [[1, 1], [1, 1]], "output_padding": [0, 0],
        "bias": False, "dtype": "float32", "layout": "channels_first", "seed": 0, "dims": 2}


def row(status: str, family: str = "edge", detail: str = "", known: str = "",
        **fields) -> dict:
    return {"check_id": f"torch.functional::{family}/c/float32::forward::cpu",
            "case_id": f"{family}/c/float32", "case": {"family": family}, "check": "forward",
            "adapter": "torch.functional", "backend": "torch", "framework_version": "2.13.0",
            "status": status, "detail": detail, "call": "F.conv_transpose1d(x, w)",
            "known_issue": known, **fields}


def test_counts_matrix_and_escaping() -> None:
    rows = [row("pass"), row("pass", "zoo"), row("mismatch", detail="<b>|x|</b>"),
            row("known", known="upstream #1"), row("unsupported")]
    text = summary.markdown(rows, broken=1)
    assert "5 checks over 1 entry points: 2 pass, 1 known, 1 mismatch, 1 unsupported." in text
    assert "1 unreadable line(s) skipped" in text
    assert "| torch.functional | 1/3 1 known 1 mismatch | 1/1 |" in text
    assert "&lt;b&gt;\\|x\\|&lt;/b&gt;" in text and "<b>" not in text
    assert "- `torch.functional` (1): upstream #1" in text


def test_converter_paths_are_listed_apart_with_their_path() -> None:
    conventions = {"source": "torch.functional", "framework": "torch.onnx (dynamo)",
                   "entry_point": "F.conv_transpose2d -> torch.onnx.export(dynamo=True) -> "
                                  "onnxruntime (CPUExecutionProvider)"}
    path = {"adapter": "torch.functional.onnx", "backend": "torch-onnx",
            "conventions": conventions}
    rows = [row("pass"), row("pass", **path), row("mismatch", **path)]
    lines = summary.markdown(rows, broken=0).splitlines()
    named = ("torch.functional.onnx<br>torch.functional -&gt; torch.onnx (dynamo) -&gt; "
             "onnxruntime (CPUExecutionProvider)")
    for heading in ("## Checks that ran", "## Features, per entry point"):
        table = lines[next(i for i, line in enumerate(lines) if line.startswith(heading)):]
        table = [line for line in table[:next(i for i, line in enumerate(table)
                                              if i > 4 and not line.startswith("|"))]
                 if line.startswith("| ")]
        assert [line.split(" | ")[0] for line in table[1:]] == [
            "| *frameworks*", "| torch.functional", "| *converter paths*",
            f"| {named}"], heading
    assert f"| {named} | 1/2 1 mismatch |" in lines
    # one kind only: no heading rows
    assert "*frameworks*" not in summary.markdown([row("pass")], broken=0)


def test_missing_file_is_one_line_and_status_2(tmp_path, capsys) -> None:
    assert main(["report", str(tmp_path / "nope.jsonl")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no such results file" in err


@pytest.mark.parametrize(("changes", "check", "wanted"), [
    ({}, "forward", {"explicit symmetric padding", "float32"}),
    ({"padding": "SAME", "dtype": "bfloat16"}, "gradients", {"SAME", "bfloat16", "gradients"}),
    ({"padding": "VALID", "bias": True, "dtype": "float16"}, "forward",
     {"VALID", "bias", "float16"}),
    ({"padding": [[1, 1], [0, 2]], "output_padding": [0, 1]}, "forward",
     {"asymmetric padding", "output_padding", "float32"}),
    ({"padding": {"output_shape": [8, 8]}, "kernel": [1, 3], "dtype": "float64"}, "forward",
     {"output_shape", "kernel < stride", "float64"}),
    # dilation on one axis, stride on the other: still both in one call
    ({"stride": [1, 2], "dilation": [2, 1]}, "forward",
     {"explicit symmetric padding", "dilation × stride", "float32"}),
    ({"stride": [1, 1], "dilation": [2, 2]}, "forward", {"explicit symmetric padding", "float32"}),
    ({"groups": 2}, "forward", {"explicit symmetric padding", "groups", "float32"}),
    ({"groups": 4}, "forward", {"explicit symmetric padding", "depthwise", "float32"}),
    ({"input_size": [5], "kernel": [3], "stride": [2], "dilation": [1], "padding": [[0, 0]],
      "output_padding": [0], "dims": 1}, "forward",
     {"explicit symmetric padding", "1-D", "float32"}),
    ({"input_size": [2, 2, 2], "kernel": [2, 2, 2], "stride": [2, 2, 2], "dilation": [1, 1, 1],
      "padding": [[0, 0]] * 3, "output_padding": [0, 0, 0], "dims": 3}, "forward",
     {"explicit symmetric padding", "3-D", "float32"}),
])
def test_features_of_a_case(changes: dict, check: str, wanted: set[str]) -> None:
    assert features.features({"case": {**CASE, **changes}, "check": check}) == wanted
    assert wanted <= set(features.FEATURES)


def test_features_of_a_row_without_a_case_record() -> None:
    assert features.features(row("pass")) == set()


def test_feature_matrix_in_markdown() -> None:
    depthwise = {**CASE, "groups": 4, "padding": "SAME"}
    rows = [row("pass", case=CASE), row("unsupported", case={**CASE, "dtype": "float64"}),
            row("mismatch", case=depthwise), row("known", known="k", case=depthwise),
            row("pass", case=depthwise, check="gradients")]
    lines = summary.markdown(rows, broken=0).splitlines()
    header = lines.index("| entry point | " + " | ".join(
        f.replace("<", "&lt;") for f in features.FEATURES) + " |")
    assert lines[header + 2].startswith("| torch.functional | ")
    shown = dict(zip(features.FEATURES, lines[header + 2].strip("| ").split(" | ")[1:],
                     strict=True))
    assert shown["SAME"] == shown["depthwise"] == "**1/1/0/1**"
    assert shown["float64"] == "0/0/1/0"
    assert shown["float32"] == "**2/1/0/1**"
    assert shown["gradients"] == "1/0/0/0"
    assert shown["groups"] == "\u2014"
    assert shown["kernel < stride"] == "\u2014"


def test_known_section_one_line_per_registry_entry() -> None:
    entry = {"adapter": "torch.functional", "case": ["edge/*"], "check": "forward",
             "status": "error", "versions": "", "evidence": "upstream #1", "devices": [],
             "where": "", "source": "known_issues.toml"}
    rows = [row("known", known="upstream #1", known_entry=entry) for _ in range(3)]
    rows.append(row("known", known="upstream #1",
                    known_entry={**entry, "check": "gradients"}))
    text = summary.markdown(rows, broken=0)
    assert "## Known discrepancies (4 checks)" in text
    assert text.count("upstream #1") == 2
    assert "- `torch.functional` (3, forward): upstream #1" in text
    assert "- `torch.functional` (1, gradients): upstream #1" in text
