"""report.md from results lines, a partial run's included."""

from __future__ import annotations

from tconv.reports import summary
from tconv.reports.cli import main


def row(status: str, family: str = "edge", detail: str = "", known: str = "") -> dict:
    return {"check_id": f"torch.functional::{family}/c/float32::forward::cpu",
            "case_id": f"{family}/c/float32", "case": {"family": family}, "check": "forward",
            "adapter": "torch.functional", "backend": "torch", "framework_version": "2.13.0",
            "status": status, "detail": detail, "call": "F.conv_transpose1d(x, w)",
            "known_issue": known}


def test_counts_matrix_and_escaping() -> None:
    rows = [row("pass"), row("pass", "zoo"), row("mismatch", detail="<b>|x|</b>"),
            row("known", known="upstream #1"), row("unsupported")]
    text = summary.markdown(rows, broken=1)
    assert "5 checks over 1 entry points: 2 pass, 1 known, 1 mismatch, 1 unsupported." in text
    assert "1 unreadable line(s) skipped" in text
    assert "| torch.functional | 1/3 1 known 1 mismatch | 1/1 |" in text
    assert "&lt;b&gt;\\|x\\|&lt;/b&gt;" in text and "<b>" not in text
    assert "- `torch.functional` (1): upstream #1" in text


def test_missing_file_is_one_line_and_status_2(tmp_path, capsys) -> None:
    assert main(["report", str(tmp_path / "nope.jsonl")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no such results file" in err
