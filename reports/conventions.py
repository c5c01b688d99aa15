"""``reports/CONVENTIONS.md``: each entry point's conventions, as the probes that ran found them.

Generated, never typed: ``python -m tconv.reports.conventions`` runs the probes (``reports.probes``)
through every installed entry point and writes the document and its evidence
(``reports/conventions.json``); ``--check`` writes nothing and exits 1 when the committed
document differs from what the probes give now.

Every probe-backed cell cites, in a footnote, the framework version and the check ids
(``adapter::case_id::check::device``) behind it. The text is deterministic: statuses, shapes,
windows and exact integer outputs only (no timings, no error magnitudes).
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import sys
from collections.abc import Iterable
from pathlib import Path

from tconv import adapters
from tconv.adapters.base import Conventions
from tconv.reports import fidelity, weights
from tconv.reports import probes as probing
from tconv.reports.messages import without_locations

NO_GPU = "not probed: no CUDA device in this run"
GPU_CPU_ONLY = "not probed: a CUDA device is present, but the probes run on the CPU only"
DTYPE_ORDER = ("float32", "float64", "float16", "bfloat16")
STALE = "reports/CONVENTIONS.md is stale: run `tconv conventions`"
SHORT = 60  # characters of a framework's message shown in a cell; the rest in a footnote
LEGEND = (
    "Windows are read from each output itself: the probes feed `x = 1..n` and "
    "`w = 1, 10, 100, ...`, so digit `j` of an output element is the input that reached it "
    "through tap `j`, and the output is matched against every window of the uncropped scatter "
    "result `full` (length `L = (n-1)*s + d*(k-1) + 1`), with the kernel as given and flipped. "
    "`crop b start` / `crop e end`: that many elements of `full` cut; `z zeros appended` / "
    "`z zeros before`: the output runs past `full`. A status other than `pass` means the "
    "framework departs from its own documented rule (`oracle/rules/`); the documented window "
    "is then given as `(begin, end, output_padding)`.")


def escape(text: str) -> str:
    """Text inside a Markdown table cell (framework messages are untrusted): no markup, no
    table breaks."""
    return (str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("|", "\\|").replace("`", "'").replace("[", "\\[").replace("]", "\\]")
            .replace("*", "\\*").replace("_", "\\_").replace("\n", " "))


class Notes:
    """The footnotes: one per distinct set of check ids, numbered in order of first use."""

    def __init__(self) -> None:
        self.numbers: dict[str, int] = {}
        self.messages: dict[str, int] = {}

    def cite(self, rows: Iterable[dict]) -> str:
        by_version: dict[str, list[str]] = {}
        for row in rows:
            label = f"{row['adapter']} {row['framework_version']}"
            by_version.setdefault(label, []).append(row["check_id"])
            if row.get("source_check_id"):
                by_version[label].append(row["source_check_id"])
        if not by_version:
            raise ValueError("a probe-backed cell needs at least one check")
        text = "; ".join(f"{label}: " + ", ".join(f"`{i}`" for i in sorted(set(ids)))
                         for label, ids in sorted(by_version.items()))
        number = self.numbers.setdefault(text, len(self.numbers) + 1)
        return f"[^{number}]"

    def message(self, text: str) -> str:
        """A framework's message: in the cell at most its first ``SHORT`` characters, the
        whole of it once in the messages at the end (so that no cell runs past a line or
        two)."""
        text = without_locations(text)
        if len(text) <= SHORT:
            return escape(text)
        number = self.messages.setdefault(text, len(self.messages) + 1)
        return f"{escape(text[:SHORT].rstrip())}… [^m{number}]"

    def render(self) -> list[str]:
        return [f"[^{n}]: {text}" for text, n in self.numbers.items()]

    def render_messages(self) -> list[str]:
        return [f"[^m{n}]: {escape(text)}" for text, n in self.messages.items()]


def cell(text: str, rows: list[dict], notes: Notes) -> str:
    return f"{text} {notes.cite(rows)}"


def table(header: list[str], body: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in body] + [""]


# -- one probe's outcome in words --------------------------------------------------------------


def _size(row: dict) -> str:
    shape = row.get("actual_shape") or []
    return "x".join(map(str, shape[2:]))


def _documented(row: dict) -> str:
    return ", ".join(str(tuple(c)) for c in row.get("documented") or [])


def _native(row: dict) -> str:
    native = row.get("native") or {}
    return ", ".join(f"{k}={v}" for k, v in native.items())


def outcome(row: dict, notes: Notes, spelled: bool = True) -> str:
    """What the entry point did with one probe, in words (long messages as footnotes)."""
    status = row["status"]
    if status == "unsupported":
        return "unsupported: " + notes.message(row["detail"])
    if row["violation"]:
        why = notes.message(row["violation"])
        if status == "pass":
            return f"refused ({escape(row['error_type'])}), as documented: {why}"
        return (f"**{status}**: computed size {_size(row)}"
                + (f" ({row['window']['text']})" if row.get("window") else "")
                + f" although documented as refused: {why}")
    if row["error_type"]:
        return f"**{status}**: {escape(row['error_type'])}: {notes.message(row['detail'])}"
    text = (escape(_native(row)) + ": ") if spelled and row.get("native") else ""
    text += f"size {_size(row)}"
    if row.get("window"):
        text += f", {row['window']['text']}"
    if row.get("values") is not None and len(row["values"]) <= 12:
        text += f" `{row['values']}`"
    if status != "pass":
        text += f" **{status}** (documented {_documented(row)})"
    return text


# -- sections -----------------------------------------------------------------------------------


def _index(rows: list[dict]) -> dict[tuple[str, str], dict]:
    return {(row["adapter"], row["probe"]): row for row in rows if "probe" in row}


def _flip(row: dict, conventions: Conventions, notes: Notes) -> str:
    """Whether the framework reads its kernel flipped: the adapter's own flip (declared)
    combined with the flip observed in the output."""
    window = row.get("window")
    if row["status"] == "unsupported" or window is None or window["flipped"] is None:
        return "not observed: " + outcome(row, notes, spelled=False)
    native = conventions.kernel_flipped != window["flipped"]
    given = "flipped by the adapter" if conventions.kernel_flipped else "passed as given"
    return (("**yes**" if native else "no") + f" (kernel {given}; output = scatter with the "
            f"kernel {'flipped' if window['flipped'] else 'as given'})")


def entry_points(rows: dict, names: list[str], caps: dict[str, Conventions],
                 notes: Notes) -> list[str]:
    body = []
    for name in names:
        plain, bias = rows[(name, "plain-n4-k3-s2")], rows[(name, "bias-n4-k2-s2")]
        c = caps[name]
        dtypes = sorted((r for (a, _), r in rows.items() if a == name and r["topic"] == "dtype"),
                        key=lambda r: DTYPE_ORDER.index(r["dtype"]))
        body.append([
            f"`{name}`: {escape(c.entry_point)}",
            cell(escape(plain["framework_version"]), [plain], notes),
            cell(f"{escape(c.input_layout)} ({plain['status']})", [plain], notes),
            cell(f"{escape(c.kernel_layout)} ({plain['status']})", [plain], notes),
            cell(_flip(plain, c, notes), [plain], notes),
            cell(c.bias + f" ({outcome(bias, notes, spelled=False)})"
                 if bias["call"] else outcome(bias, notes), [bias], notes),
            cell("; ".join(f"{r['dtype']} {r['status']}" for r in dtypes), dtypes,
                 notes),
        ])
    return table(["entry point", "version", "input layout (probe)", "kernel layout (probe)",
                  "kernel read flipped", "bias", "dtypes"], body)


def sweep(mode: str, rows: dict, names: list[str], notes: Notes) -> list[str]:
    """SAME or VALID over n, k, s: entry points with identical answers share a column."""
    keys = [(k, s) for k in probing.SWEEP_K for s in probing.SWEEP_S]

    def probe(n, k, s):
        return f"{mode.lower()}-n{n}-k{k}-s{s}"

    def signature(name):
        return tuple((r["status"], r["detail"] if r["status"] == "unsupported" else "",
                      r.get("actual_shape") and tuple(r["actual_shape"]),
                      r.get("window") and r["window"]["text"], r["error_type"])
                     for r in (rows[(name, probe(n, k, s))] for k, s in keys
                               for n in probing.SWEEP_N))

    groups: dict[tuple, list[str]] = {}
    for name in names:
        groups.setdefault(signature(name), []).append(name)
    columns = [g for g in groups.values()
               if any(rows[(g[0], probe(n, k, s))]["status"] != "unsupported"
                      for k, s in keys for n in probing.SWEEP_N)]
    body = []
    for k, s in keys:
        line = [f"k={k}, s={s}" + (" (k < s)" if k < s else "")]
        for group in columns:
            cited = [rows[(name, probe(n, k, s))] for name in group for n in probing.SWEEP_N]
            parts = [f"n={n}: " + outcome(rows[(group[0], probe(n, k, s))], notes,
                                          spelled=False) for n in probing.SWEEP_N]
            line.append(cell("<br>".join(parts), cited, notes))
        body.append(line)
    lines = table(["kernel, stride"] + [who(g, names, WIDTH) for g in columns], body)
    for group in groups.values():
        if group not in columns:
            first = rows[(group[0], probe(probing.SWEEP_N[0], 1, 1))]
            cited = [rows[(name, probe(n, k, s))] for name in group for n in probing.SWEEP_N
                     for k, s in keys[:1]]
            lines += [cell(who(group, names) + ": "
                           + outcome(first, notes, spelled=False), cited, notes), ""]
    return lines


def topic(name_topic: str, rows: dict, names: list[str], notes: Notes,
          spelled: bool = True) -> list[str]:
    """Rows: entry points; columns: the topic's probes."""
    wanted = sorted({p for (_, p), r in rows.items() if r["topic"] == name_topic})
    body = [[f"`{name}`"] + [cell(outcome(rows[(name, p)], notes, spelled), [rows[(name, p)]],
                                   notes) for p in wanted] for name in names]
    return table(["entry point"] + [f"`{p}`" for p in wanted], body)


