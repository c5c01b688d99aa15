"""Past one machine: xdist gateways with their own working directories (``popen//chdir=``,
the code path ``ssh=HOST//python=...`` takes) run the suite by its package name, the
controller writes the results once, and the checks are those of an ``-n 2`` run. (With such
gateways xdist copies its rsync roots and refuses any separate argument that names an existing
file outside them, the results file included; ``tconv run`` passes its files as
``--option=value``.)"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHECKS = ["--adapters", "onnx.reference,torch.functional", "--profile", "quick",
          "-m", "family_literature or family_edge"]


def _run(tmp_path: Path, name: str, *distribution: str) -> dict[str, dict]:
    out = tmp_path / name
    run = subprocess.run([sys.executable, "-m", "tconv.reports.cli", "run", "--out", str(out),
                          *CHECKS, "-q", *distribution],
                         capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert run.returncode in (0, 1), run.stdout[-2000:] + run.stderr[-2000:]
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert len(rows) == len({r["check_id"] for r in rows})      # each check written once
    return {r["check_id"]: r for r in rows}


def test_two_hosts_give_the_checks_of_two_local_workers(tmp_path) -> None:
    hosts = [tmp_path / "host1", tmp_path / "host2"]
    for host in hosts:
        host.mkdir()
    remote = _run(tmp_path, "hosts", "--dist", "load",
                  *(f"--tx=popen//chdir={host}//python={sys.executable}" for host in hosts))
    local = _run(tmp_path, "local", "-n", "2")
    assert len(remote) > 50 and remote.keys() == local.keys()
    keep = ("status", "observed", "actual_shape", "expected_shape")
    assert {i: [r[k] for k in keep] for i, r in remote.items()} == \
        {i: [r[k] for k in keep] for i, r in local.items()}
    # only pytest itself went to the hosts (xdist's own roots); tconv is imported there by name
    assert all({p.name for p in host.iterdir()} <= {"pytest", "_pytest"} for host in hosts)
