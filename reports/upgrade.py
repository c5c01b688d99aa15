"""The upgrade comparison: one framework package at two versions, the same profile against both,
one verdict.

    tconv upgrade PACKAGE OLD NEW [--profile quick] [--out DIR] [--cache DIR] [--adapters A,B]
                  [pytest options]

Each version gets a virtual environment of its own (cached in ``--cache``, default
``.tconv-venvs/``): the package (and its companions, ``Framework.distributions``) at that
version installed without dependencies, everything else borrowed from this environment
through a ``.pth`` file, so a version costs one download. A version equal to the installed one
runs from this environment. What to install and which entry points to run come from the adapters'
declarations (``target``: converter paths by their ``parts``); a backend with an environment
of its own gets one per version, built from its requirements file with the pin replaced
(``pinned``, ``backend_environment``). The conformance run then goes through those entry
points, once per version, each version's framework in its own worker processes (``--python``),
and the two result files are compared check by check:

- status changes, by the regression gate's rules (``reports.gate``): a check that passed and no
  longer does, a new failing status, a known discrepancy whose signature changed;
- values that moved by more than the oracle's bound: both versions are judged against the
  oracle, so a check whose error in bound units changed by more than one unit computes other
  values (by at least the bound, at its worst element);
- shapes that changed;
- registry entries (``conformance/known_issues.toml``) that the new version fixes (no
  longer matched, checks pass) or breaks, with each entry's version specifier.

Writes ``DIR/upgrade.json`` and ``DIR/upgrade.md``, and the two runs' results as
``DIR/runs/OLD.jsonl`` and ``DIR/runs/NEW.jsonl`` (not committed: ``tconv report`` rebuilds a
full report from either). Exit status 1 when the new version regresses anything, 0 otherwise; 2 on
wrong usage or a version that cannot be installed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import venv
from dataclasses import asdict, dataclass, replace
from importlib import metadata
from pathlib import Path

from tconv import adapters
from tconv.adapters import environments
from tconv.adapters.conversion import Converter
from tconv.conformance import registry, results
from tconv.conformance.status import Status
from tconv.reports import gate
from tconv.reports.paths import HOME, SUITE


def _registry():
    return registry


class UpgradeError(Exception):
    """Wrong usage or an environment that cannot be built: one line, exit status 2."""


@dataclass(frozen=True)
class Target:
    """What ``tconv upgrade PACKAGE`` moves, read from the adapters' declarations.

    ``package``: the framework's ``Framework.package``; ``distributions``: what is installed
    at the new version together (``Framework.distributions``); ``entry_points``: those whose
    answer the package can change: every entry point of a backend naming the package
    (``Backend.packages``), except a converter path whose ``parts`` (the distributions it
    reports) name none of ``distributions``, and any converter path whose parts do;
    ``backends``: their backends, in registry order; ``environments``: those of them with an
    environment of their own (``Backend.requirements``): each side's is built from the
    backend's requirements file with the distributions' pins replaced (``pinned``)."""

    package: str
    distributions: tuple[str, ...]
    entry_points: tuple[str, ...]
    backends: tuple[str, ...]
    environments: tuple[str, ...]

    def requirements(self, version: str) -> list[str]:
        return [f"{name}=={version}" for name in self.distributions]


def names() -> dict[str, str]:
    """Every name ``tconv upgrade`` takes, with the package it means: each framework's
    ``package`` and the distribution whose version is the framework's (``paddlepaddle`` for
    ``paddle``, ``tensorflow-cpu`` for ``tensorflow``)."""
    found: dict[str, str] = {}
    for f in adapters.frameworks():
        if not f.testing:
            found.setdefault(f.package, f.package)
            found.setdefault(f.distributions[0], f.package)
    return found


def target(name: str) -> Target:
    """The upgrade of ``name`` (a package or its framework's distribution: ``names``);
    UpgradeError when no framework declares it or its frameworks disagree on what to
    install."""
    package = names().get(name)
    if package is None:
        raise UpgradeError(f"no framework declares the package {name!r}; choose from "
                           f"{', '.join(sorted(names()))}")
    declared = {f.distributions for f in adapters.frameworks()
                if f.package == package and not f.testing}
    if len(declared) != 1:
        raise UpgradeError(f"the frameworks of package {package} declare different "
                           f"distributions: {sorted(declared)}")
    (distributions,) = declared
    chosen = []
    for name_, (cls, backend) in adapters.REGISTRY.items():
        if issubclass(cls, Converter):
            if set(cls.parts) & set(distributions):
                chosen.append(name_)
        elif package in adapters.BACKENDS[backend].packages:
            chosen.append(name_)
    used = {adapters.backend(e) for e in chosen}
    backends = tuple(b for b in adapters.BACKENDS if b in used)
    return Target(package, distributions, tuple(chosen), backends,
                  tuple(b for b in backends if adapters.BACKENDS[b].requirements))


def affected(package: str) -> list[str]:
    """The backends an upgrade of ``package`` runs (``target``)."""
    return list(target(package).backends)


def installed_version(package: str) -> str:
    try:
        return metadata.version(target(package).distributions[0])
    except metadata.PackageNotFoundError:
        return ""


def _normal(name: str) -> str:
    # distribution names compare normalized (PEP 503): opt_einsum is opt-einsum
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned(text: str, distributions: tuple[str, ...], version: str) -> str:
    """A requirements file's ``text`` with each of ``distributions`` pinned at ``version``
    (its ``name==version`` line rewritten, everything else kept); UpgradeError when the file
    does not pin one of them."""
    wanted = {_normal(d) for d in distributions}
    seen, lines = set(), []
    for line in text.splitlines():
        match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9_.-]*)\s*==", line)
        if match and _normal(match.group(1)) in wanted:
            seen.add(_normal(match.group(1)))
            line = f"{match.group(1)}=={version}"
        lines.append(line)
    if seen != wanted:
        raise UpgradeError(f"the requirements file pins no {', '.join(sorted(wanted - seen))}")
    return "\n".join(lines) + "\n"


def backend_environment(backend: str, upgrade: Target, version: str, cache: Path) -> str:
    """The interpreter of ``backend``'s own environment (``adapters.environments``) with
    ``upgrade``'s distributions at ``version``: built from its requirements file with their
    pins replaced (the declared environment itself when that changes nothing)."""
    declared = adapters.BACKENDS[backend]
    path = environments.requirements(declared)
    text = path.read_text()
    try:
        wanted = pinned(text, upgrade.distributions, version)
    except UpgradeError as error:
        raise UpgradeError(f"backend {backend} ({path.name}): {error}") from None
    if wanted != text:
        cache.mkdir(parents=True, exist_ok=True)
        path = cache / f"{backend}-{upgrade.package}-{version}.txt"
        path.write_text(wanted)
        declared = replace(declared, requirements=str(path.resolve()))
    try:
        environments.build(declared)
    except environments.BuildError as error:
        raise UpgradeError(str(error)) from None
    return environments.interpreter(declared)


def environment(package: str, version: str, cache: Path) -> str:
    """The interpreter of a virtual environment with ``package`` at ``version`` (built on
    first use, cached), or this one when that is the installed version."""
    if version == installed_version(package):
        return sys.executable
    home = cache / f"{package}-{version}"
    python = home / "bin" / "python"
    done = home / ".tconv-ready"
    if done.is_file():
        return str(python)
    venv.EnvBuilder(with_pip=False, clear=True).create(home)
    site = subprocess.run([str(python), "-c", "import sysconfig; "
                           "print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    requirements = target(package).requirements(version)
    install = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet",
                              "--disable-pip-version-check", "--no-deps", "--target", site,
                              *requirements], capture_output=True, text=True)
    if install.returncode != 0:
        last = (install.stderr.strip().splitlines() or ["pip failed"])[-1]
        raise UpgradeError(f"cannot install {' '.join(requirements)}: {last}")
    # Everything else from this environment, tconv included; the environment's own packages
    # come first. addsitedir (not a bare path) so that this environment's own .pth files run
    # too: an editable tconv is found through one.
    import site as here

    Path(site, "tconv-borrowed.pth").write_text("".join(
        f"import site; site.addsitedir({path!r})\n" for path in here.getsitepackages()))
    done.write_text(version + "\n")
    return str(python)


def _units(row: dict) -> float | None:
    value = row.get("bound_units")
    return None if value is None else float(value)


def compare(old_rows: list[dict], new_rows: list[dict], old: str, new: str) -> dict:
    """The side-by-side comparison of two runs of the same checks on two versions."""
    verdict = gate.compare(old_rows, new_rows)
    before = {r["check_id"]: r for r in old_rows}
    values, shapes = [], []
    for row in new_rows:
        was = before.get(row["check_id"])
        if was is None:
            continue
        if was.get("actual_shape") != row.get("actual_shape"):
            shapes.append({"check_id": row["check_id"], "old": was.get("actual_shape"),
                           "new": row.get("actual_shape")})
        a, b = _units(was), _units(row)
        if a is not None and b is not None and abs(a - b) > 1:
            values.append({"check_id": row["check_id"], "old_bound_units": a,
                           "new_bound_units": b, "old_status": was["status"],
                           "new_status": row["status"]})
    return {"old": old, "new": new, "checks": {"old": len(old_rows), "new": len(new_rows)},
            "regressions": [asdict(c) for c in verdict.regressions],
            "improvements": [asdict(c) for c in verdict.improvements],
            "missing": [asdict(c) for c in verdict.missing],
            "new_checks": [asdict(c) for c in verdict.new],
            "values_changed": values, "shapes_changed": shapes,
            "registry": registry_changes(old_rows, new_rows)}


def registry_changes(old_rows: list[dict], new_rows: list[dict]) -> list[dict]:
    """Each registry entry touching these checks: its version specifier, whether it covers
    each version, and how many checks it matched on each side."""
    changes = []
    for entry in _registry().load():
        mine = [(rows, [r for r in rows if r["adapter"] == entry.adapter
                        and r["check"] == entry.check and entry.matches(r["adapter"],
                                                                          r["case_id"])])
                for rows in (old_rows, new_rows)]
        (_, old_hits), (_, new_hits) = mine
        if not old_hits and not new_hits:
            continue
        versions = [next((r["framework_version"] for r in hits if r["framework_version"]), "")
                    for hits in (old_hits, new_hits)]
        known = [sum(r["status"] == Status.KNOWN for r in hits) for hits in (old_hits, new_hits)]
        passing = [sum(r["status"] == Status.PASS for r in hits) for hits in (old_hits, new_hits)]
        state = ("unchanged" if known[0] == known[1] else
                 "fixed in new" if known[1] < known[0] and passing[1] > passing[0] else
                 "broken in new" if known[1] > known[0] else "changed")
        changes.append({"adapter": entry.adapter, "check": entry.check,
                        "versions": entry.versions, "evidence": entry.evidence,
                        "covers": [bool(v) and entry.affects(v) for v in versions],
                        "known": known, "pass": passing, "state": state})
    return changes


def markdown(report: dict, package: str) -> str:
    old, new = report["old"], report["new"]
    lines = [f"# Upgrade {package} {old} -> {new}", "",
             f"{report['checks']['old']} checks on {old}, {report['checks']['new']} on {new}; "
             f"{len(report['regressions'])} regressions, {len(report['improvements'])} "
             f"improvements, {len(report['values_changed'])} checks whose values moved by "
             f"more than the oracle's bound, {len(report['shapes_changed'])} shape changes.",
             ""]
    if not any(report[k] for k in ("regressions", "improvements", "values_changed",
                                   "shapes_changed", "missing")):
        lines += ["Nothing changed: every check ended the same way on both versions.", ""]
    for title, key in (("Regressions", "regressions"), ("Improvements", "improvements"),
                       ("Missing on the new version", "missing")):
        if report[key]:
            lines += [f"## {title}", ""]
            lines += [f"- `{c['check_id']}`: {c['before']} -> {c['after']}: {c['why']}"
                      for c in report[key]]
            lines.append("")
    if report["values_changed"]:
        lines += ["## Values that moved by more than the bound", ""]
        lines += [f"- `{v['check_id']}`: {v['old_bound_units']:.3g} -> "
                  f"{v['new_bound_units']:.3g} bound units ({v['old_status']} -> "
                  f"{v['new_status']})" for v in report["values_changed"]]
        lines.append("")
    if report["shapes_changed"]:
        lines += ["## Shapes", ""]
        lines += [f"- `{s['check_id']}`: {s['old']} -> {s['new']}"
                  for s in report["shapes_changed"]]
        lines.append("")
    if report["registry"]:
        lines += ["## Registry entries", "", "| entry point | versions | covers old, new | "
                  "known old, new | pass old, new | state |", "|---|---|---|---|---|---|"]
        for e in report["registry"]:
            lines.append(f"| {e['adapter']} ({e['check']}) | `{e['versions'] or 'all'}` | "
                         f"{e['covers'][0]}, {e['covers'][1]} | {e['known'][0]}, "
                         f"{e['known'][1]} | {e['pass'][0]}, {e['pass'][1]} | {e['state']} |")
        lines.append("")
    return "\n".join(lines)


def _sides(upgrade: Target, backends: list[str], versions: tuple[str, str],
           cache: Path) -> list[list[tuple[list[str], str]]]:
    """Per version, the runs that make its side: (backends, interpreter) pairs: the backends
    that share this environment in one environment with the package at that version, each
    backend with an environment of its own in its own (built here)."""
    shared = [b for b in backends if b not in upgrade.environments]
    sides = []
    for version in versions:
        runs = [(shared, environment(upgrade.package, version, cache))] if shared else []
        runs += [([b], backend_environment(b, upgrade, version, cache))
                 for b in backends if b in upgrade.environments]
        sides.append(runs)
    return sides


def main(argv: list[str] | None = None) -> int:
    from tconv.reports.usage import Parser, UsageError

    parser = Parser(prog="tconv upgrade", description=__doc__.split("\n\n")[0])
    parser.add_argument("package", choices=sorted(names()))
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--cache", type=Path, default=HOME / ".tconv-venvs")
    parser.add_argument("--adapters", default="",
                        help="comma-separated entry points, of those the package affects")
    args, pytest_args = parser.parse_known_args(argv)
    upgrade = target(args.package)
    out = args.out or HOME / "reports" / "upgrades" / f"{args.package}-{args.old}-{args.new}"
    entry_points = [e for e in upgrade.entry_points
                    if not args.adapters or e in args.adapters.split(",")]
    if not entry_points:
        raise UsageError(f"--adapters: none of {args.adapters} is an entry point that "
                         f"{upgrade.package} affects ({', '.join(upgrade.entry_points)})")
    backends = [b for b in upgrade.backends if adapters.installed(b)
                and any(adapters.backend(e) == b for e in entry_points)]
    try:
        sides = _sides(upgrade, backends, (args.old, args.new), args.cache)
    except UpgradeError as error:
        raise UsageError(str(error)) from None
    out.mkdir(parents=True, exist_ok=True)
    runs = []
    (out / "runs").mkdir(exist_ok=True)
    for version, side in zip((args.old, args.new), sides):
        path = out / "runs" / f"{version}.jsonl"
        path.unlink(missing_ok=True)
        for names_, python in side:
            mine = [e for e in entry_points if adapters.backend(e) in names_]
            # a backend's own environment imports tconv from TCONV_SOURCE (its start-up
            # hook: adapters.environments); the workers inherit it from this run
            variables = {k: v for b in names_ if b in upgrade.environments
                         for k, v in environments.worker_environment(b).items()}
            subprocess.call([sys.executable, "-m", "pytest", *SUITE, "-q",
                             "--backends", ",".join(names_), "--adapters", ",".join(mine),
                             "--python", python, "--results", str(path), *pytest_args],
                            stdout=subprocess.DEVNULL, env={**os.environ, **variables})
        rows, _ = results.read([path])
        if not rows:
            raise UsageError(f"the run on {args.package} {version} wrote no results ({path})")
        runs.append(rows)
    report = compare(runs[0], runs[1], args.old, args.new)
    report["package"], report["backends"] = upgrade.package, backends
    report["entry_points"] = entry_points
    (out / "upgrade.json").write_text(json.dumps(report, indent=1, sort_keys=True) + "\n")
    (out / "upgrade.md").write_text(markdown(report, upgrade.package))
    print(f"tconv upgrade: {upgrade.package} {args.old} -> {args.new}: "
          f"{len(report['regressions'])} regressions, {len(report['improvements'])} "
          f"improvements -> {out}/upgrade.md")
    return 1 if report["regressions"] else 0
