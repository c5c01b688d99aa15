"""reports.html without a browser: the page is self-contained, framework text is escaped, the
heatmap is drawn for value differences only, the filters and the JSON block are there, the
feature matrix counts and colours its cells, discrepancies come in groups that say what they
share once, and the same document gives the same bytes.

``synthetic_document`` is also the document of ``tests/test_html_browser.py``.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import html
import io
import json
import re
from html.parser import HTMLParser

import pytest
from PIL import Image

from tconv.reports import features, groups
from tconv.reports import html as report_html

MARKUP = "<script>alert(1)</script><img src=x onerror=alert(2)>"
DETAIL = "worker died: '</script><b>bold</b>' was the last line"
REPRODUCER = "# tconv reproducer\nprint('</pre></details><script>alert(3)</script>')\n"


def _check(adapter: str, backend: str, case_id: str, status: str, **fields) -> dict:
    family, name, dtype = case_id.split("/")
    row = {
        "check_id": f"{adapter}::{case_id}::forward::cpu", "case_id": case_id,
        "case": {"family": family, "name": name, "batch": 1, "in_channels": 1,
                 "out_channels": 1, "groups": 1, "input_size": [4, 4], "kernel": [3, 3],
                 "stride": [2, 2], "dilation": [1, 1], "padding": [[1, 1], [1, 1]],
                 "output_padding": [1, 1], "bias": False, "dtype": dtype,
                 "layout": "channels_first", "seed": 7, "source": "", "dims": 2},
        "family": family, "dtype": dtype, "check": "forward", "adapter": adapter,
        "backend": backend, "entry_point": f"{adapter} entry point",
        "framework_version": "1.0", "device": "cpu", "status": status, "observed": status,
        "detail": "", "known_issue": "", "expected_shape": [1, 1, 8, 8],
        "actual_shape": [1, 1, 8, 8], "max_abs_error": 0.0, "bound_units": 0.0,
        "worst_index": [], "error_type": "", "error_message": "",
        "call": f"{adapter}(x, w, stride=2, padding=1)", "error_map": None,
        "duration_s": 0.01, "pytest_outcome": "passed",
        "reproducer": None if status in ("pass", "unsupported") else REPRODUCER}
    row.update(fields)
    return row


def shifted_map() -> dict:
    """The error of a one-pixel shift along x: every other column off by the values' size."""
    return {"rows": "y (axis 0)", "cols": "x (axis 1)",
            "values": [[(40.0 + r) if c % 2 else 0.0 for c in range(8)] for r in range(8)]}


MISMATCH_ID = "torch.functional::literature/impulse-2d/float32::forward::cpu"
CRASH_ID = "jax.jit::edge/groups-3d/float64::forward::cpu"
KNOWN_ID = "onnx.reference::edge/groups-3d/float64::forward::cpu"
SHAPE_ID = "torch.module::edge/groups-3d/float64::forward::cpu"