def cross(rows: dict, names: list[str], notes: Notes) -> list[str]:
    """Same nominal parameters, different answer: each distinct output and who gave it."""
    body = []
    for mode in ("SAME", "VALID"):
        for k in probing.SWEEP_K:
            for s in probing.SWEEP_S:
                n = probing.SWEEP_N[-1]
                probe = f"{mode.lower()}-n{n}-k{k}-s{s}"
                answers: dict[str, list[dict]] = {}
                for name in names:
                    r = rows[(name, probe)]
                    if r["status"] == "unsupported" or r["values"] is None:
                        continue
                    answers.setdefault(f"`{r['values']}`", []).append(r)
                if len(answers) < 2:
                    continue
                cells = [cell(f"{a} (size {len(group[0]['values'])}): "
                              + who([r["adapter"] for r in group], names, WIDTH), group,
                              notes)
                         for a, group in sorted(answers.items(), key=lambda i: -len(i[1]))]
                body.append([f"{mode} n={n} k={k} s={s}", "<br>".join(cells)])
    return table(["nominal parameters", "answers (output values; who gave them)"], body)


def weight_conversion(source: Conventions, target: Conventions, flip: bool) -> str:
    """The 2-D weight conversion between two entry points' kernel layouts (``reports.weights``),
    for the porting table (one group)."""
    expr = weights.single(source.kernel_axes, target.kernel_axes, 2, flip)
    return "unchanged" if expr == "w" else f"`{expr}`"


