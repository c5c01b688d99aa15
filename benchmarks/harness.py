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
- peak RSS per process of the tree (each framework worker, the controller, the xdist workers),
  read from /proc while the run goes;
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


def _tree(pid: int) -> list[int]:
    children = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return [pid] + [p for c in children for p in _tree(c)]


def _label(pid: int) -> str:
    """The process's command line; a framework worker (execnet's bootstrap reads its code from
    stdin) by the Keras backend or the JAX/TF settings its environment carries."""
    try:
        env = dict(item.split("=", 1) for item in Path(f"/proc/{pid}/environ").read_bytes()
                   .decode(errors="replace").split("\0") if "=" in item)
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return "gone"
    if "exec(eval(sys.stdin.readline()))" not in cmd:
        return cmd[:80]
    marks = [f"{k}={env[k]}" for k in ("KERAS_BACKEND", "JAX_ENABLE_X64", "TF_CPP_MIN_LOG_LEVEL")
             if k in env]
    # execnet sets the worker's environment after the start, so /proc/PID/environ may not
    # show it: the framework libraries the process has mapped tell which backend it is.
    try:
        maps = Path(f"/proc/{pid}/maps").read_text(errors="replace")
    except OSError:
        maps = ""
    libraries = [name for name, library in FRAMEWORK_LIBRARIES if library in maps]
    return ("framework worker (execnet)" + (f" {' '.join(marks)}" if marks else "")
            + (f" [{'+'.join(libraries)}]" if libraries else ""))


FRAMEWORK_LIBRARIES = (("keras", "/keras/"), ("torch", "libtorch_cpu"),
                       ("tensorflow", "libtensorflow_framework"), ("jax", "jaxlib"),
                       ("onnxruntime", "onnxruntime_pybind11_state"), ("onnx", "onnx_cpp2py"))


class Sampler(threading.Thread):
    """Peak resident set size (VmHWM) of every process of a tree, sampled every 0.2 s."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peaks, self.labels, self.stop = pid, {}, {}, threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            for pid in _tree(self.pid):
                try:
                    status = Path(f"/proc/{pid}/status").read_text()
                except OSError:
                    continue
                for line in status.splitlines():
                    if line.startswith("VmHWM:"):
                        kib = int(line.split()[1])
                        if kib > self.peaks.get(pid, 0):
                            self.peaks[pid] = kib
                            if "[" not in self.labels.get(pid, ""):   # until its framework shows
                                self.labels[pid] = _label(pid)
            time.sleep(0.2)


def run(profile: str, workers: int, out: Path, env: dict) -> dict:
    start = time.perf_counter()
    job = subprocess.Popen([sys.executable, "-m", "tconv.reports.cli", "run", "--out", str(out),
                            "--profile", profile, "-n", str(workers), "-p", "no:cacheprovider",
                            "-q"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    sampler = Sampler(job.pid)
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
    return {"workers": workers, "wall_s": wall, "checks": len(rows),
            "framework_s": framework, "oracle_s": oracle, "ipc_s": ipc,
            "floor_s": framework + oracle,
            "rss_mib": sorted(((v / 1024, sampler.labels[p]) for p, v in sampler.peaks.items()),
                              reverse=True)}


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default="quick")
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 1])
    parser.add_argument("--repeat-warm", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        # The frameworks' compilation caches (declared per backend by the adapters) start
        # empty here: the first run is cold, the --repeat-warm one finds what it left.
        env = {**os.environ, "TCONV_CACHE_DIR": str(Path(tmp) / "cache")}
        runs = []
        for i, n in enumerate(args.workers):
            runs.append(run(args.profile, n, Path(tmp) / f"n{n}", env))
            if args.repeat_warm and i == 0:   # the caches are warm for the later counts anyway
                runs.append({**run(args.profile, n, Path(tmp) / f"n{n}-warm", env),
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
        for mib, label in r["rss_mib"][:12]:
            print(f"    peak RSS {mib:8.0f} MiB  {label}")
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
    cold = [r for r in runs if not r.get("warm")]
    warm = [r for r in runs if r.get("warm")]
    for c, w in zip(cold, warm):
        print(f"warm / cold (-n {c['workers']}): {w['wall_s'] / c['wall_s']:.2f} (target <= 0.5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