def synthetic_document() -> dict:
    """Seven checks over four backends: two passes, an unsupported one, a mismatch with an error
    map, a shape difference, a known discrepancy and a crash whose message is markup."""
    checks = [
        _check("torch.functional", "torch", "edge/groups-3d/float64", "pass"),
        _check("torch.functional", "torch", "literature/impulse-2d/float32", "mismatch",
               detail="max error 43 bound units at [0, 0, 7, 7]", max_abs_error=0.75,
               bound_units=47.0, worst_index=[0, 0, 7, 7], error_map=shifted_map(),
               pytest_outcome="failed"),
        _check("torch.module", "torch", "edge/groups-3d/float64", "shape",
               detail="expected (1, 1, 8, 8), got (1, 1, 7, 7)", actual_shape=[1, 1, 7, 7],
               pytest_outcome="failed"),
        _check("onnx.reference", "onnx-reference", "edge/groups-3d/float64", "known",
               observed="error", detail="ValueError: cannot reshape array",
               error_type="ValueError", error_message="cannot reshape array of size 3",
               known_issue="onnx/reference/ops/op_conv_transpose.py writes one channel per "
                           "group (onnx/onnx#8446)", pytest_outcome="xfailed"),
        _check("onnx.reference", "onnx-reference", "literature/impulse-2d/float32", "pass"),
        _check("jax.jit", "jax", "edge/groups-3d/float64", "crash", detail=DETAIL,
               error_type="WorkerCrash", error_message=MARKUP, pytest_outcome="failed"),
        _check("jax.jit", "jax", "literature/impulse-2d/float32", "unsupported",
               detail="jax.jit: no float16 on this device"),
    ]
    statuses: dict[str, int] = {}
    for c in checks:
        statuses[c["status"]] = statuses.get(c["status"], 0) + 1
    capability = {"input_layout": "N, C_in, *spatial", "kernel_layout": "C_in, C_out/groups, *k",
                  "kernel_flipped": False, "padding_vocabulary": "pytorch", "dims": [1, 2, 3],
                  "groups": True, "dilation": True, "padding_modes": [], "output_shape": False,
                  "dtypes": ["float32", "float64"], "gradients": True}
    return {
        "schema_version": "1.1", "tool": {"name": "tconv", "version": "0.1.0"},
        "generated_at": "2026-11-23T14:00:00Z",
        "command": ["tconv", "run", "--profile", "quick", "--note", "a b<c>"],
        "environment": {"python": "3.11.7", "platform": "Linux-test", "devices": ["cpu"],
                        "frameworks": {"torch": ["2.13.0"], "jax": ["0.10.2"],
                                       "onnx-reference": ["1.23.2"]}},
        "sources": [{"path": "reports/latest/results.jsonl", "checks": len(checks),
                     "unreadable_lines": 1}],
        "summary": {"checks": len(checks), "entry_points": 4, "statuses": statuses},
        "checks": sorted(checks, key=lambda c: c["check_id"]),
        "cross_framework": [
            {"case": "literature/impulse-2d/float32", "groups": [
                {"entry_points": ["onnx.reference"], "shape": [1, 1, 8, 8],
                 "canonical": [[1, 1, 1], [1, 1, 1]], "call": "ConvTranspose(pads=<1,1>)"},
                {"entry_points": ["torch.functional"], "shape": [1, 1, 8, 8],
                 "canonical": [[1, 1, 1], [1, 1, 1]], "call": "conv_transpose2d(x, w)"}]},
            {"case": "edge/agreeing/float32", "groups": [
                {"entry_points": ["torch.functional", "jax.jit"], "shape": [1, 1, 5],
                 "canonical": [[0, 0, 0]], "call": "agreeing-call"}]}],
        "capabilities": [
            {"adapter": "torch.functional", "backend": "torch", "framework": "PyTorch",
             "entry_point": "torch.nn.functional.conv_transposeNd", **capability},
            {"adapter": "jax.jit", "backend": "jax", "framework": "JAX",
             "entry_point": "jax.jit(jax.lax.conv_transpose)",
             **{**capability, "kernel_flipped": True, "padding_vocabulary": "jax",
                "padding_modes": ["SAME", "VALID"]}}],
        "known_issues": [
            {"adapter": "onnx.reference", "case": ["edge/groups-*"], "check": "forward",
             "status": "error", "versions": ">=1.16", "evidence": "op_conv_transpose <b>",
             "matched": 1}],
    }


@pytest.fixture(scope="module")
def page() -> str:
    return report_html.render(synthetic_document())


def _row(page: str, check_id: str) -> str:
    """The discrepancy entry of ``check_id`` (within its group's card)."""
    rows = re.findall(r'<li class="check .*?</li>', page, flags=re.S)
    mine = [r for r in rows if f'<code class="check-id">{check_id}</code>' in r]
    assert len(mine) == 1, f"{len(mine)} rows for {check_id}"
    return mine[0]


def _cards(page: str) -> list[str]:
    """The discrepancy groups' cards, in page order."""
    return re.findall(r'<article class="group .*?</article>', page, flags=re.S)


def _card(page: str, check_id: str) -> str:
    """The card of the group that holds ``check_id``."""
    mine = [c for c in _cards(page) if f'<code class="check-id">{check_id}</code>' in c]
    assert len(mine) == 1, f"{len(mine)} cards for {check_id}"
    return mine[0]


def _data_block(page: str) -> str:
    found = re.findall(r'<script type="application/json" id="tconv-data">(.*?)</script>', page,
                       flags=re.S)
    assert len(found) == 1
    return found[0]


class _References(HTMLParser):
    """Every attribute of the page's tags that makes a browser fetch something."""

    FETCHING = ("src", "href", "action", "srcset", "poster", "data", "formaction", "background")

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [(tag, k, v or "") for k, v in attrs if k in self.FETCHING]


