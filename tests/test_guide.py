"""The porting guide (``reports/PORTING.md``) is generated from ports that ran, and current."""

from __future__ import annotations

from tconv.reports import guide, probes


def test_committed_guide_is_current() -> None:
    text = guide.generate()
    assert text == guide.PATH.read_text(encoding="utf-8"), guide.STALE
    columns = probes.porting()
    # every pair of frameworks, both directions, every layer
    for source_label in columns:
        for target_label, target in columns.items():
            if target_label != source_label:
                assert f"### {source_label} -> {target_label} (`{target}`)" in text
    assert text.count("| DCGAN generator") == len(columns) * (len(columns) - 1)
    assert "verified `" in text


def test_cells_are_code_spans_that_survive_a_table() -> None:
    assert guide.code("a|b`c") == "`a\\|b'c`"
