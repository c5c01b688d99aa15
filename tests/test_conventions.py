"""reports/CONVENTIONS.md: current with what the probes give now, every probe-backed cell citing
a framework version and its check ids, and the window inference that reads conventions from
outputs (tried on synthetic outputs, including ones it must reject)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from tconv import adapters
from tconv.adapters.base import Conventions
from tconv.oracle import conv_transpose
from tconv.reports import conventions
from tconv.reports.probes import Window, infer_window

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = ROOT / "reports" / "CONVENTIONS.md"
MISSING = sorted({adapters.backend(n) for n in adapters.REGISTRY
                  if not adapters.installed(adapters.backend(n))})

X = np.arange(1.0, 6.0)          # 1..5
W = 10.0 ** np.arange(4)         # 1, 10, 100, 1000: an even, asymmetric kernel


def full(w: np.ndarray = W, stride: int = 2, dilation: int = 1) -> np.ndarray:
    return conv_transpose(X[None, None], w[None, None], stride=stride,
                          dilation=dilation)[0, 0]


# -- (2) the window read from an output --------------------------------------------------------


def test_window_of_a_window_shifted_to_the_start():
    y = full()[2:-1]
    assert infer_window(y, X, W, 2) == Window(begin=2, end=1, flipped=False)


def test_window_of_a_flipped_kernel():
    y = full(W[::-1])[1:-1]
    assert infer_window(y, X, W, 2) == Window(begin=1, end=1, flipped=True)


def test_window_of_appended_and_leading_zeros():
    f = full(stride=3)
    assert infer_window(np.concatenate([f, [0.0, 0.0]]), X, W, 3) == Window(0, -2, False)
    assert infer_window(np.concatenate([[0.0], f[:-1]]), X, W, 3) == Window(-1, 1, False)
    assert Window(0, -2, False).canonical() == (0, 0, 2)
    assert Window(0, -2, False).describe() == "2 zeros appended"


def test_window_with_dilation():
    f = conv_transpose(X[None, None], W[None, None], stride=2, dilation=2)[0, 0]
    assert infer_window(f[3:], X, W, 2, 2) == Window(3, 0, False)


def test_symmetric_kernel_leaves_the_flip_unobserved():
    w = np.array([1.0, 10.0, 1.0])
    y = full(w)[1:]
    assert infer_window(y, X, w, 2) == Window(1, 0, None)


def test_an_output_that_is_no_window_is_rejected():
    y = full()[1:-1].copy()
    y[3] += 1  # one element off
    assert infer_window(y, X, W, 2) is None
    assert infer_window(2 * full(), X, W, 2) is None          # scaled
    assert infer_window(full()[::-1], X, W, 2) is None        # reversed output


def test_an_all_zero_output_is_ambiguous():
    assert infer_window(np.zeros(3), X, W, 2) is None


# -- (3) every probe-backed cell cites a version and check ids ---------------------------------


def _record(adapter: str, probe: str, topic: str, **extra) -> dict:
    return {"adapter": adapter, "backend": "torch", "framework": "torch",
            "entry_point": "e", "framework_version": "2.13.0", "device": "cpu",
            "topic": topic, "probe": probe, "case_id": f"probe/{probe}/float64",
            "check_id": f"{adapter}::probe/{probe}/float64::forward::cpu",
            "dtype": extra.pop("dtype", "float64"), "status": "pass", "detail": "",
            "error_type": "", "violation": "", "native": {"padding": (0,)}, "call": "",
            "documented": [[0, 0, 0]], "expected_shape": [1, 1, 9],
            "actual_shape": [1, 1, 9], "values": [1, 2, 3],
            "window": {"begin": 0, "end": 0, "flipped": False, "text": "uncropped"}} | extra


def synthetic() -> tuple[list[dict], dict[str, Conventions]]:
    """Records for one entry point covering every probe name the document reads, with a
    hostile framework message in one of them."""
    from tconv.reports.probes import probes

    rows = []
    for item in probes():
        rows.append(_record("torch.functional", item.case.name, item.topic,
                            dtype=item.case.dtype))
    hostile = next(r for r in rows if r["probe"] == "groups2-n4-k2-s2")
    hostile |= {"status": "error", "error_type": "RuntimeError",
                 "detail": "bad <script>alert(1)</script> | [x](y)", "window": None}
    caps = {"torch.functional": adapters.load("torch.functional").conventions}
    return rows, caps


def _cells(text: str) -> list[tuple[str, str]]:
    """(section, cell) for every cell of every table's data rows but the row's label."""
    section, found = "", []
    lines = text.splitlines()
    for line, following in zip(lines, lines[1:] + [""]):
        if line.startswith("## "):
            section = line
        header = following.startswith("|---")
        if line.startswith("| ") and not header:
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
            found += [(section, c) for c in cells[1:]]
    return found


def check_citations(text: str) -> int:
    """Every data cell (but the porting table's "(source)") cites footnotes, and every footnote
    it cites names a version and a check id; returns how many citations were checked."""
    notes = dict(re.findall(r"^\[\^(\d+)\]: (.*)$", text, flags=re.M))
    checked = 0
    for section, cell in _cells(text):
        if cell == "(source)":
            continue
        refs = re.findall(r"\[\^(\d+)\]", cell)
        assert refs, f"{section}: a cell without evidence: {cell[:120]}"
        for ref in refs:
            note = notes[ref]
            # a framework's version, or a converter path's parts' ("torch 2.13.0, onnx... 1.3")
            assert re.match(r"[\w.\-]+ ([\w.\-]+ \d+\.\d+\S*, )*([\w.\-]+ )?\d+\.\d+\S*: `",
                            note), (
                f"footnote {ref} names no version: {note}")
            assert re.search(r"`[^`]+::[^`]+::forward::cpu`", note), (
                f"footnote {ref} names no check id: {note}")
            checked += 1
    return checked


def test_every_probe_backed_cell_cites_a_version_and_a_check_id():
    rows, caps = synthetic()
    text = conventions.render(rows, caps)
    assert check_citations(text) > 50
    assert "<script>" not in text and "&lt;script&gt;" in text


def test_the_citation_check_fails_on_a_cell_without_evidence():
    rows, caps = synthetic()
    text = conventions.render(rows, caps).replace(" [^1] |", " |", 1)
    with pytest.raises(AssertionError):
        check_citations(text)


def test_a_footnote_without_a_version_is_caught():
    rows, caps = synthetic()
    text = re.sub(r"^(\[\^1\]: )torch\.functional 2\.13\.0", r"\1torch.functional",
                  conventions.render(rows, caps), flags=re.M)
    with pytest.raises(AssertionError):
        check_citations(text)


def test_render_is_deterministic():
    rows, caps = synthetic()
    assert conventions.render(rows, caps) == conventions.render(list(reversed(rows)), caps)


def test_committed_document_cites_its_evidence():
    assert check_citations(DOCUMENT.read_text(encoding="utf-8")) > 500


# -- (1) the committed document is current -----------------------------------------------------


@pytest.mark.skipif(bool(MISSING), reason="the document can only be regenerated with every "
                    f"framework of the registry installed; missing: {', '.join(MISSING)}")
def test_committed_document_is_current():
    committed = DOCUMENT.read_text(encoding="utf-8")
    if conventions.probed_on(committed) != conventions.machine_note():
        pytest.skip("the committed document was probed on another kind of CPU "
                    f"({conventions.probed_on(committed)}; this one: "
                    f"{conventions.machine_note()}): its float16 and bfloat16 rows may differ "
                    "here (reports/conventions.CPU_FEATURES says why)")
    text, _ = conventions.generate()
    assert text == committed, conventions.STALE


def test_the_document_names_the_cpu_features_its_probes_depend_on():
    """The probes' float16 outcomes depend on the CPU: the document says which features the
    machine had, so that a reader on another CPU knows, and the currency check above compares
    like with like."""
    amd = "flags\t\t: fpu avx512f avx512bw avx512_bf16\n"
    intel = "flags\t\t: fpu avx512f avx512bw avx512_fp16 amx_fp16\n"
    assert conventions.machine_note(amd) != conventions.machine_note(intel)
    assert "without avx512_fp16, amx_fp16, avx_ne_convert" in conventions.machine_note(amd)
    assert "without avx_ne_convert" in conventions.machine_note(intel)
    rows, caps = synthetic()
    text = conventions.render(rows, caps, machine=conventions.machine_note(amd))
    assert conventions.probed_on(text) == conventions.machine_note(amd)
    assert conventions.probed_on(DOCUMENT.read_text(encoding="utf-8"))


LINE = 120  # characters on one line of a wide table


def test_the_document_opens_with_a_summary_and_keeps_cells_short():
    """A reader's first screen: one sentence per difference that changes results, each with
    its evidence; long framework messages are footnotes, so no line of a table cell runs past
    two lines of a wide table (LINE characters each)."""
    text = DOCUMENT.read_text(encoding="utf-8")
    head, _, rest = text.partition("## Summary: the differences that change results\n")
    assert rest and head.count("\n") < 12
    summary = rest.split("\n## ", 1)[0].strip().splitlines()
    assert 5 <= len(summary) <= 12 and all(s.startswith("- **") for s in summary)
    assert all(re.search(r"\[\^\d+\]$", s) for s in summary)       # each with its evidence
    for line in text.splitlines():
        if line.startswith("|"):
            for cell in line.split(" | "):
                for part in re.sub(r"\[\^m?\d+\]", "", cell).split("<br>"):
                    assert len(part) <= 2 * LINE, part
    assert "## The frameworks' messages in full" in text


def test_a_long_message_becomes_a_footnote():
    notes = conventions.Notes()
    short = notes.message("tf.nn's transposed convolutions have no groups argument")
    assert "[^m" not in short
    long = notes.message("x" * 100 + " the rest")
    assert long.endswith("[^m1]") and len(long) < 80
    assert notes.render_messages() == ["[^m1]: " + conventions.escape("x" * 100 + " the rest")]


def test_a_message_reads_the_same_whatever_the_worker_traced_before():
    """MLIR diagnostics name the traced function and source positions; the document leaves
    them out, so that two generations agree."""
    first = ("Could not translate MLIR.<string>:1:1: error: op <unknown>:0: note: "
             'loc(fused["StatefulPartitionedCall:", "StatefulPartitionedCall"]): called')
    later = first.replace("StatefulPartitionedCall:", "StatefulPartitionedCall_3:") \
        .replace("<string>:1:1", "<string>:2:7")
    assert conventions.Notes().message(first) == conventions.Notes().message(later)
    assert "error: op" in conventions.without_locations(first)
    assert "note" not in conventions.without_locations(first)
    stack = ("Could not translate MLIR.<string>:1:1: error: 'tf.X' op is neither <string>:3:1: "
             "note: called from <unknown>:0: note: loc(fused[\"a\"]): called from")
    assert conventions.without_locations(stack) == \
        "Could not translate MLIR.<string>: error: 'tf.X' op is neither"
    from tconv.reports.messages import ROOT
    traced = (f"passes: {ROOT}/adapters/pytorch.py:372:0: error: x; /home/u/.cache/envs/e-1f/lib/"
              "python3.11/site-packages/torch/nn/modules/conv.py:1198:0: error: y")
    assert conventions.without_locations(traced) == \
        "passes: adapters/pytorch.py: error: x; site-packages/torch/nn/modules/conv.py: error: y"