def test_no_resource_from_anywhere_but_the_page(page: str) -> None:
    parser = _References()
    parser.feed(page)
    assert parser.found, "the page has no src at all: the heatmap is missing"
    outside = [r for r in parser.found if not r[2].startswith("data:")]
    assert outside == [], f"resources not embedded: {outside}"
    assert not re.search(r"<link\b|@import|url\(", page, flags=re.I)


def test_framework_markup_is_text_not_markup(page: str) -> None:
    assert MARKUP not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;" in page
    # The page's own two script elements close; the detail's "</script>" does not.
    assert page.count("</script>") == 2
    assert "&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;" in _card(page, CRASH_ID)
    assert "<b>" not in page
    # The reproducer cannot close its <pre> or <details>.
    assert page.count("</pre>") == page.count("<pre>")
    assert "&lt;/pre&gt;&lt;/details&gt;&lt;script&gt;alert(3)" in page
    # Every img is a heatmap of ours.
    assert re.findall(r"<img\b[^>]*", page) == re.findall(r'<img class="heatmap" [^>]*', page)


def test_heatmap_for_the_value_difference_only(page: str) -> None:
    marker = '<img class="heatmap" '
    assert page.count(marker) == 1
    mismatch = _row(page, MISMATCH_ID)
    assert marker in mismatch
    found = re.search(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', mismatch)
    assert found is not None
    png = base64.b64decode(found.group(1))
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.width >= 150 and image.height >= 100
    for check_id in (CRASH_ID, KNOWN_ID, SHAPE_ID):
        assert "<img" not in _row(page, check_id)


def test_heatmap_shows_the_pattern() -> None:
    shifted = report_html.heatmap_png(shifted_map())
    flat = report_html.heatmap_png({**shifted_map(), "values": [[40.0] * 8] * 8})
    assert shifted == report_html.heatmap_png(shifted_map())  # deterministic bytes
    assert shifted != flat
    with pytest.raises(ValueError):
        report_html.heatmap_png({"rows": "y", "cols": "x", "values": [[1.0, 2.0], [3.0]]})


def test_heatmaps_are_capped_and_the_rest_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    document = synthetic_document()
    mismatch = next(c for c in document["checks"] if c["check_id"] == MISMATCH_ID)
    for n in range(3):
        extra = copy.deepcopy(mismatch)
        extra["check_id"] = f"torch.functional::literature/copy-{n}/float32::forward::cpu"
        document["checks"].append(extra)
    monkeypatch.setattr(report_html, "MAX_HEATMAPS", 2)
    page = report_html.render(document)
    assert page.count('<img class="heatmap" ') == 2
    assert "2 heatmap(s) left out: at most 2" in page


def test_filters_offer_every_value(page: str) -> None:
    document = synthetic_document()
    for key in ("backend", "status", "family", "dtype", "device"):
        select = re.search(rf'<select id="filter-{key}"[^>]*>(.*?)</select>', page, flags=re.S)
        assert select is not None, key
        offered = re.findall(r'<option value="([^"]*)">', select.group(1))
        wanted = {c["case"]["family"] if key == "family" else c[key] for c in document["checks"]}
        assert offered[0] == "" and sorted(offered[1:]) == sorted(wanted), key


def test_json_block_round_trips() -> None:
    document = synthetic_document()
    document["checks"][0]["family"] = "edge</script><!--&amp;"
    block = _data_block(report_html.render(document))
    assert not set("<>&") & set(block)
    data = json.loads(block)
    decoded = sorted(tuple(data["values"][k][i] for k, i in zip(data["keys"], row))
                     for row in data["checks"])
    wanted = sorted((c["backend"], report_html.OWN, c["status"], c["family"], c["dtype"], c["device"],
                     c["adapter"]) for c in document["checks"])
    assert data["keys"] == ["backend", "path", "status", "family", "dtype", "device", "adapter"]
    assert decoded == wanted


def test_markup_in_the_data_block_stays_inside() -> None:
    document = synthetic_document()
    document["checks"][0]["backend"] = "</script><script>alert(4)</script>"
    page = report_html.render(document)
    data = json.loads(_data_block(page))
    assert "</script><script>alert(4)</script>" in data["values"]["backend"]
    assert page.count("</script>") == 2


def test_matrix_counts_and_worst_colour(page: str) -> None:
    def cell(adapter: str, family: str) -> str:
        found = re.search(rf'<td data-adapter="{re.escape(adapter)}" '
                          rf'data-family="{family}" class="([^"]*)">(.*?)</td>', page)
        assert found is not None, (adapter, family)
        return found.group(1) + " | " + re.sub(r"<[^>]+>", ";", found.group(2))

    assert cell("torch.functional", "edge") == "cell st-pass | ;1 pass;"
    assert cell("torch.functional", "literature") == "cell st-mismatch | ;1 mismatch;"
    assert cell("jax.jit", "edge") == "cell st-crash | ;1 crash;"
    assert cell("onnx.reference", "edge") == "cell st-known | ;1 known;"
    assert cell("torch.module", "literature") == "cell empty | \u2014"


def test_worst_status_decides_the_colour() -> None:
    document = synthetic_document()
    document["checks"].append(_check("torch.functional", "torch", "literature/other/float32",
                                     "crash"))
    page = report_html.render(document)
    found = re.search(r'<td data-adapter="torch.functional" data-family="literature" '
                      r'class="([^"]*)">(.*?)</td>', page)
    assert found is not None
    assert found.group(1) == "cell st-crash"
    assert re.findall(r">(\d+ [a-z-]+)<", found.group(2)) == ["1 mismatch", "1 crash"]


def test_every_discrepancy_listed_and_known_marked(page: str) -> None:
    rows = re.findall(r'<li class="check ', page)
    assert len(rows) == 4  # mismatch, shape, known, crash; not the passes or the unsupported
    known = _row(page, KNOWN_ID)
    assert "observed: error" in known
    assert "onnx/onnx#8446" in _card(page, KNOWN_ID) and "onnx/onnx#8446" not in known
    assert ('<details><summary>reproducer</summary><pre><code class="reproducer"># tconv '
            "reproducer") in _row(page, SHAPE_ID)
    # The call in full, in its own block.
    assert '<pre><code class="call">onnx.reference(x, w, stride=2, padding=1)</code></pre>' \
        in known


def test_cross_table_lists_disagreements_only(page: str) -> None:
    section = page[page.index('<section id="cross">'):]
    section = section[:section.index("</section>")]
    assert "literature/impulse-2d/float32" in section
    assert "edge/agreeing/float32" not in section and "agreeing-call" not in section
    assert "ConvTranspose(pads=&lt;1,1&gt;)" in section
    assert section.count('rowspan="2"') == 1


def test_capabilities_listed(page: str) -> None:
    table = page[page.index('<table id="capabilities">'):]
    table = table[:table.index("</table>")]
    rows = re.findall(r"<tr class=\"filterable\".*?</tr>", table)
    assert len(rows) == 2
    assert "<td>SAME, VALID</td>" in rows[0] and ">jax.jit<" in rows[0]
    assert "<td>yes</td>" in rows[0] and "<td>no</td>" in rows[1]


def test_header(page: str) -> None:
    header = page[:page.index("</header>")]
    assert "2026-11-23T14:00:00Z" in header and "0.1.0" in header
    assert "tconv run --profile quick --note &#x27;a b&lt;c&gt;&#x27;" in header
    assert "jax 0.10.2; onnx-reference 1.23.2; torch 2.13.0" in header
    assert re.findall(r">(\d+ [a-z-]+)</span>", header) == [
        "2 pass", "1 known", "1 mismatch", "1 shape", "1 crash", "1 unsupported"]


def test_policy_allows_the_page_script_and_nothing_else(page: str) -> None:
    scripts = re.findall(r"<script>(.*?)</script>", page, flags=re.S)
    assert len(scripts) == 1
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode()
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page)
    assert policy is not None
    directives = dict(d.strip().split(" ", 1) for d in policy.group(1).split(";"))
    assert directives["script-src"] == f"'sha256-{digest}'"
    assert directives["default-src"] == "'none'" and directives["img-src"] == "data:"


