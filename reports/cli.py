"""``tconv``: the command line.

    tconv run [--out DIR] [--cases FILE] [--cross] [pytest options]   the conformance run
    tconv report RESULTS.jsonl... [--out DIR] [--cross FILE]        rebuild every report
    tconv gate --baseline B --current C [--json] [--strict]          exit 1 on a regression
    tconv merge A.jsonl B.jsonl... --out DIR                          one report from several runs
    tconv baseline RESULTS.jsonl --out FILE                           write a gate baseline
    tconv conventions [--check]                                       regenerate CONVENTIONS.md
    tconv upgrade PACKAGE OLD NEW [--profile P] [pytest options]      compare two versions
    tconv port --from ENTRY --to ENTRY --input-size N.. --kernel K.. [...]  port one layer
    tconv guide [--check]                                             regenerate PORTING.md
    tconv environments [BACKEND...]                                   build backends' own envs

Wrong usage is one line on stderr and exit status 2; so is a missing or malformed input file.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tconv.reports.paths import LATEST, SUITE
from tconv.reports.usage import Parser, UsageError


def _existing(paths: list[Path]) -> list[Path]:
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise UsageError(f"no such results file: {', '.join(missing)}")
    return paths


def _counts(doc: dict) -> str:
    return ", ".join(f"{n} {s}" for s, n in doc["summary"]["statuses"].items())


def _build(paths: list[Path], out: Path, command: list[str], cross: Path | None) -> int:
    from tconv.reports import build

    doc = build.write(paths, out, command, cross)
    print(f"tconv report: {doc['summary']['checks']} checks ({_counts(doc)}) -> "
          f"{out}/report.json, report.md, report.html")
    return 0


def _ending(doc: dict, out: Path, cross: bool) -> None:
    """The end of tconv run on the terminal: the counts, then where everything is (the
    logs: pytest's own output, each framework backend's)."""
    files = ["report.json", "report.md", "results.jsonl", "conformance.xml",
             *(["cross_framework.md"] if cross else [])]
    kept = sorted(p.name for p in (out / "logs").glob("*.log"))
    if kept:
        files.append(f"logs/ ({', '.join(kept)})")
    print(f"tconv run: {doc['summary']['checks']} checks: {_counts(doc) or 'none'}")
    print(f"  in {out}: {', '.join(files)}")
    print(f"  report: {out / 'report.html'}")     # last: what to open


def _environments(chosen) -> None:
    """The chosen backends' own environments, built before the run (each worker would build
    them on first use too): one that cannot be built stops the run in one line."""
    from tconv import adapters
    from tconv.adapters import environments as envs

    if chosen.python:      # --python: every backend runs from that interpreter
        return
    wanted = {adapters.backend(n) for n in chosen.adapters} if chosen.adapters else None
    for name in envs.declared():
        if ((chosen.backends and name not in chosen.backends) or (wanted and name not in wanted)
                or (not chosen.backends and not wanted and name in adapters.TESTING_BACKENDS)):
            continue
        try:
            envs.build(name)
        except envs.BuildError as error:
            raise UsageError(str(error)) from None


def run(argv: list[str]) -> int:
    from tconv.adapters import logs
    from tconv.conformance import options

    parser = Parser(prog="tconv run", add_help=True,
                    description="The conformance run (pytest on the suite "
                                "tconv.conformance.suite), then every report. Options not "
                                "listed here go to pytest (-n 2, -k EXPR, -q, ...).")
    parser.add_argument("--out", type=Path, default=LATEST,
                        help=f"the folder of the results and reports (default {LATEST})")
    parser.add_argument("--cross", action="store_true",
                        help="also write the cross-framework table (float32 cases)")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="pytest's own terminal output (as pytest -v; -vv for more) "
                             "instead of the progress per backend")
    group = parser.add_argument_group("conformance options")
    for option in options.OPTIONS:
        if option.flag != "--results":   # always OUT/results.jsonl
            group.add_argument(option.flag, **option.arguments())
    args, pytest_args = parser.parse_known_args(argv)
    values = vars(args)
    # Every option and file is checked before the output folder is touched: a rejected run
    # leaves an earlier run's results where they are.
    try:
        chosen = options.settings(values)
    except options.OptionError as error:
        raise UsageError(str(error)) from None
    _environments(chosen)
    args.out.mkdir(parents=True, exist_ok=True)
    results = args.out / "results.jsonl"
    passed = []
    for option in options.OPTIONS:
        value = values.get(option.dest)
        if option.flag == "--results" or value in (None, "", []) or value == option.default:
            continue
        for item in (value if option.append else [value]):
            item = Path(item).resolve() if option.flag in ("--cases", "--known") else item
            # flag=value: xdist rejects a separate argument naming an existing file outside
            # its rsync roots when it starts gateways with their own directory (--tx ...chdir)
            passed.append(f"{option.flag}={item}")
    # The frameworks' own output goes to OUT/logs (adapters.logs); by default pytest's own
    # too, and the terminal shows the progress (conformance.progress).
    env = {**os.environ, logs.LOG_DIR: str((args.out / "logs").resolve())}
    shown = ["-v"] * args.verbose if args.verbose else ["-p", "tconv.conformance.progress"]
    command = [sys.executable, "-m", "pytest", *SUITE, *shown, f"--results={results}",
               "--fresh-results", f"--junitxml={args.out / 'conformance.xml'}", *passed,
               *distribution(pytest_args), *pytest_args]
    status = subprocess.call(command, env=env)
    if status == 4:   # pytest's own usage error (an option it does not know): said above
        return 2
    if status not in (0, 1) or not results.is_file():
        print(f"tconv run: pytest ended with status {status}", file=sys.stderr)
        return status or 2
    cross = None
    if args.cross:
        subprocess.check_call([sys.executable, "-m", "tconv.conformance.cross", "--profile",
                               args.profile, "--dtype", "float32", "--out", str(args.out)],
                              env=env)
        cross = args.out / "cross_framework.json"
    from tconv.reports import build

    _ending(build.write([results], args.out, ["tconv", "run", *argv], cross), args.out,
            args.cross)
    return status


def distribution(pytest_args: list[str]) -> list[str]:
    """``--dist loadgroup`` where the run is spread over xdist workers (``-n``, ``--tx``) and
    names no distribution of its own: backend-affine scheduling (``conformance.plugin``), so
    that each framework starts in one xdist worker; xdist's own default (``load``) hands each
    worker checks of every backend, and every framework started in every worker."""
    spread = any(a in ("--numprocesses", "--tx")
                 or a.startswith(("-n", "--numprocesses=", "--tx=")) for a in pytest_args)
    named = any(a in ("--dist", "-d") or a.startswith("--dist=") for a in pytest_args)
    return ["--dist", "loadgroup"] if spread and not named else []


def report(argv: list[str]) -> int:
    parser = Parser(prog="tconv report", description="Rebuild every report from results.")
    parser.add_argument("results", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, default=LATEST)
    parser.add_argument("--cross", type=Path, help="a cross_framework.json to include")
    args = parser.parse_args(argv)
    return _build(_existing(args.results), args.out, ["tconv", "report", *argv], args.cross)


def merge(argv: list[str]) -> int:
    from tconv.reports import merge as merging

    status = merging.main(argv)
    if status != 0:
        return status
    parser = Parser(prog="tconv merge")
    parser.add_argument("results", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    return _build([args.out / "results.jsonl"], args.out, ["tconv", "merge", *argv], None)


def baseline(argv: list[str]) -> int:
    from tconv.conformance import results
    from tconv.reports import gate

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


def _size(n: int) -> str:
    return f"{n / 2**30:.2f} GiB" if n >= 2**30 else f"{n / 2**20:.0f} MiB"


def environments(argv: list[str]) -> int:
    """Build every environment a backend declares (``adapters.environments``) that is not
    ready; print each one's build time and disk. Quick when they are all built."""
    from tconv.adapters import environments as envs

    declared = envs.declared()
    parser = Parser(prog="tconv environments",
                    description="Build the backends' own virtual environments that are "
                                "missing (the ones declared by Backend.requirements).")
    parser.add_argument("backends", nargs="*", metavar="BACKEND",
                        help=f"only these (default: all of {', '.join(declared) or 'none'})")
    args = parser.parse_args(argv)
    unknown = [b for b in args.backends if b not in declared]
    if unknown:
        raise UsageError(f"no environment declared for {', '.join(unknown)}; "
                         f"backends with one: {', '.join(declared) or 'none'}")
    if not declared:
        print("tconv environments: no backend declares an environment of its own")
    for name in args.backends or declared:
        was_ready = envs.ready(name)
        try:
            envs.build(name)
        except envs.BuildError as error:
            raise UsageError(str(error)) from None
        record = envs.describe(name)
        state = "ready" if was_ready else "built now"
        print(f"tconv environments: {name}: {state} ({record['requirements']}, built in "
              f"{record['seconds']:g} s on {record['built']}), {_size(record['bytes'])} in "
              f"{record['folder']}")
    return 0


def _delegate(module: str):
    def call(argv: list[str]) -> int:
        import importlib

        return importlib.import_module(module).main(argv)

    return call


COMMANDS = {"run": run, "report": report, "gate": _delegate("tconv.reports.gate"),
            "merge": merge, "baseline": baseline,
            "conventions": _delegate("tconv.reports.conventions"),
            "upgrade": _delegate("tconv.reports.upgrade"), "port": _delegate("tconv.reports.port"),
            "guide": _delegate("tconv.reports.guide"), "environments": environments}


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
