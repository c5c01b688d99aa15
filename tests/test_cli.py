"""``tconv``: wrong usage is one line on stderr, exit status 2, no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def tconv(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tconv.reports.cli", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("args, words", [
    ((), "a command is needed"),
    (("frobnicate",), "unknown command 'frobnicate'"),
    (("report",), "the following arguments are required: results"),
    (("report", "nope.jsonl"), "no such results file: nope.jsonl"),
    (("report", "x.jsonl", "--bogus"), "unrecognized arguments: --bogus"),
    (("gate", "--current", "x.jsonl"), "--baseline"),
    (("gate", "--baseline", "nope.jsonl", "--current", "nope.jsonl"), "nope.jsonl"),
    (("merge", "nope.jsonl", "--out", "x"), "nope.jsonl"),
    (("baseline", "nope.jsonl", "--out", "x"), "no such results file"),
    (("run", "--cases", "nope.toml"), "nope.toml"),
])
def test_wrong_usage(args, words) -> None:
    run = tconv(*args)
    assert run.returncode == 2, (run.stdout, run.stderr)
    assert run.stderr.count("\n") == 1 and words in run.stderr, run.stderr
    assert "Traceback" not in run.stderr + run.stdout


def test_bad_case_file_names_file_case_and_field(tmp_path) -> None:
    cases = tmp_path / "layers.toml"
    cases.write_text('[[cases]]\nname = "up1"\nbatch = 1\nin_channels = 4\nout_channels = 2\n'
                     'input_size = [4]\nkernel = 3\nstride = -2\n')
    run = tconv("run", "--cases", str(cases), "--out", str(tmp_path / "out"))
    assert run.returncode == 2 and run.stderr.count("\n") == 1, run.stderr
    assert str(cases) in run.stderr and "up1" in run.stderr and "stride" in run.stderr
    assert not (tmp_path / "out").exists()     # refused before anything ran


def test_help() -> None:
    run = tconv("--help")
    assert run.returncode == 0 and "tconv gate --baseline" in run.stdout


def test_run_help_lists_the_conformance_options() -> None:
    run = tconv("run", "--help")
    assert run.returncode == 0, run.stderr
    for option in ("--profile", "--backends", "--adapters", "--dtypes", "--devices",
                   "--check-timeout", "--cases", "--known", "--memory-cap", "--python",
                   "--out", "--cross"):
        assert option in run.stdout, option


@pytest.mark.parametrize("args, words", [
    (("--profile", "no-such-profile"), "--profile: unknown no-such-profile"),
    (("--backends", "caffe"), "--backends: unknown caffe"),
    (("--devices", "tpu"), "--devices: unknown tpu"),
    (("--check-timeout", "0"), "--check-timeout: must be a positive number"),
    (("--known", "no-such-registry.toml"), "no-such-registry.toml"),
    (("--python", "/no/such/python"), "--python: no such interpreter"),
    (("--no-such-pytest-option",), "no-such-pytest-option"),
])
def test_a_rejected_run_loses_nothing(tmp_path, args, words) -> None:
    """Every option is checked before the output folder is touched: an earlier run's results
    stay as they were, and the refusal is one line with exit status 2."""
    out = tmp_path / "out"
    out.mkdir()
    earlier = '{"check_id": "an::earlier::forward::cpu", "status": "pass"}\n'
    (out / "results.jsonl").write_text(earlier)
    run = tconv("run", "--out", str(out), *args)
    assert run.returncode == 2, (run.stdout[-2000:], run.stderr[-2000:])
    assert words in run.stderr and "Traceback" not in run.stdout + run.stderr
    assert (out / "results.jsonl").read_text() == earlier
    assert sorted(p.name for p in out.iterdir()) == ["results.jsonl"]
    if args[0] != "--no-such-pytest-option":   # pytest's own usage message is its own
        assert run.stderr.count("\n") == 1, run.stderr


@pytest.mark.parametrize(("args", "added"), [
    (["-n", "2"], True), (["-n2"], True), (["-nauto", "-q"], True), (["--numprocesses=2"], True),
    (["--tx", "popen//chdir=/tmp/a"], True), (["-q"], False), ([], False),
    (["--no-header"], False), (["-n", "2", "--dist", "load"], False),
    (["-n", "2", "--dist=loadscope"], False)])
def test_a_spread_run_is_scheduled_by_backend_unless_told(args, added) -> None:
    from tconv.reports.cli import distribution

    assert distribution(args) == (["--dist", "loadgroup"] if added else [])