def porting(all_rows: list[dict], rows: dict, caps: dict[str, Conventions],
            notes: Notes) -> list[str]:
    columns = probing.porting()
    frameworks = list(columns)
    if not all(columns[f] in caps for f in frameworks):
        return ["Not run: the porting checks need every framework installed.", ""]

    def native_flip(name):
        window = rows[(name, "plain-n4-k3-s2")].get("window") or {}
        return caps[name].kernel_flipped != bool(window.get("flipped"))

    lines = ["Weights (2-D; 1-D drops the second spatial axis), from the two entry points' "
             "kernel layouts and the flips their probes observed (JAX: `dimension_numbers` "
             "rhs spec `'OIHW'` with `transpose_kernel=True`, which swaps the O and I axes):",
             ""]
    body = []
    for src in frameworks:
        line = [f"from {src} (`{columns[src]}`)"]
        for tgt in frameworks:
            a, b = columns[src], columns[tgt]
            text = weight_conversion(caps[a], caps[b], native_flip(a) != native_flip(b))
            line.append(cell(text, [rows[(a, "plain-n4-k3-s2")], rows[(b, "plain-n4-k3-s2")]],
                             notes))
        body.append(line)
    header = [f"{f} (`{columns[f]}`)" for f in frameworks]
    lines += table(["source \\ target"] + header, body)
    lines += ["Padding: each source configuration's canonical window (its rule module), spelled "
              "by the target's adapter (`express`) on both axes of a 4x4 input, run, and "
              "compared with the source's own answer (float32, integer values):", ""]
    sources = {r["nominal"]: r for r in all_rows if r["topic"] == "porting-source"}
    ports = {(r["nominal"], r["target"]): r for r in all_rows if r["topic"] == "porting"}
    body = []
    for key in sorted(sources):
        src = sources[key]
        line = [cell(f"{src['source']}: `{escape(src['spelling'])}` -> canonical "
                     f"{tuple(src['canonical'])} (source {src['status']})", [src], notes)]
        for tgt in frameworks:
            if tgt == src["source"]:
                line.append("(source)")
                continue
            r = ports[(key, tgt)]
            if r["status"] == "pass":
                text = f"{escape(_native(r))}: same answer"
            elif r["status"] == "not expressible":
                text = f"not expressible: {notes.message(r['detail'])}"
            else:
                text = f"**{r['status']}**: {escape(_native(r))}: {notes.message(r['detail'])}"
            line.append(cell(text, [r], notes))
        body.append(line)
    return lines + table(["source configuration"] + header, body)


