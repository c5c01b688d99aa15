"""The frameworks' own log files: what a framework worker writes to its stdout and stderr
(TensorFlow's, XLA's and onnxruntime's C++ logging included) goes to ``<dir>/<backend>.log``
when ``TCONV_LOG_DIR`` names a folder (``tconv run`` sets it to ``OUT/logs``), never to the
terminal; unset, a worker writes where its parent does, as before.

This is the controller's side: which file a backend's workers append to, and the last lines a
worker wrote there before it died (for the ``crash`` detail). The redirection itself happens
in the worker (``remote.redirect_output``), at the file-descriptor level.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

LOG_DIR = "TCONV_LOG_DIR"      # the folder, set by tconv run; read by the controller
LOG_FILE = "TCONV_LOG_FILE"    # one worker's file, in that worker's environment
# The line a worker writes first (remote.redirect_output): several processes append to one
# file (restarts, xdist workers, the CPU and CUDA workers), so each says when it began.
MARKER = "--- tconv worker"

# How much of a dying worker's output a crash detail carries: its detail is one line in
# results.jsonl and the reports, so a few lines, each cut short.
TAIL_LINES = 5
TAIL_WIDTH = 200
_TAIL_BYTES = 64 * 1024
_CONTROL = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|[\x00-\x1f\x7f]")
# A native stack trace's frames and banners (absl's and glog's "@ 0x7f.. symbol", "*** Check
# failure stack trace: ***"): addresses, not words; the message they follow is what to show.
_FRAME = re.compile(r"^(PC: )?@\s+0x[0-9a-fA-F]+|^\*\*\* .* \*\*\*$")
# How a crash detail quotes the output (quote), and finds the quote again (unquote).
_QUOTE = "; last lines of {name} during the call: "
_QUOTED = re.compile(r"; last lines of (\S+) during the call: .*")


def folder() -> Path | None:
    """The log folder of this run, or None (no log files: today's behaviour)."""
    value = os.environ.get(LOG_DIR, "")
    return Path(value) if value else None


def path(backend: str) -> Path | None:
    """The log file of ``backend``'s workers (its folder created), or None."""
    where = folder()
    if where is None:
        return None
    where.mkdir(parents=True, exist_ok=True)
    return where / f"{backend}.log"


def clear() -> None:
    """Remove the log files an earlier run left in this run's folder (a fresh run's logs are
    its own, as its results file is)."""
    where = folder()
    if where is not None and where.is_dir():
        for old in where.glob("*.log"):
            old.unlink(missing_ok=True)


def size(log: Path | None) -> int:
    """Where the next write to ``log`` lands: a call's own output starts there."""
    try:
        return log.stat().st_size if log is not None else 0
    except FileNotFoundError:
        return 0


def tail(log: Path | None, offset: int = 0, lines: int = TAIL_LINES,
         width: int = TAIL_WIDTH) -> list[str]:
    """The last ``lines`` non-blank lines written to ``log`` from ``offset`` on, each stripped
    of terminal escapes and control characters and cut to ``width`` characters; the workers'
    own start lines left out. Other processes appending to the same file in that time may
    contribute lines (nothing tells C++ logging apart by process)."""
    if log is None:
        return []
    try:
        with open(log, "rb") as file:
            end = file.seek(0, os.SEEK_END)
            file.seek(max(offset, end - _TAIL_BYTES, 0))
            data = file.read()
    except FileNotFoundError:
        return []
    kept = []
    for raw in data.decode("utf-8", "replace").splitlines():
        line = _CONTROL.sub("", raw.replace("\t", " ")).strip()
        if line and not line.startswith(MARKER) and not _FRAME.match(line):
            kept.append(line if len(line) <= width else line[:width - 3] + "...")
    return kept[-lines:]


def quote(log: Path, lines: list[str]) -> str:
    """The end of a crash detail: the lines ``tail`` read from ``log``, on one line."""
    if not lines:
        return f"; no output in {log.name} during the call"
    return _QUOTE.format(name=log.name) + " | ".join(lines)


def unquote(text: str) -> str:
    """``text`` with the framework's quoted output replaced by a placeholder: that output is
    the framework's own words, with its timestamps, thread ids, addresses (XLA even varies
    its debug strings on purpose), so two runs that behaved alike differ there. Reports and
    merges compare checks without it (``results.comparable``)."""
    return _QUOTED.sub(r"; last lines of \1 during the call: (not compared)", text)
