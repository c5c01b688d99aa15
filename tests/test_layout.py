"""The project's shape, checked: the imports run one way (oracle and cases at the bottom,
adapters above them, the conformance engine above those, reports and the command line on
top), the product never reaches into ``tests``, every project import goes through the
installed name ``tconv``, and nothing outside ``adapters/`` and ``oracle/rules/`` names a
framework: no import of a framework, an adapter module or a rule module by name, and no table
keyed by a framework's, backend's or entry point's name."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tconv import adapters

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("oracle", "cases", "adapters", "conformance", "reports")
# What each package may import of tconv (itself included).
ALLOWED = {"oracle": {"oracle"}, "cases": {"oracle", "cases"},
           "adapters": {"oracle", "cases", "adapters"},
           "conformance": {"oracle", "cases", "adapters", "conformance"},
           "reports": set(PACKAGES)}
# The adapter and rule modules that are no framework's own.
SHARED_ADAPTERS = {"base", "devices", "workers", "remote", "logs", "environments"}
SHARED_RULES = {"canonical"}


def _modules(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def _imports(path: Path) -> list[str]:
    """Every module name ``path`` imports (function-level imports included)."""
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.append(node.module)
            names += [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def _product() -> list[Path]:
    return [p for folder in PACKAGES for p in _modules(folder)] + [ROOT / "conftest.py"]


def _framework_modules() -> set[str]:
    return {b.module for f in adapters.frameworks() if not f.testing for b in f.backends}


def _framework_names() -> set[str]:
    names = set()
    for f in adapters.frameworks():
        if not f.testing:
            names |= {f.name, f.package, *f.distributions, *(b.name for b in f.backends),
                      *(cls.name for cls, _ in f.entry_points)}
    return names


@pytest.mark.parametrize("package", PACKAGES)
def test_imports_run_one_way(package: str) -> None:
    wrong = []
    for path in _modules(package):
        for name in _imports(path):
            parts = name.split(".")
            if parts[0] == "tconv" and len(parts) > 1 and parts[1] not in ALLOWED[package]:
                wrong.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not wrong, wrong


def test_the_product_never_reaches_into_tests() -> None:
    for path in [*_product(), *_modules("benchmarks")]:
        assert not any(n == "tests" or n.startswith("tests.") for n in _imports(path)), path
        assert "tests/conformance" not in path.read_text(), path
    for path in (ROOT / "conformance").rglob("*.toml"):
        assert "tests/conformance" not in path.read_text(), path


def test_every_project_import_goes_through_tconv() -> None:
    bare = []
    for path in [*_product(), *_modules("tests"), *_modules("benchmarks")]:
        for name in _imports(path):
            if name.split(".")[0] in PACKAGES:
                bare.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not bare, bare


def test_only_adapters_and_rules_import_a_framework_or_its_modules() -> None:
    frameworks = _framework_modules()
    assert {"torch", "tensorflow", "jax", "keras", "onnx", "onnxruntime"} <= frameworks
    wrong = []
    for path in _product():
        inside = path.relative_to(ROOT).parts
        if inside[0] == "adapters" or inside[:2] == ("oracle", "rules"):
            continue
        for name in _imports(path):
            parts = name.split(".")
            if (parts[0] in frameworks
                    or parts[:2] == ["tconv", "adapters"] and len(parts) > 2
                    and parts[2] not in SHARED_ADAPTERS and parts[2][0].islower()
                    and parts[2] in {m.rsplit(".", 1)[1] for m in adapters.MODULES}
                    or parts[:3] == ["tconv", "oracle", "rules"] and len(parts) > 3
                    and (ROOT / "oracle" / "rules" / f"{parts[3]}.py").is_file()
                    and parts[3] not in SHARED_RULES):
                wrong.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not wrong, wrong


def test_no_table_outside_adapters_is_keyed_by_a_framework() -> None:
    names = _framework_names()
    wrong = []
    for path in _product():
        inside = path.relative_to(ROOT).parts
        if inside[0] == "adapters" or inside[:2] == ("oracle", "rules"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            keys = []
            if isinstance(node, ast.Dict):
                keys = node.keys
            elif isinstance(node, ast.Compare):
                keys = [node.left, *node.comparators]
            wrong += [f"{path.relative_to(ROOT)}:{k.lineno}: {k.value!r}" for k in keys
                      if isinstance(k, ast.Constant) and k.value in names]
    assert not wrong, wrong


def test_each_adapter_declares_itself_whole() -> None:
    """Every registered entry point comes from a declaration that says everything the rest
    of tconv reads: its framework's distributions and backends, its kernel axes (the porting
    table's weight conversion), its bias idiom."""
    for name, (cls, backend) in {**adapters.REGISTRY, **adapters.TESTING}.items():
        framework = adapters.framework(name)
        conventions = cls.conventions
        assert backend in {b.name for b in framework.backends}, name
        assert framework.distributions and framework.package, name
        assert conventions.kernel_layout.startswith(", ".join(conventions.kernel_axes)), name
        assert set(conventions.kernel_axes) <= set(adapters.base.KERNEL_AXES), name
        assert framework.testing or conventions.bias, name
    for framework in adapters.frameworks():
        if framework.porting is not None:
            assert framework.porting.entry_point in adapters.REGISTRY
            for nominal in framework.porting.nominals:
                assert adapters.framework(nominal.entry_point) is framework
