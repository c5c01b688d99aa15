"""The cross-framework table: for the same nominal parameters (one case), every entry point's
answer, grouped by agreement, so that "same parameters, different answer" is visible.

Two answers agree when they have the same shape and differ nowhere by more than 1% of their
largest magnitude (the judge's threshold for a semantic difference: a crop on the other side, a
flipped kernel or a one-pixel shift moves values by their own magnitude). Each entry point runs
the case its own way (``plan``), in its own worker.

    python -m tconv.conformance.cross --profile default --dtype float32 --out reports/latest
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tconv import adapters
from tconv.adapters.workers import Workers
from tconv.cases.families import profile
from tconv.conformance import pipeline
from tconv.conformance.judge import agree


def answers(case, names: list[str], workers: Workers) -> dict[str, dict]:
    """Each entry point's answer to ``case`` (through the check pipeline): its output, for
    the entry points that computed one on a case their rules allow."""
    found = {}
    for name in names:
        check = pipeline.run(name, case, workers)
        if check.output is not None and check.plan is not None and not check.plan.violation:
            found[name] = {"y": check.output, "call": check.call,
                           "canonical": check.plan.canonical}
    return found


def groups(found: dict[str, dict]) -> list[list[str]]:
    """Entry points grouped by agreeing answers, largest group first."""
    clusters: list[list[str]] = []
    for name, answer in found.items():
        for cluster in clusters:
            if agree(found[cluster[0]]["y"], answer["y"]):
                cluster.append(name)
                break
        else:
            clusters.append([name])
    return sorted(clusters, key=len, reverse=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the cross-framework table.")
    parser.add_argument("--profile", default="default")
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--out", default="reports/latest")
    args = parser.parse_args(argv)
    names = [n for n in adapters.REGISTRY if adapters.installed(adapters.backend(n))]
    workers = Workers()
    rows = []
    try:
        for case in profile(args.profile):
            if case.dtype != args.dtype:
                continue
            found = answers(case, names, workers)
            clusters = groups(found)
            rows.append({"case": case.id, "groups": [
                {"entry_points": c, "shape": list(found[c[0]]["y"].shape),
                 "canonical": found[c[0]]["canonical"], "call": found[c[0]]["call"]}
                for c in clusters]})
    finally:
        workers.close()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "cross_framework.json").write_text(json.dumps(rows, indent=1) + "\n")
    split = [r for r in rows if len(r["groups"]) > 1]
    lines = ["# Same nominal parameters, different answer", "",
             f"{len(rows)} cases ({args.profile} profile, {args.dtype}); {len(split)} where the "
             "entry points that ran the case do not all agree. Each group: the entry points "
             "whose answers agree, the output shape, and the window (begin, end, "
             "output_padding) per axis that their documented rule gives.", ""]
    for r in split:
        lines.append(f"## {r['case']}")
        lines.append("")
        for g in r["groups"]:
            lines.append(f"- shape {tuple(g['shape'])}, window {g['canonical']}: "
                         f"{', '.join(g['entry_points'])}  \n  `{g['call']}`")
        lines.append("")
    (out / "cross_framework.md").write_text("\n".join(lines))
    print(f"cross-framework: {len(rows)} cases, {len(split)} with different answers -> "
          f"{out}/cross_framework.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