# Characters per line of a list of entry points in a table cell: a longer list goes on
# indented continuation lines, so a cell stays readable in a wide table.
WIDTH = 110


def who(adapters_: list[str], names: list[str], width: int | None = None) -> str:
    """Entry points in few words: a framework all of whose entry points (among ``names``, the
    document's) are listed is named once, with their count; the others one by one. With
    ``width`` (a table cell), the list is broken between frameworks into lines of about that
    many characters."""
    parts, listed = [], set(adapters_)
    for framework in adapters.frameworks():
        mine = [n for n in names if adapters.framework(n) is framework]
        if mine and all(n in listed for n in mine):
            parts.append(f"{framework.name} (all {len(mine)})" if len(mine) > 1
                         else f"`{mine[0]}`")
        else:
            parts += [f"`{n}`" for n in mine if n in listed]
    if width is None:
        return ", ".join(parts)
    lines = [""]
    for part in parts:
        if lines[-1] and len(lines[-1]) + len(part) > width:
            lines.append("")
        lines[-1] += (", " if lines[-1] else "") + part
    return ",<br>&emsp;".join(lines)


def _frameworks_unable(rows: list[dict], names: list[str]) -> list[str]:
    """The frameworks none of whose entry points ran these probes."""
    unable = []
    for framework in adapters.frameworks():
        mine = [r for r in rows if adapters.framework(r["adapter"]) is framework]
        if mine and all(r["status"] == "unsupported" for r in mine):
            unable.append(framework.name)
    return unable


def _disagreements(mode: str, rows: dict, names: list[str]) -> list[list[list[dict]]]:
    """Per kernel and stride (n at its largest), the groups of entry points whose SAME or
    VALID outputs agree, where there is more than one group."""
    found = []
    n = probing.SWEEP_N[-1]
    for k in probing.SWEEP_K:
        for s in probing.SWEEP_S:
            answers: dict[str, list[dict]] = {}
            for name in names:
                r = rows[(name, f"{mode.lower()}-n{n}-k{k}-s{s}")]
                if r["status"] != "unsupported" and r["values"] is not None:
                    answers.setdefault(str(r["values"]), []).append(r)
            if len(answers) > 1:
                found.append(sorted(answers.values(), key=len, reverse=True))
    return found