def test_same_document_same_bytes(page: str) -> None:
    shuffled = synthetic_document()
    shuffled["checks"].reverse()
    shuffled["checks"] = [dict(reversed(list(c.items()))) for c in shuffled["checks"]]
    shuffled["environment"]["frameworks"] = dict(
        reversed(list(shuffled["environment"]["frameworks"].items())))
    assert report_html.render(shuffled) == page


def test_non_finite_errors_do_not_flatten_the_scale() -> None:
    with_huge = shifted_map()
    with_huge["values"][0][0] = float("inf")
    with_huge["values"][1][0] = 1.7976931348623157e308
    cleared = shifted_map()
    cleared["values"][0][0] = cleared["values"][1][0] = None
    assert report_html.heatmap_png(with_huge) == report_html.heatmap_png(cleared)
    assert report_html.heatmap_png(with_huge) != report_html.heatmap_png(shifted_map())


# --- the feature matrix ---------------------------------------------------------------------


def _with_case(check: dict, **params) -> dict:
    check["case"].update(params)
    return check


def _feature_document() -> dict:
    """Checks whose features differ: torch.functional passes SAME and a depthwise case but
    computes another depthwise case wrong; onnx.reference passes SAME, one depthwise case is
    a known discrepancy and another crashes; jax.jit's depthwise case is unsupported."""
    depthwise = {"groups": 4, "in_channels": 4, "out_channels": 4}
    checks = [
        _with_case(_check("torch.functional", "torch", "edge/same/float32", "pass"),
                   padding="SAME"),
        _with_case(_check("torch.functional", "torch", "edge/dw-a/float32", "pass"), **depthwise),
        _with_case(_check("torch.functional", "torch", "edge/dw-b/float32", "mismatch",
                          detail="max error 9 bound units"), **depthwise),
        _with_case(_check("onnx.reference", "onnx-reference", "edge/dw-a/float32", "known",
                          observed="error", known_issue="one channel per group"), **depthwise),
        _with_case(_check("onnx.reference", "onnx-reference", "edge/dw-b/float64", "crash"),
                   **depthwise),
        _with_case(_check("onnx.reference", "onnx-reference", "edge/same/float32", "pass"),
                   padding="SAME"),
        _with_case(_check("jax.jit", "jax", "edge/dw-a/float32", "unsupported"), **depthwise),
        _with_case(_check("jax.jit", "jax", "edge/same/float32", "pass"), padding="SAME"),
    ]
    return {**synthetic_document(), "checks": checks}


