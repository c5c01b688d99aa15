"""``reports/PORTING.md``: how to port the transposed-convolution layers people actually port,
between every pair of frameworks, each recipe verified by ``tconv port``'s machinery.

Generated, never typed: ``tconv guide`` runs every port (``reports.port``) and writes the guide;
``--check`` writes nothing and exits 1 when the committed guide differs from what the ports give
now (``make test`` fails on a stale guide). Each configuration is given in the source's own
terms (explicit pairs, SAME or VALID under the source's documented rule); each cell is the
target's call, the weight conversion, any extra step on the output, and the check id behind
"verified". Deterministic: statuses, spellings and check ids only, no timings or magnitudes.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from tconv import adapters
from tconv.adapters.workers import Workers
from tconv.cases.case import Case
from tconv.cases.families import _seed
from tconv.conformance import registry
from tconv.reports import port as porting
from tconv.reports import probes
from tconv.reports.conventions import escape

PATH = Path(__file__).with_name("PORTING.md")
STALE = "reports/PORTING.md is stale: run `tconv guide`"
FAMILY = "guide"


@dataclass(frozen=True)
class Layer:
    """A configuration people port, in the oracle's words (padding pairs, or SAME / VALID under
    each source's own rule)."""

    key: str
    title: str
    input_size: tuple[int, ...]
    kernel: int
    stride: int
    padding: int | str
    output_padding: int = 0
    dilation: int = 1
    channels: tuple[int, int] = (2, 3)
    groups: int = 1

    def case(self) -> Case:
        dims = len(self.input_size)
        padding = (self.padding if isinstance(self.padding, str)
                   else ((self.padding, self.padding),) * dims)
        name = f"{self.key}"
        return Case(family=FAMILY, name=name, batch=1, in_channels=self.channels[0],
                    out_channels=self.channels[1], groups=self.groups,
                    input_size=self.input_size, kernel=(self.kernel,) * dims,
                    stride=(self.stride,) * dims, dilation=(self.dilation,) * dims,
                    padding=padding, output_padding=(self.output_padding,) * dims, bias=True,
                    dtype="float32", seed=_seed(FAMILY, name),
                    source=f"porting guide: {self.title}")


# The model zoo's layers and the corners where frameworks differ (cases/families.py cites the
# models): float32, with bias.
LAYERS = (
    Layer("dcgan-k4-s2-p1", "DCGAN generator: k4, s2, padding 1", (4, 4), 4, 2, 1),
    Layer("unet-k2-s2", "U-Net up-convolution: k2, s2", (4, 4), 2, 2, 0),
    Layer("k3-s2-p1-op1", "k3, s2, padding 1, output_padding 1 (exactly 2x)", (4, 4), 3, 2, 1,
          output_padding=1),
    Layer("same-k3-s2", "SAME, odd kernel k3, s2", (4, 4), 3, 2, "SAME"),
    Layer("same-k4-s2", "SAME, even kernel k4, s2", (4, 4), 4, 2, "SAME"),
    Layer("valid-k3-s2", "VALID, k3, s2", (4, 4), 3, 2, "VALID"),
    Layer("k1-s2", "kernel smaller than the stride: k1, s2", (4, 4), 1, 2, 0),
    Layer("k3-s2-d2", "dilation with stride: k3, s2, dilation 2", (4, 4), 3, 2, 0, dilation=2),
    Layer("groups2-k3-s2-p1", "groups: 4 channels to 4 in 2 groups, k3, s2, padding 1",
          (4, 4), 3, 2, 1, channels=(4, 4), groups=2),
    Layer("depthwise-k4-s2-p1", "depthwise (FCN bilinear upsampling): 3 channels, k4, s2, "
          "padding 1", (4, 4), 4, 2, 1, channels=(3, 3), groups=3),
    Layer("1d-k4-s2-p1", "1-D: k4, s2, padding 1 (HiFi-GAN-style upsampling)", (8,), 4, 2, 1),
    Layer("3d-k2-s2", "3-D: k2, s2 (3-D U-Net)", (3, 3, 3), 2, 2, 0),
)


def code(text: str) -> str:
    """Text as a Markdown code span inside a table cell: no backticks, pipes escaped (the
    only escape a code span honours in a table)."""
    return "`" + str(text).replace("`", "'").replace("|", "\\|") + "`"


