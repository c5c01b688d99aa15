"""The conformance run's options, declared once: the pytest plugin registers them and checks
them (``settings``), and ``tconv run`` lists them in its ``--help`` and checks them with the
same function before it touches its output folder.

A wrong value is an ``OptionError`` whose message is one line naming the option (or the file,
case and field) and what is accepted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tconv import adapters
from tconv.adapters import devices
from tconv.cases import userfile
from tconv.cases.case import DTYPES
from tconv.cases.families import PROFILES
from tconv.conformance import registry


class OptionError(ValueError):
    """A wrong option value; the message is the one line to print."""


@dataclass(frozen=True)
class Option:
    """One option: its flag, default, help, and how argparse / pytest read it."""

    flag: str
    default: object
    help: str
    type: type = str
    append: bool = False

    @property
    def dest(self) -> str:
        return self.flag.lstrip("-").replace("-", "_")

    def arguments(self) -> dict:
        """Keyword arguments for ``addoption`` / ``add_argument``."""
        if self.append:
            return {"action": "append", "default": [], "help": self.help, "dest": self.dest}
        return {"type": self.type, "default": self.default, "help": self.help,
                "dest": self.dest}


OPTIONS = (
    Option("--profile", "quick", "cases: " + ", ".join(PROFILES)),
    Option("--backends", "", "comma-separated worker backends (default: all installed)"),
    Option("--adapters", "", "comma-separated entry points (default: all installed)"),
    Option("--dtypes", "", "comma-separated dtypes (default: all)"),
    Option("--devices", "auto", "comma-separated check devices: cpu, cuda (the framework's "
           "default float32 arithmetic), cuda-strict (TF32 off); auto (the default): cpu, and "
           "both CUDA devices where an NVIDIA driver is present"),
    Option("--check-timeout", 120.0, "seconds one framework call may take before it counts "
           "as a timeout", float),
    Option("--results", "", "append one JSON line per check to this file (results.jsonl)"),
    Option("--cases", "", "run the cases of this TOML or JSON file instead of a profile's"),
    Option("--known", None, "a registry file of your own accepted discrepancies (the format "
           "of known_issues.toml), added to the project's for this run; may be repeated",
           append=True),
    Option("--memory-cap", 4096.0, "MiB: a case whose arrays would need more is refused "
           "before any framework allocates them (default 4096)", float),
    Option("--python", "", "the interpreter (of another virtual environment) the framework "
           "workers run from; default: this one"),
)


@dataclass(frozen=True)
class Settings:
    """The options, checked and resolved."""

    profile: str
    backends: frozenset[str]
    adapters: frozenset[str]
    dtypes: frozenset[str]
    devices: tuple[str, ...]
    check_timeout: float
    memory_cap: int                     # bytes
    python: str
    cases: tuple = ()                   # the --cases file's cases, loaded once
    known: tuple = field(default=())    # every registry entry: the project's, then --known's


def _chosen(value: str) -> frozenset[str]:
    return frozenset(v.strip() for v in (value or "").split(",") if v.strip())


def settings(values: dict) -> Settings:
    """``values`` (option ``dest`` -> value) checked and resolved; raises ``OptionError``."""
    listed = {"backends": set(adapters.BACKENDS) - adapters.TESTING_BACKENDS,
              "adapters": set(adapters.REGISTRY) | set(adapters.TESTING),
              "dtypes": set(DTYPES)}
    chosen = {}
    for name, allowed in listed.items():
        chosen[name] = _chosen(values.get(name, ""))
        unknown = chosen[name] - allowed
        if unknown:
            raise OptionError(f"--{name}: unknown {', '.join(sorted(unknown))}; choose from "
                              f"{', '.join(sorted(allowed))}")
    if values.get("profile", "quick") not in PROFILES:
        raise OptionError(f"--profile: unknown {values['profile']}; choose from "
                          f"{', '.join(PROFILES)}")
    for name, unit in (("check_timeout", "seconds"), ("memory_cap", "MiB")):
        if not float(values.get(name, 1.0)) > 0:
            raise OptionError(f"--{name.replace('_', '-')}: must be a positive number of {unit}")
    python = values.get("python", "") or ""
    if python and not Path(python).is_file():
        raise OptionError(f"--python: no such interpreter {python}")
    try:
        chosen_devices = devices.resolve(values.get("devices", "auto"))
    except ValueError as error:
        raise OptionError(str(error)) from None
    cases = ()
    if values.get("cases"):
        try:
            cases = tuple(userfile.load(values["cases"]))
        except userfile.CaseFileError as error:
            raise OptionError(str(error)) from None
    try:
        known = tuple(registry.load_all(values.get("known") or ()))
    except registry.RegistryError as error:
        raise OptionError(f"--known: {error}") from None
    return Settings(profile=values.get("profile", "quick"), backends=chosen["backends"],
                    adapters=chosen["adapters"], dtypes=chosen["dtypes"],
                    devices=chosen_devices,
                    check_timeout=float(values.get("check_timeout", 120.0)),
                    memory_cap=int(float(values.get("memory_cap", 4096.0)) * 2**20),
                    python=python, cases=cases, known=known)
