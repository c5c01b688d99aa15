"""The registry of known discrepancies: the project's ``known_issues.toml``, plus the files a
run names with ``--known FILE`` (the same format: a platform team's own accepted
discrepancies). Every entry remembers the file it came from (``source``).

An entry matches checks by case id (``case``: shell-style patterns; a match becomes a strict
xfail, so the status must be the registered one). An entry may also state its rule as a
predicate over the case's fields (``where``, see ``fields``): a failing check of a case no id
matches (a user's case file, the exploration of the full profile) is explained by an entry
whose predicate holds and whose status is the one observed. A predicate never demands a
failure; it only explains one, and it must hold for every case the entry lists
(the project's ``test_registry.py``). Predicates are read by ``predicate`` (a small
expression language evaluated without ``eval``: a ``--known`` file comes from outside).
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from tconv import adapters
from tconv.adapters.devices import DEVICES
from tconv.cases.case import Case, OutputShape
from tconv.conformance import predicate
from tconv.conformance.status import CLEAN, FAILING, Status

PATH = Path(__file__).with_name("known_issues.toml")
# How reports name the project's own file (an installed copy lives elsewhere).
PROJECT = "known_issues.toml"
FIELDS = {"adapter", "case", "status", "versions", "evidence"}
# check: "forward" (the default) or "gradients"; devices: the check devices it concerns
# (adapters.devices; default: all); where: the rule as a predicate over the case's fields.
OPTIONAL = {"check", "devices", "where"}

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


FIELD_NAMES = frozenset({"dims", "batch", "in_channels", "out_channels", "groups", "input_size",
                         "kernel", "stride", "dilation", "mode", "pads", "output_shape",
                         "output_padding", "bias", "dtype", "layout", "family"})


@dataclass(frozen=True)
class Known:
    adapter: str
    case: str | tuple[str, ...]   # one shell-style pattern over case ids, or several
    status: Status
    versions: str
    evidence: str
    check: str = "forward"
    devices: tuple[str, ...] = ()
    where: str = ""
    source: str = PROJECT          # the file it came from

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
        return predicate.parse(self.where, FIELD_NAMES).evaluate(fields(case))

    def explains(self, adapter: str, case: Case, device: str, status: str) -> bool:
        """Whether this entry explains a ``status`` observed on ``case`` by its predicate."""
        return self.status == status and self.concerns(adapter, device) and self.holds(case)

    def affects(self, version: str) -> bool:
        """Whether the entry concerns this framework version. A converter path reports the
        versions of its parts (``"torch 2.13.0, onnxruntime 1.32.0"``): its entries name the
        part their specifier concerns (``versions = "onnxruntime>=1.13"``)."""
        if not self.versions:
            return True
        if not version:
            return False  # a check that never reached a framework (unsupported) has none
        name, specifier = versions_spec(self.versions)
        found = parts(version)
        if name:
            if name not in found:
                return False
            version = found[name]
        elif found:
            return False  # a bare specifier cannot say which part it concerns
        return Version(version.split("+")[0]) in specifier


    def record(self) -> dict:
        """The entry as JSON values (results lines and reports carry it)."""
        return {"adapter": self.adapter, "case": list(self.patterns), "check": self.check,
                "status": str(self.status), "versions": self.versions, "evidence": self.evidence,
                "devices": list(self.devices), "where": self.where, "source": self.source}


def versions_spec(text: str) -> tuple[str, SpecifierSet]:
    """``versions`` as (the part it names or "", its specifier): ``">=1.13"`` or
    ``"onnxruntime>=1.13"``."""
    match = re.match(r"\s*([A-Za-z][A-Za-z0-9_.-]*)\s*(.*)$", text)
    if match:
        return match.group(1).lower(), SpecifierSet(match.group(2))
    return "", SpecifierSet(text)


def parts(version: str) -> dict[str, str]:
    """A converter path's ``"name version, name version"`` as a dict ({} for one version)."""
    if " " not in version.strip():
        return {}
    return {name.lower(): number for name, number in
            (part.strip().split(" ", 1) for part in version.split(","))}


def find(known: list[Known], check: str, adapter: str, case: Case, device: str, status: str,
         version: str) -> Known | None:
    """The entry that expects this check: the first whose ids match the case, else (for a
    failing ``status``) the first whose predicate explains it; None when nothing does."""
    entries = [e for e in known if e.check == check and e.adapter == adapter]
    by_id = next((e for e in entries if e.matches(adapter, case.id, device)
                  and e.affects(version)), None)
    if by_id is not None or status in CLEAN:
        return by_id
    return next((e for e in entries if e.explains(adapter, case, device, status)
                 and e.affects(version)), None)


class RegistryError(ValueError):
    """A registry file that cannot be used: one line naming the file, the entry and what is
    wrong."""


def load(path: Path = PATH, source: str | None = None) -> list[Known]:
    """The entries of one registry file; ``source``: how reports name it (default: the
    project's file as ``known_issues.toml``, any other by its path)."""
    source = source or (PROJECT if Path(path) == PATH else str(path))
    try:
        entries = tomllib.loads(Path(path).read_text(encoding="utf-8")).get("issue", [])
    except OSError as error:
        raise RegistryError(f"{path}: cannot be read: {error.strerror or error}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise RegistryError(f"{path}: not TOML: {error}") from None
    if not isinstance(entries, list):
        raise RegistryError(f"{path}: 'issue' must be an array of tables ([[issue]])")
    known = []
    statuses = sorted(FAILING)
    for number, entry in enumerate(entries, 1):
        where = f"{path}: issue {number}"
        if not isinstance(entry, dict) or not FIELDS <= set(entry) <= FIELDS | OPTIONAL:
            got = sorted(entry) if isinstance(entry, dict) else type(entry).__name__
            raise RegistryError(f"{where}: fields must be {sorted(FIELDS)} (and optionally "
                                f"{sorted(OPTIONAL)}), got {got}")
        if entry["adapter"] not in {**adapters.REGISTRY, **adapters.TESTING}:
            raise RegistryError(f"{where}: adapter: unknown entry point {entry['adapter']!r}")
        if isinstance(entry["case"], list):
            entry = {**entry, "case": tuple(entry["case"])}
        if entry["status"] not in statuses:
            raise RegistryError(f"{where}: status: {entry['status']!r} is not a failing "
                                f"status; choose from {', '.join(statuses)}")
        entry = {**entry, "status": Status(entry["status"])}
        if entry.get("check", "forward") not in ("forward", "gradients"):
            raise RegistryError(f"{where}: check: {entry['check']!r}; choose forward or "
                                "gradients")
        if "devices" in entry:
            unknown = set(entry["devices"]) - set(DEVICES)
            if unknown:
                raise RegistryError(f"{where}: devices: unknown {sorted(unknown)}; choose "
                                    f"from {list(DEVICES)}")
            entry = {**entry, "devices": tuple(entry["devices"])}
        try:
            versions_spec(entry["versions"])
        except (InvalidSpecifier, TypeError):
            raise RegistryError(f"{where}: versions: {entry['versions']!r} is not a version "
                                "specifier") from None
        if "where" in entry:
            try:
                predicate.parse(entry["where"], FIELD_NAMES)
            except predicate.PredicateError as error:
                raise RegistryError(f"{where}: where: {error}") from None
        known.append(Known(**entry, source=source))
    return known


def load_all(extra: list[str] | tuple[str, ...] = ()) -> list[Known]:
    """The project's registry and every ``--known`` file after it (the project's entries are
    found first)."""
    known = load()
    for path in extra:
        known += load(Path(path))
    return known