def summary(rows: dict, names: list[str], caps: dict[str, Conventions],
            notes: Notes) -> list[str]:
    """The differences that change results, one sentence each, with their evidence."""
    lines = []
    plain = [rows[(name, "plain-n4-k3-s2")] for name in names]
    layouts: dict[tuple, list[dict]] = {}
    for row in plain:
        layouts.setdefault(caps[row["adapter"]].kernel_axes, []).append(row)
    lines.append(cell(f"**Weight layout.** {len(layouts)} kernel layouts: " + "; ".join(
        f"`{', '.join(axes)}` in {who([r['adapter'] for r in group], names)}"
        for axes, group in layouts.items())
        + "; moving a weight between them is a transposition (a regrouping where the channels "
        "per group are counted the other way), given per pair under Porting.", plain, notes))
    flipped = [r for r in plain if r.get("window") and r["window"]["flipped"] is not None
               and caps[r["adapter"]].kernel_flipped != r["window"]["flipped"]]
    if flipped:
        lines.append(cell(f"**Kernel flip.** {who([r['adapter'] for r in flipped], names)} "
                          "read the kernel flipped "
                          "relative to the scatter definition, the others as given: a port "
                          "between the two kinds flips the spatial axes.", flipped, notes))
    for mode in ("SAME", "VALID"):
        split = _disagreements(mode, rows, names)
        if split:
            worst = max(split, key=len)
            r0 = worst[0][0]
            pairs = len(probing.SWEEP_K) * len(probing.SWEEP_S)
            lines.append(cell(
                f"**{mode}.** For {len(split)} of {pairs} kernel/stride pairs (n="
                f"{probing.SWEEP_N[-1]}) the entry points that compute {mode} give different "
                f"outputs; at k={r0['probe'].split('-k')[1].split('-')[0]}, s="
                f"{r0['probe'].split('-s')[-1]} there are {len(worst)} answers: "
                + "; ".join(f"{who([r['adapter'] for r in g], names)} (size "
                            f"{len(g[0]['values'])})" for g in worst)
                + ".", [r for g in worst for r in g], notes))
    asym = [rows[(name, "explicit-b1-e2-n4-k3-s2")] for name in names]
    cannot = _frameworks_unable(asym, names)
    if cannot:
        lines.append(cell(f"**Asymmetric padding.** {', '.join(cannot)}: no entry point crops "
                          "more at one end than at the other (1-D, begin 1, end 2) in its own "
                          "vocabulary; `tconv port` adds the slice.", asym, notes))
    beyond = [rows[(name, "op2-pad1-n4-k3-s2")] for name in names]
    refused = [r for r in beyond if r["violation"] and r["status"] == "pass"]
    computed = [r for r in beyond if r["status"] not in ("pass", "unsupported")]
    if refused or computed:
        computed_by = who([r["adapter"] for r in computed], names)
        lines.append(cell("**output_padding equal to the stride** (k=3, s=2, output_padding "
                          "2): refused as documented by "
                          f"{who([r['adapter'] for r in refused], names) or 'none'}"
                          + (f"; computed against the documented rule by {computed_by}"
                             if computed else "") + ".", refused + computed or beyond, notes))
    grouped = [rows[(name, "groups2-n4-k2-s2")] for name in names]
    no_groups = _frameworks_unable(grouped, names)
    if no_groups:
        lines.append(cell(f"**Groups.** {', '.join(no_groups)}: no entry point takes groups "
                          "(a grouped or depthwise layer there is one convolution per group).",
                          grouped, notes))
    departed = [r for (_, _), r in rows.items() if r["status"] not in ("pass", "unsupported")]
    if departed:
        by_name: dict[str, list[dict]] = {}
        for r in departed:
            by_name.setdefault(r["adapter"], []).append(r)
        lines.append(cell(f"**Departures from the documented rule.** {len(departed)} probe "
                          "checks end otherwise than the entry point's own documentation says: "
                          + ", ".join(f"`{n}` {len(g)}" for n, g in sorted(by_name.items()))
                          + " (marked in bold below).", departed, notes))
    return [f"- {line}" for line in lines] + [""]