def _spelling(name: str, case: Case) -> tuple[str, object]:
    """The source's own spelling of the layer, or why it has none."""
    adapter = adapters.load(name)
    try:
        plan = adapter.plan(case)
    except adapters.Unsupported as reason:
        return f"no spelling: {escape(str(reason))}", None
    if plan.violation:
        return f"forbidden by its rules: {escape(plan.violation)}", None
    native = adapters.padding_spelling(name, plan.native)
    return code(", ".join(f"{k}={v}" for k, v in native.items())), plan


def _cell(result: porting.Port) -> list[str]:
    if not result.verified:
        why = "; ".join(f"{a.entry_point}: {a.outcome}" for a in result.attempts)
        return ["\u2014", "\u2014", "\u2014", f"**none** ({escape(why)})"]
    native = ", ".join(f"{k}={v}" for k, v in result.native.items())
    call = (code(result.entry_point) + " " if result.entry_point != result.target else "") + \
        (code(native) if native else "(defaults)")
    step, dims = result.step, result.case.dims
    extra = "\u2014"
    if step is not None and not step.none:
        steps = step.code(porting.spatial_axes(result.entry_point, dims), 2 + dims)
        extra = code(steps.replace("\n", "; "))
    weights = "; ".join(code(line) for line in result.weights) or "unchanged"
    return [call, weights, extra, f"verified {code(result.check_id)}"]


def render(results: dict[tuple[str, str, str], porting.Port | str],
           spellings: dict[tuple[str, str], str], columns: dict[str, str],
           versions: dict[str, str]) -> str:
    """The guide: ``results`` per (source, target, layer key), a port or why there is none;
    ``spellings`` the source's own spelling per (source, layer key)."""
    lines = ["# Porting transposed convolutions between frameworks", "",
             "Generated by `tconv guide` from "
             f"{sum(isinstance(r, porting.Port) for r in results.values())} verified-or-refused "
             "ports; do not edit. Each recipe was run: the source on seeded inputs, the target "
             "with the call, the weight conversion and any extra step shown, both judged by "
             "the oracle within its error bound (`tconv port` answers any other layer, and "
             "writes a script that checks itself).", "",
             "Versions: " + "; ".join(f"`{n}` {v}" for n, v in sorted(versions.items())) + ".",
             "", "Weights: `w` is the weight as the source framework holds it; the lines turn "
             "it into the target's. Extra step: on the target's output in its own layout, "
             "where the target's vocabulary cannot spell the source's window.", ""]
    for source_label, source in columns.items():
        lines += [f"## From {source_label} (`{source}`)", ""]
        for target_label, target in columns.items():
            if target == source:
                continue
            lines += [f"### {source_label} -> {target_label} (`{target}`)", "",
                      "| layer | source spelling | target call | weights | extra step | "
                      "verified |", "|---|---|---|---|---|---|"]
            for layer in LAYERS:
                result = results[(source, target, layer.key)]
                if isinstance(result, str):
                    cells = [result, "\u2014", "\u2014", "\u2014", "\u2014"]
                else:
                    cells = [spellings[(source, layer.key)], *_cell(result)]
                lines.append(f"| {escape(layer.title)} | " + " | ".join(cells) + " |")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def generate() -> str:
    columns = probes.porting()
    installed = {n: t for n, t in columns.items() if adapters.installed(adapters.backend(t))}
    known = registry.load()
    workers = Workers()
    results: dict[tuple[str, str, str], porting.Port | str] = {}
    spellings: dict[tuple[str, str], str] = {}
    versions = {}
    try:
        for source in installed.values():
            versions[source] = workers.get(adapters.backend(source)).version(source)
            for layer in LAYERS:
                case = layer.case()
                spelling, plan = _spelling(source, case)
                spellings[(source, layer.key)] = spelling
                for target in installed.values():
                    if target == source:
                        continue
                    if plan is None:
                        results[(source, target, layer.key)] = spelling
                        continue
                    try:
                        results[(source, target, layer.key)] = porting.port(
                            source, target, case, workers, known)
                    except porting.PortError as error:
                        results[(source, target, layer.key)] = escape(str(error))
    finally:
        workers.close()
    return render(results, spellings, installed, versions)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write reports/PORTING.md from ports.")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if the committed guide is stale")
    parser.add_argument("--out", type=Path, default=PATH)
    args = parser.parse_args(argv)
    text = generate()
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        if current != text:
            print(STALE)
            return 1
        return 0
    args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
