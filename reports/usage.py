"""Wrong usage of the command line: one line and exit status 2. Its own module, so that every
command (and ``python -m tconv.reports.cli``, which runs the CLI as ``__main__``) raises and
catches the same class."""

from __future__ import annotations

import argparse


class UsageError(Exception):
    """Wrong usage: the message is the one line printed before exit status 2."""


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (``tconv <command>: <problem>``), no usage
    block, and no exit from inside the parser."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")