def _feature_cells(page: str) -> dict[tuple[str, str], str]:
    """(adapter, feature) -> "class | count; count" of each feature-matrix cell."""
    table = page[page.index('<table id="feature-matrix">'):]
    table = table[:table.index("</table>")]
    cells = {}
    for adapter, row in re.findall(r'<th scope="row"[^>]*>([^<]*)</th>(.*?)</tr>', table):
        found = re.findall(r'<td class="([^"]*)"[^>]*>(.*?)</td>', row)
        assert len(found) == len(features.FEATURES)
        for feature, (css, body) in zip(features.FEATURES, found, strict=True):
            cells[adapter, feature] = f"{css} | " + "; ".join(re.findall(r">([^<]+)<", body))
    return cells


def test_feature_matrix_shows_the_new_discrepancy_in_its_feature() -> None:
    cells = _feature_cells(report_html.render(_feature_document()))
    assert cells["torch.functional", "depthwise"] == "fcell ft-new | 1 pass; 1 new"
    assert cells["torch.functional", "SAME"] == "fcell ft-pass | 1 pass"
    assert cells["torch.functional", "float32"] == "fcell ft-new | 2 pass; 1 new"
    assert cells["torch.functional", "groups"] == "fcell empty | "
    # new over known, known over pass
    assert cells["onnx.reference", "depthwise"] == "fcell ft-new | 1 known; 1 new"
    assert cells["onnx.reference", "float32"] == "fcell ft-known | 1 pass; 1 known"
    assert cells["onnx.reference", "float64"] == "fcell ft-new | 1 new"
    assert cells["jax.jit", "depthwise"] == "fcell ft-unsupported | 1 unsupported"
    assert cells["jax.jit", "float32"] == "fcell ft-pass | 1 pass; 1 unsupported"
    # explicit symmetric padding: every case but the SAME ones
    assert cells["torch.functional", "explicit symmetric padding"] == \
        "fcell ft-new | 1 pass; 1 new"


