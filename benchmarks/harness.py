"""The harness's cost against the floor the frameworks set, measured in one run.

    python benchmarks/harness.py [--profile quick] [--workers 1 2] [--repeat-warm]

For each worker count it runs ``tconv run --profile P -n N`` into a temporary directory and
prints, from the run's own results (``timing`` of each check) and a sampler of the process tree:

- wall: the run's wall time;
- floor: the sum over checks of the time inside the framework calls (``framework_s``: the
  framework's import and first-call compilation included, as the worker measured them) plus
  the oracle's time judging them (``oracle_s``); the target is wall <= 1.25 x floor / workers;
- the remainder, broken down: transfers and IPC (round trip minus framework time), case
  generation and planning (timed here in-process), report writing (timed here), and the rest
  (pytest, collection, worker start-up);
- memory, read from /proc every 0.5 s while the run goes: the whole process tree's at its
  peak (the Pss of every process summed at one instant: shared library pages counted once;
  the Rss sum beside it) with each backend's share at that instant, each backend's own peak,
  and the largest single processes (VmHWM);
- with ``--repeat-warm``, a second run of the first worker count with the same caches (the
  frameworks' persistent compilation caches, which each adapter declares for its backends,
  in a fresh directory for the first run) against the first.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tconv.adapters.workers import PIDS_FILE  # noqa: E402  (after the path)


def _tree(pid: int) -> list[int]:
    children = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return [pid] + [p for c in children for p in _tree(c)]


def _label(pid: int) -> str:
    """A process not named in the workers' pid file: its command line; an execnet bootstrap
    (it reads its code from stdin) is an xdist worker, since framework workers name
    themselves."""
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return "gone"
    return "xdist worker (execnet)" if "exec(eval(sys.stdin.readline()))" in cmd else cmd[:80]


def _memory_kib(pid: int) -> tuple[int, int, int]:
    """(Rss, Pss, VmHWM) of a process in KiB; Pss shares each page among the processes that
    map it (the libraries every framework worker loads), so the tree's Pss adds up to the
    memory the run really holds, where its Rss counts shared pages once per process."""
    rss = pss = hwm = 0
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Rss:"):
                rss = int(line.split()[1])
            elif line.startswith("Pss:"):
                pss = int(line.split()[1])
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return rss, pss, hwm


class Sampler(threading.Thread):
    """The memory of a process tree, sampled every 0.5 s: each process' peak (VmHWM), and the
    whole tree's at its peak (the sum of every process' Pss and Rss at one instant), with the
    share of each backend's framework workers (named by the workers themselves in
    ``adapters.workers.PIDS_FILE``) at that instant and at their own peak."""

    def __init__(self, pid: int, pids_file: Path) -> None:
        super().__init__(daemon=True)
        self.pid, self.pids_file, self.stop = pid, pids_file, threading.Event()
        self.peaks, self.labels = {}, {}
        self.total_pss = self.total_rss = 0          # KiB, the tree at its Pss peak
        self.at_peak: dict[str, int] = {}            # label -> Pss KiB at that instant
        self.label_peaks: dict[str, int] = {}        # label -> its own peak Pss KiB

    def _backends(self) -> dict[int, str]:
        return dict(_announced(self.pids_file))

    def run(self) -> None:
        while not self.stop.is_set():
            backends, pss, rss, by_label = self._backends(), 0, 0, {}
            for pid in _tree(self.pid):
                r, p, hwm = _memory_kib(pid)
                if not r:
                    continue
                if pid not in self.labels or pid in backends:
                    self.labels[pid] = (f"{backends[pid]} worker" if pid in backends
                                        else _label(pid))
                self.peaks[pid] = max(self.peaks.get(pid, 0), hwm)
                pss, rss = pss + p, rss + r
                label = self.labels[pid]
                by_label[label] = by_label.get(label, 0) + p
            for label, kib in by_label.items():
                self.label_peaks[label] = max(self.label_peaks.get(label, 0), kib)
            if pss > self.total_pss:
                self.total_pss, self.total_rss, self.at_peak = pss, rss, by_label
            time.sleep(0.5)


def run(profile: str, workers: int, out: Path, env: dict, select: list[str]) -> dict:
    pids_file = out.with_name(out.name + ".pids")
    env = {**env, PIDS_FILE: str(pids_file)}
    start = time.perf_counter()
    job = subprocess.Popen([sys.executable, "-m", "tconv.reports.cli", "run", "--out", str(out),
                            "--profile", profile, "-n", str(workers), "-p", "no:cacheprovider",
                            "-q", *select], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    sampler = Sampler(job.pid, pids_file)
    sampler.start()
    job.wait()
    wall = time.perf_counter() - start
    sampler.stop.set()
    sampler.join()
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    timed = [r["timing"] for r in rows if r.get("timing")]
    framework = sum(t["framework_s"] for t in timed)
    oracle = sum(t["oracle_s"] for t in timed)
    ipc = sum(t["round_trip_s"] - t["framework_s"] for t in timed)
    per_backend: dict[str, float] = {}
    for r in rows:
        if r.get("timing"):
            per_backend[r["backend"]] = (per_backend.get(r["backend"], 0.0)
                                         + r["timing"]["framework_s"])
    return {"workers": workers, "wall_s": wall, "checks": len(rows),
            "framework_s": framework, "oracle_s": oracle, "ipc_s": ipc,
            "floor_s": framework + oracle, "backend_framework_s": per_backend,
            "rss_mib": sorted(((v / 1024, sampler.labels[p]) for p, v in sampler.peaks.items()),
                              reverse=True),
            "tree_pss_mib": sampler.total_pss / 1024, "tree_rss_mib": sampler.total_rss / 1024,
            "at_peak_mib": sorted(((v / 1024, k) for k, v in sampler.at_peak.items()),
                                  reverse=True),
            "label_peak_mib": sorted(((v / 1024, k) for k, v in sampler.label_peaks.items()),
                                     reverse=True),
            "processes": len(sampler.peaks),
            "worker_starts": _starts(pids_file)}


def _announced(pids_file: Path) -> list[tuple[int, str]]:
    """(process id, backend) of each framework worker started so far, one line per start."""
    try:
        lines = pids_file.read_text().splitlines()
    except OSError:
        return []
    return [(int(pid), name) for pid, name in (line.split(" ", 1) for line in lines)]


def _starts(pids_file: Path) -> dict[str, int]:
    """How many times each backend's framework worker was started."""
    starts: dict[str, int] = {}
    for _, name in _announced(pids_file):
        starts[name] = starts.get(name, 0) + 1
    return starts


