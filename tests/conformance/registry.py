"""The registry of known discrepancies (``known_issues.toml``).

An entry matches checks by case id (``case``: shell-style patterns; a match becomes a strict
xfail, so the status must be the registered one). An entry may also state its rule as a
predicate over the case's fields (``where``, see ``fields``): a failing check of a case no id
matches (a user's case file, the exploration of the full profile) is explained by an entry
whose predicate holds and whose status is the one observed. A predicate never demands a
failure; it only explains one, and it must hold for every case the entry lists
(``tests/conformance/test_registry.py``).
"""

from __future__ import annotations

import fnmatch
import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from adapters.devices import DEVICES
from cases.case import Case, OutputShape

PATH = Path(__file__).with_name("known_issues.toml")
FIELDS = {"adapter", "case", "status", "versions", "evidence"}
# check: "forward" (the default) or "gradients"; devices: the check devices it concerns
# (adapters.devices; default: all); where: the rule as a predicate over the case's fields.
OPTIONAL = {"check", "devices", "where"}

# What a predicate may call: nothing with side effects.
PREDICATE_BUILTINS = {"any": any, "all": all, "zip": zip, "len": len, "min": min, "max": max,
                      "sum": sum, "range": range}


def fields(case: Case) -> dict:
    """The names a ``where`` predicate reads: the case's fields in the oracle's words, with the
    padding split into ``mode`` ("explicit", "SAME", "VALID" or "output_shape"), ``pads``
    (the explicit ``(begin, end)`` pairs, else empty) and ``output_shape`` (else empty)."""
    padding = case.padding
    mode = (padding if isinstance(padding, str) else
            "output_shape" if isinstance(padding, OutputShape) else "explicit")
    return {"dims": case.dims, "batch": case.batch, "in_channels": case.in_channels,
            "out_channels": case.out_channels, "groups": case.groups,
            "input_size": case.input_size, "kernel": case.kernel, "stride": case.stride,
            "dilation": case.dilation, "mode": mode,
            "pads": padding if mode == "explicit" else (),
            "output_shape": padding.size if mode == "output_shape" else (),
            "output_padding": case.output_padding, "bias": case.bias, "dtype": case.dtype,
            "layout": case.layout, "family": case.family}


@dataclass(frozen=True)
class Known:
    adapter: str
    case: str | tuple[str, ...]   # one shell-style pattern over case ids, or several
    status: str
    versions: str
    evidence: str
    check: str = "forward"
    devices: tuple[str, ...] = ()
    where: str = ""

    @property
    def patterns(self) -> tuple[str, ...]:
        return (self.case,) if isinstance(self.case, str) else self.case

    def concerns(self, adapter: str, device: str) -> bool:
        """Whether the entry is about this entry point on this check device."""
        return self.adapter == adapter and (not self.devices or device in self.devices)

    def matches(self, adapter: str, case_id: str, device: str = "cpu") -> bool:
        return self.concerns(adapter, device) and any(
            fnmatch.fnmatchcase(case_id, pattern) for pattern in self.patterns)

    def holds(self, case: Case) -> bool:
        """Whether the entry's predicate holds for ``case`` (False without one)."""
        if not self.where:
            return False
        # The case's fields are globals so that generator expressions see them too.
        return bool(eval(_compiled(self.where), {"__builtins__": PREDICATE_BUILTINS,  # noqa: S307
                                                 **fields(case)}))

    def explains(self, adapter: str, case: Case, device: str, status: str) -> bool:
        """Whether this entry explains a ``status`` observed on ``case`` by its predicate."""
        return self.status == status and self.concerns(adapter, device) and self.holds(case)

    def affects(self, version: str) -> bool:
        return not self.versions or Version(version.split("+")[0]) in SpecifierSet(self.versions)


@functools.cache
def _compiled(where: str):
    return compile(where, "<known_issues.toml where>", "eval")


def find(known: list[Known], check: str, adapter: str, case: Case, device: str, status: str,
         version: str) -> Known | None:
    """The entry that expects this check: the first whose ids match the case, else (for a
    failing ``status``) the first whose predicate explains it; None when nothing does."""
    entries = [e for e in known if e.check == check and e.adapter == adapter]
    by_id = next((e for e in entries if e.matches(adapter, case.id, device)
                  and e.affects(version)), None)
    if by_id is not None or status in ("pass", "unsupported"):
        return by_id
    return next((e for e in entries if e.explains(adapter, case, device, status)
                 and e.affects(version)), None)


def load(path: Path = PATH) -> list[Known]:
    entries = tomllib.loads(path.read_text()).get("issue", [])
    known = []
    for number, entry in enumerate(entries, 1):
        if not FIELDS <= set(entry) <= FIELDS | OPTIONAL:
            raise ValueError(f"{path}: issue {number}: fields must be {sorted(FIELDS)} (and "
                             f"optionally {sorted(OPTIONAL)}), got {sorted(entry)}")
        if isinstance(entry["case"], list):
            entry = {**entry, "case": tuple(entry["case"])}
        if "devices" in entry:
            unknown = set(entry["devices"]) - set(DEVICES)
            if unknown:
                raise ValueError(f"{path}: issue {number}: unknown devices {sorted(unknown)}; "
                                 f"choose from {list(DEVICES)}")
            entry = {**entry, "devices": tuple(entry["devices"])}
        if "where" in entry:
            try:
                _compiled(entry["where"])
            except SyntaxError as error:
                raise ValueError(f"{path}: issue {number}: where: {error.msg}") from None
        known.append(Known(**entry))
    return known
