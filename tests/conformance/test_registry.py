"""The registry of known discrepancies is well-formed, and every entry still matches something:
a case of the full profile, and the installed framework version."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError

import pytest

from tconv import adapters
from tconv.adapters.conversion import Converter
from tconv.cases.families import profile
from tconv.conformance import registry
from tconv.conformance.status import FAILING

ENTRIES = registry.load()


def test_entries_are_well_formed() -> None:
    for entry in ENTRIES:
        assert entry.adapter in adapters.REGISTRY, entry
        assert entry.status in FAILING, entry
        assert entry.evidence.strip(), entry
        entry.affects("0")  # the specifier parses


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: f"{e.adapter}::{e.case}")
def test_entry_matches_a_case_and_the_installed_version(entry: registry.Known) -> None:
    cases = profile("full")
    if entry.patterns:
        assert any(entry.matches(entry.adapter, c.id) for c in cases), f"matches no case: {entry}"
    else:   # a rule only (case = []): it must describe some case of the profiles
        assert entry.where and any(entry.holds(c) for c in cases), f"matches no case: {entry}"
    try:
        installed = _installed(entry.adapter)
    except PackageNotFoundError:
        pytest.skip(f"{entry.adapter}'s framework is not installed")
    if not entry.affects(installed) and _older_only(entry.versions, installed):
        # A discrepancy fixed before the pinned version, kept so that an upgrade comparison
        # from an older version (tconv upgrade) still expects it there.
        pytest.skip(f"historical: {entry.versions} covers only versions older than "
                    f"{installed}")
    assert entry.affects(installed), f"versions {entry.versions!r} exclude {installed}: {entry}"


def _installed(name: str) -> str:
    """The version the entry point reports: its framework's, or a converter path's parts'
    (``"torch 2.13.0, onnxruntime 1.32.0"``, read from the installed distributions)."""
    adapter = adapters.load(name)
    if isinstance(adapter, Converter):
        return adapter.version()
    return adapters.installed_version(adapters.backend(name))


def _older_only(versions: str, installed: str) -> bool:
    """Whether the specifier has an upper bound below ``installed`` (it covers only older
    versions: a discrepancy fixed since)."""
    part, specifier = registry.versions_spec(versions)
    installed = registry.parts(installed).get(part, installed)
    return any(c.operator in ("<", "<=") and not c.contains(installed) for c in specifier)


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e.where],
                         ids=lambda e: f"{e.adapter}::{e.status}::{e.where}")
def test_predicate_holds_for_every_listed_case(entry: registry.Known) -> None:
    """A predicate states the rule behind the listed cases: it holds for each of them (and
    evaluates on every case of the full profile without raising)."""
    cases = profile("full")
    listed = [c for c in cases if entry.matches(entry.adapter, c.id)]
    assert listed or not entry.patterns, entry
    missed = [c.id for c in listed if not entry.holds(c)]
    assert not missed, f"{entry.where!r} does not hold for listed {missed[:5]}"
    held = sum(entry.holds(c) for c in cases)
    assert held >= max(1, len(listed))


def test_predicates_only_explain_failures_of_their_own_status() -> None:
    case = next(c for c in profile("full") if any(a >= s for a, s in
                                                  zip(c.output_padding, c.stride)))
    entry = registry.Known("onnxruntime", "nothing", "error", "", "e",
                           where="any(a >= s for a, s in zip(output_padding, stride))")
    known = [entry]
    assert registry.find(known, "forward", "onnxruntime", case, "cpu", "error", "1.0") is entry
    for status in ("pass", "unsupported", "mismatch"):
        assert registry.find(known, "forward", "onnxruntime", case, "cpu", status, "1.0") is None
    assert registry.find(known, "forward", "torch.functional", case, "cpu", "error", "1") is None


def _registry_file(tmp_path, text: str):
    path = tmp_path / "ours.toml"
    path.write_text(text)
    return path


OURS = '''
[[issue]]
adapter = "onnx.reference"
case = "edge/k1-s2/float32"
status = "mismatch"
versions = ">=1"
evidence = "our build's own finding"
'''


def test_a_file_of_ones_own_adds_entries_that_say_where_they_came_from(tmp_path) -> None:
    path = _registry_file(tmp_path, OURS)
    known = registry.load_all([str(path)])
    assert len(known) == len(ENTRIES) + 1
    assert {e.source for e in known[:-1]} == {"known_issues.toml"}
    assert known[-1].source == str(path) and known[-1].record()["source"] == str(path)
    case = next(c for c in profile("quick") if c.id == "edge/k1-s2/float32")
    assert registry.find(known, "forward", "onnx.reference", case, "cpu", "mismatch",
                         "1.23") is known[-1]


@pytest.mark.parametrize("entry, words", [
    ("where = \"__import__('os').system('true')\"", "where:"),
    ('where = "kernel.count(1)"', "where:"),
    ('where = "kernal == 1"', "kernal"),
    ('where = "(lambda: 1)()"', "where:"),
    ('status = "pass"', "status"),
    ('versions = "not a specifier"', "versions"),
    ('adapter = "no.such.entry"', "no.such.entry"),
    ('devices = ["tpu"]', "devices"),
    ('colour = "red"', "fields must be"),
])
def test_a_bad_entry_is_one_line_naming_the_file_and_the_entry(tmp_path, entry, words) -> None:
    lines = [line for line in OURS.strip().splitlines()
             if not line.startswith(entry.split(" = ")[0] + " =")]
    path = _registry_file(tmp_path, "\n".join([*lines, entry]) + "\n")
    with pytest.raises(registry.RegistryError) as raised:
        registry.load(path)
    message = str(raised.value)
    assert message.startswith(f"{path}: issue 1: ") and words in message
    assert "\n" not in message