def planning_seconds(profile: str) -> float:
    """Case generation and planning of every check, as the controller does them."""
    from tconv import adapters
    from tconv.cases.families import profile as cases

    start = time.perf_counter()
    chosen = cases(profile)
    for name in adapters.REGISTRY:
        adapter = adapters.load(name)
        for case in chosen:
            try:
                adapter.plan(case)
            except Exception:  # unsupported: planning still cost its time
                pass
            case.arrays()
    return time.perf_counter() - start


def report_seconds(out: Path) -> float:
    from tconv.reports import build

    start = time.perf_counter()
    build.write([out / "results.jsonl"], out / "rebuilt", ["benchmark"])
    return time.perf_counter() - start


def _framework_growth(runs: list[dict]) -> None:
    """Where the floor grows from -n 1 to -n 2: each backend's framework seconds in both runs
    (the last run of each count, so warm where there is one), largest growth first. Under
    -n 2 each framework worker computes with one core of two, under -n 1 with both."""
    last = {r["workers"]: r for r in runs}
    if 1 not in last or 2 not in last:
        return
    one, two = last[1]["backend_framework_s"], last[2]["backend_framework_s"]
    grown = sorted(set(one) | set(two), key=lambda b: one.get(b, 0.0) - two.get(b, 0.0))
    total = sum(two.values()) - sum(one.values())
    print(f"framework seconds, -n 2 against -n 1: {sum(two.values()):.1f} against "
          f"{sum(one.values()):.1f} ({total:+.1f} s); per backend, largest growth first:")
    for b in grown[:12]:
        a, c = one.get(b, 0.0), two.get(b, 0.0)
        print(f"    {b:28s} {c:8.1f} s against {a:8.1f} s ({c - a:+7.1f} s, "
              f"{c / a if a else float('inf'):.2f}x)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default="quick")
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 1])
    parser.add_argument("--repeat-warm", action="store_true")
    parser.add_argument("--adapters", help="only these entry points (comma-separated), as "
                        "tconv run takes them: a check of the harness itself")
    parser.add_argument("--marks", help="only the checks of this pytest mark expression (e.g. "
                        "family_zoo: the profile's largest layers, for its memory)")
    parser.add_argument("--cache-dir", help="the compilation caches' folder, kept (by default "
                        "a fresh one, removed): an earlier run's, for warm runs only")
    parser.add_argument("--keyword", help="only the checks whose ids match this pytest -k "
                        "expression (e.g. the largest layers by name)")
    args = parser.parse_args(argv)
    select = (["--adapters", args.adapters] if args.adapters else []) + \
        (["-m", args.marks] if args.marks else []) + (["-k", args.keyword] if args.keyword else [])
    with tempfile.TemporaryDirectory() as tmp:
        # The frameworks' compilation caches (declared per backend by the adapters) start
        # empty here: the first run is cold, the --repeat-warm one finds what it left.
        env = {**os.environ, "TCONV_CACHE_DIR": args.cache_dir or str(Path(tmp) / "cache")}
        runs = []
        for i, n in enumerate(args.workers):
            runs.append(run(args.profile, n, Path(tmp) / f"n{n}", env, select))
            if args.repeat_warm and i == 0:   # the caches are warm for the later counts anyway
                runs.append({**run(args.profile, n, Path(tmp) / f"n{n}-warm", env, select),
                             "warm": True})
        plan = planning_seconds(args.profile)
        write = report_seconds(Path(tmp) / f"n{args.workers[0]}")
    for r in runs:
        target = 1.25 * r["floor_s"] / r["workers"]
        rest = r["wall_s"] - r["floor_s"] / r["workers"] - r["ipc_s"] / r["workers"]
        print(f"-n {r['workers']}{' (warm)' if r.get('warm') else ''}: {r['checks']} checks, "
              f"wall {r['wall_s']:.1f} s; floor {r['floor_s']:.1f} s (framework "
              f"{r['framework_s']:.1f} + oracle {r['oracle_s']:.1f}); floor/workers "
              f"{r['floor_s'] / r['workers']:.1f} s; wall / (floor/workers) "
              f"{r['wall_s'] / (r['floor_s'] / r['workers']):.2f} (target <= 1.25, i.e. "
              f"{target:.1f} s); IPC {r['ipc_s']:.1f} s; the rest {rest:.1f} s")
        print(f"    whole run at its peak: {r['tree_pss_mib']:,.0f} MiB Pss ("
              f"{r['tree_rss_mib']:,.0f} MiB Rss summed) over {r['processes']} processes "
              f"started in all (target <= 12 GiB = 12,288 MiB)")
        starts = r["worker_starts"]
        again = ", ".join(f"{name} {n}" for name, n in sorted(starts.items(),
                                                                key=lambda kv: -kv[1]) if n > 1)
        print(f"    framework workers started: {sum(starts.values())} for {len(starts)} "
              f"backends (more than once: {again or 'none'})")
        for mib, label in r["at_peak_mib"]:
            print(f"      at that instant {mib:8.0f} MiB Pss  {label}")
        workers = [(mib, label) for mib, label in r["label_peak_mib"] if "worker" in label]
        for mib, label in workers:
            print(f"    own peak (Pss, its processes together) {mib:8.0f} MiB  {label}")
        others = max((mib for mib, label in r["label_peak_mib"] if "worker" not in label),
                     default=0)
        print(f"    any other process (pytest, the controller, compilers) at most {others:.0f} MiB")
        for mib, label in r["rss_mib"][:8]:
            print(f"    largest process (VmHWM) {mib:8.0f} MiB  {label}")
    print(f"case generation and planning (in-process, once): {plan:.1f} s; "
          f"report writing: {write:.1f} s")
    # Like with like: a later worker count finds the caches the first one left, so it is
    # compared with the first count's warm run where there is one.
    by_n = {r["workers"]: r["wall_s"] for r in runs if not r.get("warm")}
    warm_first = [r for r in runs if r.get("warm")]
    if warm_first:
        by_n[warm_first[0]["workers"]] = warm_first[0]["wall_s"]
    if 1 in by_n and 2 in by_n:
        print(f"scaling -n 2 vs -n 1 ({'warm caches' if warm_first else 'as run'}): "
              f"{by_n[1] / by_n[2]:.2f}x (target >= 1.7)")
    _framework_growth(runs)
    cold = [r for r in runs if not r.get("warm")]
    warm = [r for r in runs if r.get("warm")]
    for c, w in zip(cold, warm):
        print(f"warm / cold (-n {c['workers']}): {w['wall_s'] / c['wall_s']:.2f} (target <= 0.5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