def render(probes: list[dict], capabilities: dict[str, Conventions], gpu: str = NO_GPU,
           machine: str = "") -> str:
    """The document, from the probe records and each entry point's declared conventions."""
    names = [n for n in capabilities if not capabilities[n].source
             and any(r["adapter"] == n for r in probes)]
    rows = _index(probes)
    notes = Notes()
    versions = sorted({f"{r['backend']} {r['framework_version']}" for r in probes
                       if "backend" in r})
    lines = ["# Transposed convolution: conventions of each framework and entry point", "",
             "Generated by `tconv conventions` from "
             f"{sum(1 for r in probes if 'probe' in r)} probe checks "
             f"({sum(1 for r in probes if 'probe' in r and r['status'] != 'unsupported')} "
             "ran in a framework, the others are unsupported by the entry point's "
             "vocabulary) and the porting checks; do not edit. "
             "Each cell's footnote names the framework version and the check ids "
             "(`adapter::case_id::check::device`) behind it.", "",
             "Versions: " + "; ".join(versions) + ".", ""]
    if machine:
        lines += [f"{MACHINE}{machine}.", ""]
    lines += [LEGEND, ""]
    sections = [
        ("Layouts, kernel flip, bias and dtypes", entry_points(rows, names, capabilities,
                                                                notes)),
        ("SAME (kernel smaller than, equal to and larger than the stride; even and odd)",
         sweep("SAME", rows, names, notes)),
        ("VALID", sweep("VALID", rows, names, notes)),
        ("Explicit padding (begin != end; `explicit2d`: the same on the first axis of a 2-D "
         "input whose second axis is trivial)", topic("explicit", rows, names, notes)),
        ("output_padding and its limit (k=3, s=2: the largest accepted value and one past it; "
         "s=1 with dilation 2)", topic("output_padding", rows, names, notes)),
        ("output_shape (n=4, k=3, s=2: L = 9)", topic("output_shape", rows, names, notes)),
        ("Dilation with stride (k=3, d=2, s=2)", topic("dilation", rows, names, notes)),
        ("Groups (groups=2 with 2 outputs per group; depthwise, 3 channels)",
         topic("groups", rows, names, notes)),
    ]
    lines += ["## Summary: the differences that change results", ""]
    lines += summary(rows, names, capabilities, notes)
    for title, body in sections:
        lines += [f"## {title}", ""] + body
    lines += ["## Default precision on GPU", "", f"Every entry point: {gpu}.", ""]
    lines += ["## Same nominal parameters, different answer", "",
              f"SAME and VALID with n={probing.SWEEP_N[-1]}, x = 1..n, w = 1, 10, 100, ...; "
              "only where the entry points that computed an answer disagree.", ""]
    lines += cross(rows, names, notes)
    lines += ["## Porting between frameworks", ""]
    lines += porting(probes, rows, capabilities, notes)
    lines += ["## Converter fidelity", ""]
    lines += fidelity_table(probes, notes)
    lines += ["## Evidence", ""] + notes.render()
    if notes.messages:
        lines += ["", "## The frameworks' messages in full", ""] + notes.render_messages()
    return "\n".join(lines).rstrip() + "\n"


FIDELITY_LEGEND = (
    "Each converter path on one float32 case per feature (`reports/fidelity.py`), judged "
    "against the oracle under the SOURCE framework's documented rule and against the "
    "source's own answer: **faithful** (computes what the source documents), **refused** "
    "(the converter or runtime raised, at the stage named, on a case the source allows), "
    "**silently different** (ran, computed something else), **as the source** (differs "
    "exactly as the source's own answer does), **n/a** (the source cannot express the case).")