def test_feature_matrix_follows_the_backend_filter() -> None:
    page = report_html.render(_feature_document())
    table = page[page.index('<table id="feature-matrix">'):]
    table = table[:table.index("</table>")]
    rows = re.findall(r'<tr class="filterable" data-f-backend="([^"]*)" data-f-path="[^"]*">'
                      r'<th scope="row"[^>]*>([^<]*)</th>', table)
    assert sorted((json.loads(html.unescape(b)), a) for b, a in rows) == [
        (["jax"], "jax.jit"), (["onnx-reference"], "onnx.reference"),
        (["torch"], "torch.functional")]


# --- discrepancies in groups ----------------------------------------------------------------

EVIDENCE = "op_conv_transpose writes <i>one</i> channel per group & crashes (onnx/onnx#8446)"


def _entry(evidence: str, check: str = "forward") -> dict:
    return {"adapter": "onnx.reference", "case": ["edge/groups-*"], "check": check,
            "status": "error", "versions": ">=1.16", "evidence": evidence, "devices": [],
            "where": "", "source": "known_issues.toml"}


def _known(case_id: str, entry: dict | None, evidence: str = EVIDENCE, **fields) -> dict:
    return _check("onnx.reference", "onnx-reference", case_id, "known", observed="error",
                  detail="ValueError: cannot reshape array", error_type="ValueError",
                  error_message="cannot reshape array of size 3", known_issue=evidence,
                  known_entry=entry, **fields)


def _discrepancies(page: str) -> str:
    section = page[page.index('<section id="discrepancies">'):]
    return section[:section.index("</section>")]


def test_a_known_entry_shows_its_evidence_once() -> None:
    entry = _entry(EVIDENCE)
    checks = [_known(f"edge/groups-{n}/float32", entry) for n in range(3)]
    checks.append(_known("edge/groups-3/float64", _entry("another entry")))
    page = report_html.render({**synthetic_document(), "checks": checks,
                               "known_issues": [{**entry, "matched": 3}]})
    escaped = html.escape(EVIDENCE, quote=True)
    assert EVIDENCE not in page
    assert _discrepancies(page).count(escaped) == 1
    card = _card(page, checks[0]["check_id"])
    assert escaped in card and len(re.findall(r'<li class="check ', card)) == 3
    # ... its checks collapsed beneath, the exception they share said once
    assert '<details class="group-checks"><summary><span class="group-count">3 of 3</span>' \
        in card
    assert card.count("cannot reshape array of size 3") == 1
    assert "another entry" not in card
    assert "another entry" in _card(page, "onnx.reference::edge/groups-3/float64::forward::cpu")
    assert len(_cards(page)) == 2


def test_known_checks_without_an_entry_group_by_adapter_and_evidence() -> None:
    """Lines written before schema 1.2 carry no known_entry: the evidence groups them."""
    checks = [_known("edge/groups-1/float32", None), _known("edge/groups-2/float32", None),
              _known("edge/groups-3/float32", None, evidence="other evidence")]
    page = report_html.render({**synthetic_document(), "checks": checks})
    assert len(_cards(page)) == 2
    assert _discrepancies(page).count(html.escape(EVIDENCE, quote=True)) == 1


def test_new_discrepancies_group_by_signature_and_come_first() -> None:
    def mismatch(name: str, detail: str, **fields) -> dict:
        return _check("torch.functional", "torch", f"edge/{name}/float32", "mismatch",
                      detail=detail, **fields)

    checks = [_known("edge/groups-1/float32", _entry(EVIDENCE)),
              mismatch("a", "max error 43 bound units at [0, 0, 7, 7]"),
              mismatch("b", "max error 12.5 bound units at [0, 1, 2, 3]"),
              mismatch("c", "max error 43 bound units at [0, 0, 7, 7]", error_type="Warning")]
    page = report_html.render({**synthetic_document(), "checks": checks})
    cards = _cards(page)
    assert [c.split('"')[1] for c in cards] == ["group new", "group new", "group known"]
    first = _card(page, checks[1]["check_id"])
    assert checks[2]["check_id"] in first and checks[3]["check_id"] not in first
    # The card says the first check's detail; the other check its own, once each.
    assert first.count("max error 43 bound units") == 1
    assert "max error 12.5" in _row(page, checks[2]["check_id"])
    assert "max error 43" not in _row(page, checks[1]["check_id"])


