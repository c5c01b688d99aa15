"""``tconv``: the command line.

    tconv run [--out DIR] [--cases FILE] [--cross] [pytest options]   the conformance run
    tconv report RESULTS.jsonl... [--out DIR] [--cross FILE]        rebuild every report
    tconv gate --baseline B --current C [--json] [--strict]          exit 1 on a regression
    tconv merge A.jsonl B.jsonl... --out DIR                          one report from several runs
    tconv baseline RESULTS.jsonl --out FILE                           write a gate baseline
    tconv conventions [--check]                                       regenerate CONVENTIONS.md
    tconv upgrade PACKAGE OLD NEW [--profile P] [pytest options]      compare two versions

Wrong usage is one line on stderr and exit status 2; so is a missing or malformed input file.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LATEST = ROOT / "reports" / "latest"


class UsageError(Exception):
    """Wrong usage: the message is the one line printed before exit status 2."""


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (``tconv <command>: <problem>``), no usage
    block, and no exit from inside the parser."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


def _existing(paths: list[Path]) -> list[Path]:
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise UsageError(f"no such results file: {', '.join(missing)}")
    return paths


def _build(paths: list[Path], out: Path, command: list[str], cross: Path | None) -> int:
    from reports import build

    doc = build.write(paths, out, command, cross)
    counts = ", ".join(f"{n} {s}" for s, n in doc["summary"]["statuses"].items())
    print(f"tconv report: {doc['summary']['checks']} checks ({counts}) -> "
          f"{out}/report.json, report.md, report.html")
    return 0


def run(argv: list[str]) -> int:
    parser = Parser(prog="tconv run", add_help=True,
                    description="The conformance run (pytest), then every report.")
    parser.add_argument("--out", type=Path, default=LATEST)
    parser.add_argument("--cases", type=Path, help="a TOML or JSON file of your own cases")
    parser.add_argument("--cross", action="store_true",
                        help="also write the cross-framework table (float32 cases)")
    args, pytest_args = parser.parse_known_args(argv)
    if args.cases is not None:
        _validate_cases(args.cases)
        pytest_args += ["--cases", str(args.cases.resolve())]
    args.out.mkdir(parents=True, exist_ok=True)
    results = args.out / "results.jsonl"
    results.unlink(missing_ok=True)
    command = [sys.executable, "-m", "pytest", "tests/conformance", "--results", str(results),
               f"--junitxml={args.out / 'conformance.xml'}", *pytest_args]
    status = subprocess.call(command, cwd=ROOT)
    if status not in (0, 1) or not results.is_file():
        print(f"tconv run: pytest ended with status {status}", file=sys.stderr)
        return status or 2
    cross = None
    if args.cross:
        profile = _option(pytest_args, "--profile", "quick")
        subprocess.check_call([sys.executable, "-m", "tests.conformance.cross", "--profile",
                               profile, "--dtype", "float32", "--out", str(args.out)], cwd=ROOT)
        cross = args.out / "cross_framework.json"
    _build([results], args.out, ["tconv", "run", *argv], cross)
    return status


def _option(args: list[str], name: str, default: str) -> str:
    for i, arg in enumerate(args):
        if arg == name and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return default


def _validate_cases(path: Path) -> None:
    from cases.userfile import CaseFileError, load

    try:
        load(path)
    except CaseFileError as error:
        raise UsageError(str(error)) from None


def report(argv: list[str]) -> int:
    parser = Parser(prog="tconv report", description="Rebuild every report from results.")
    parser.add_argument("results", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, default=LATEST)
    parser.add_argument("--cross", type=Path, help="a cross_framework.json to include")
    args = parser.parse_args(argv)
    return _build(_existing(args.results), args.out, ["tconv", "report", *argv], args.cross)


def merge(argv: list[str]) -> int:
    from reports import merge as merging

    status = merging.main(argv)
    if status != 0:
        return status
    parser = Parser(prog="tconv merge")
    parser.add_argument("results", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    return _build([args.out / "results.jsonl"], args.out, ["tconv", "merge", *argv], None)


def baseline(argv: list[str]) -> int:
    from reports import gate, results

    parser = Parser(prog="tconv baseline", description="Write a gate baseline from results.")
    parser.add_argument("results", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    rows, broken = results.read(_existing(args.results))
    if broken:
        raise UsageError(f"{broken} unreadable line(s) in {', '.join(map(str, args.results))}: "
                         "a baseline is written from a complete run only")
    gate.write_baseline(rows, args.out)
    print(f"tconv baseline: {len(rows)} checks -> {args.out}")
    return 0


def _delegate(module: str):
    def call(argv: list[str]) -> int:
        import importlib

        return importlib.import_module(module).main(argv)

    return call


COMMANDS = {"run": run, "report": report, "gate": _delegate("reports.gate"), "merge": merge,
            "baseline": baseline, "conventions": _delegate("reports.conventions"),
            "upgrade": _delegate("reports.upgrade")}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    if not argv:
        print(f"tconv: a command is needed: {', '.join(COMMANDS)} (tconv --help)",
              file=sys.stderr)
        return 2
    command, rest = argv[0], argv[1:]
    if command not in COMMANDS:
        print(f"tconv: unknown command {command!r}; choose from {', '.join(COMMANDS)}",
              file=sys.stderr)
        return 2
    os.environ.setdefault("PYTHONPATH", str(ROOT))
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    try:
        return COMMANDS[command](rest)
    except UsageError as error:
        print(f"tconv {command}: {error}" if not str(error).startswith("tconv")
              else str(error), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
