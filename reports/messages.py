"""A framework's message as the generated documents quote it: without what depends on the run
(MLIR's source locations, the traced function's name) or on the machine (where the checkout and
the environments lie), so that a document generated twice, here or elsewhere, reads the same."""

from __future__ import annotations

import re
from pathlib import Path

# The checkout whose source the workers run (an environment's worker too: it imports the
# controller's source, adapters.environments), so a traced file's path starts with it.
ROOT = Path(__file__).resolve().parents[1]

# MLIR's diagnostics (TensorFlow's and LiteRT's converters) name source locations and the traced
# function (``loc(fused["StatefulPartitionedCall_3:", ...])``, ``<string>:1:1``), which depend on
# what the worker traced before, and the absolute path and line of the Python source that was
# traced (``/home/.../adapters/pytorch.py:372:0``, ``.../envs/<hash>/.../site-packages/torch/...``),
# which depend on where the checkout and the environments lie: a document generated twice, here
# or on another machine, must read the same.
_LOCATIONS = ((re.compile(r"loc\((?:[^()]|\([^()]*\))*\)"), "loc(...)"),
              (re.compile(r"<(string|unknown)>(?::\d+)+"), r"<\1>"),
              (re.compile(r"StatefulPartitionedCall(?:_\d+)?"), "StatefulPartitionedCall"),
              (re.compile(r"(?:/[^\s/:'\"]+)*/site-packages/"), "site-packages/"),
              (re.compile(re.escape(f"{ROOT}/")), ""),
              (re.compile(r"(\.py)(?::\d+)+"), r"\1"),
              # the notes after an MLIR error are its call stack: locations only
              (re.compile(r"\s*<(?:string|unknown)>: note\b.*\Z", re.S), ""))


def without_locations(text: str) -> str:
    """A framework's message with source locations and paths left out (``_LOCATIONS``)."""
    for pattern, replacement in _LOCATIONS:
        text = pattern.sub(replacement, text)
    return text