def test_signature_strips_numbers_not_names() -> None:
    assert groups.without_numbers("conv_transpose2d got (1, 12) off 1.5e-3 in float16 at -4") \
        == "conv_transpose2d got (#, #) off # in float16 at #"
    row = {"adapter": "a", "status": "mismatch", "observed": "mismatch", "error_type": "",
           "detail": "max error 3 at [1]"}
    assert groups.signature(row) == groups.signature({**row, "detail": "max error 7 at [2]"})
    assert groups.signature(row) != groups.signature({**row, "observed": "shape"})


def test_every_check_carries_its_filter_values(page: str) -> None:
    for check in synthetic_document()["checks"]:
        if check["status"] in ("pass", "unsupported"):
            continue
        row = _row(page, check["check_id"])
        attrs = dict(re.findall(r'data-f-([a-z]+)="([^"]*)"', row.split(">", 1)[0]))
        assert {k: json.loads(html.unescape(v)) for k, v in attrs.items()} == {
            "backend": [check["backend"]], "path": [report_html.OWN], "status": [check["status"]],
            "family": [check["family"]], "dtype": [check["dtype"]],
            "device": [check["device"]]}


# --- converter paths ------------------------------------------------------------------------

TF2ONNX = "tf.nn.conv_transpose -> tf2onnx -> onnxruntime (CPUExecutionProvider)"


def converter_document() -> dict:
    """The synthetic document and two checks of a converter path (its conventions name the
    source entry point), one passing, one mismatching."""
    conventions = {"source": "tf.nn.conv_transpose", "framework": "tf2onnx",
                   "entry_point": "tf.nn.conv_transpose; bias via tf.nn.bias_add -> "
                                  "tf2onnx.convert.from_function(opset=18) -> onnxruntime "
                                  "(CPUExecutionProvider)"}
    document = synthetic_document()
    document["checks"] += [
        _check("tf.nn.conv_transpose.tf2onnx", "tf2onnx", "edge/groups-3d/float64", "pass",
               conventions=conventions),
        _check("tf.nn.conv_transpose.tf2onnx", "tf2onnx", "literature/impulse-2d/float32",
               "mismatch", conventions=conventions, detail="max error 9 bound units",
               bound_units=9.0)]
    return document


def _kinds(page: str, table: str) -> list[tuple[str, list[str]]]:
    """A matrix's groups of rows: (heading, entry points) per tbody."""
    body = page[page.index(f'<table id="{table}">'):]
    body = body[:body.index("</table>")]
    return [(re.search(r'<tr class="kind-head"><th[^>]*>([^<]*)</th>', tbody).group(1),
             re.findall(r'<th scope="row"[^>]*>([^<]*)', tbody))
            for tbody in re.findall(r'<tbody class="kind[^"]*">(.*?)</tbody>', body)]


def test_converter_paths_are_a_filter() -> None:
    page = report_html.render(converter_document())
    select = re.search(r'<select id="filter-path"[^>]*>(.*?)</select>', page, flags=re.S)
    options = re.findall(r'<option value="([^"]*)">([^<]*)</option>', select.group(1))
    assert [tuple(map(html.unescape, o)) for o in options] == [
        ("", "all"), (report_html.OWN, report_html.OWN), (TF2ONNX, TF2ONNX)]
    data = json.loads(_data_block(page))
    path = data["keys"].index("path")
    assert sorted({data["values"]["path"][row[path]] for row in data["checks"]}) == [
        report_html.OWN, TF2ONNX]
    row = _row(page, "tf.nn.conv_transpose.tf2onnx::literature/impulse-2d/float32::forward::cpu")
    assert f'data-f-path="{html.escape(json.dumps([TF2ONNX]))}"' in row


def test_matrices_list_converter_paths_apart() -> None:
    page = report_html.render(converter_document())
    frameworks = ["jax.jit", "onnx.reference", "torch.functional", "torch.module"]
    for table in ("matrix", "feature-matrix"):
        assert _kinds(page, table) == [("frameworks", frameworks),
                                       ("converter paths", ["tf.nn.conv_transpose.tf2onnx"])]
    # the row names its path; the feature matrix's rows follow the path filter
    assert f'tf.nn.conv_transpose.tf2onnx<span class="path">{html.escape(TF2ONNX)}</span>' \
        in page
    # its feature-matrix row and its one discrepancy
    assert page.count(f'data-f-path="{html.escape(json.dumps([TF2ONNX]))}"') == 2
    # without converter paths, no heading
    assert 'class="kind-head"' not in report_html.render(synthetic_document())