def fidelity_table(probes: list[dict], notes: Notes) -> list[str]:
    """The converter fidelity table: converter paths x features, from the fidelity probes."""
    found = [r for r in probes if r["topic"] == "fidelity"]
    if not found:
        return ["No converter path was installed.", ""]
    paths = list(dict.fromkeys(r["adapter"] for r in found))
    by = {(r["adapter"], r["feature"]): r for r in found}
    body = []
    for path in paths:
        first = next(r for r in found if r["adapter"] == path)
        cells = []
        for feature in fidelity.CASES:
            row = by.get((path, feature))
            if row is None:
                cells.append("—")
                continue
            text = f"**{row['cell']}**"
            if row["cell"] not in ("faithful", "n/a"):
                text += ": " + notes.message(row["detail"])
            cells.append(cell(text, [row], notes))
        body.append([f"`{path}` (from `{first['source']}`; {first['framework_version']})",
                     *cells])
    return [FIDELITY_LEGEND, ""] + table(["converter path", *fidelity.CASES], body)


def gpu_note() -> str:
    present = Path("/dev/nvidiactl").exists() or shutil.which("nvidia-smi") is not None
    return GPU_CPU_ONLY if present else NO_GPU


# The CPU features that decide which float16 and bfloat16 kernels a framework registers, so that
# the same probe passes on one machine and errors on another: TensorFlow runs float16 through
# oneDNN only with (AVX512BW and (AVX512_FP16 or AMX_FP16)) or AVX_NE_CONVERT, and bfloat16 with
# AVX512F or AVX_NE_CONVERT (``IsDataTypeSupportedByOneDNNOnThisCPU``,
# tensorflow/core/util/util.cc);
# without them its NCHW transposed convolution in float16 has only the NHWC-only kernel. Probed:
# `tf.nn.conv_transpose.nchw` float16 errors on an AMD EPYC (Zen 4, no AVX512_FP16) and passes
# on an Intel Xeon with AVX512_FP16, TensorFlow 2.21.0 both. OpenVINO's CPU plugin checks
# AVX512_FP16 for float16 too (``hasHardwareSupport``, intel_cpu/src/utils/precision_support.cpp).
CPU_FEATURES = ("avx512f", "avx512bw", "avx512_fp16", "amx_fp16", "avx_ne_convert")
MACHINE = "Probed on: "


def machine_note(cpuinfo: str | None = None) -> str:
    """The machine, as far as the probes' outcomes depend on it: the architecture and which of
    ``CPU_FEATURES`` the CPU has (``/proc/cpuinfo``)."""
    if cpuinfo is None:
        path = Path("/proc/cpuinfo")
        cpuinfo = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
    flags: set[str] = set()
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            flags.update(line.partition(":")[2].split())
    have = [f for f in CPU_FEATURES if f in flags]
    lacks = [f for f in CPU_FEATURES if f not in flags]
    return (f"{platform.machine()}, CPU with {', '.join(have) or 'none'} of the features that "
            f"decide the float16 and bfloat16 kernels (without {', '.join(lacks) or 'none'})")


def probed_on(text: str) -> str:
    """The machine line of a generated document (``machine_note``), or '' when it has none."""
    for line in text.splitlines():
        if line.startswith(MACHINE):
            return line[len(MACHINE):].rstrip(".")
    return ""


def registry_names() -> list[str]:
    return [n for n in adapters.REGISTRY if adapters.installed(adapters.backend(n))]


def generate(names: list[str] | None = None) -> tuple[str, list[dict]]:
    """Run the probes and render: the document and the records."""
    names = registry_names() if names is None else names
    records = probing.run(names)
    caps = {name: adapters.load(name).conventions for name in names}
    return render(records, caps, gpu_note(), machine_note()), records


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write reports/CONVENTIONS.md from probes.")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if the committed document is stale")
    parser.add_argument("--out", default="reports/CONVENTIONS.md")
    args = parser.parse_args(argv)
    out = Path(args.out)
    text, records = generate()
    if args.check:
        current = out.read_text(encoding="utf-8") if out.exists() else ""
        if current != text:
            print(STALE)
            return 1
        return 0
    out.write_text(text, encoding="utf-8")
    out.with_name("conventions.json").write_text(
        json.dumps(records, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
