"""The shape of the source tree that docs/architecture.md describes: packages by stage, collectors by
family, small modules, every package documented and shipped. (The import rules themselves are checked by
``lint-imports`` in .ci/run, against a regular install.)"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENGINE = ROOT / "src" / "anops_policy"
COLLECTORS = ROOT / "collectors"
MAX_LINES = 500
MAX_TOP_LEVEL_MODULES = 12
MAX_COLLECTOR_ENTRIES = 20


def _modules() -> list[Path]:
    files = [*ENGINE.rglob("*.py"), *COLLECTORS.rglob("*.py")]
    return sorted(p for p in files if "__pycache__" not in p.parts and "_pb2" not in p.name)


def _packages() -> list[Path]:
    found = [ENGINE, COLLECTORS]
    found += [p.parent for p in [*ENGINE.rglob("__init__.py"), *COLLECTORS.rglob("__init__.py")]]
    return sorted(set(found))


@pytest.mark.parametrize("module", _modules(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_module_is_small(module: Path) -> None:
    lines = len(module.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{module.relative_to(ROOT)} has {lines} lines: split it by concern"


def test_top_level_holds_few_modules() -> None:
    modules = sorted(p.name for p in ENGINE.glob("*.py"))
    assert len(modules) <= MAX_TOP_LEVEL_MODULES, f"src/anops_policy has {len(modules)} modules: {modules}"


def test_collectors_hold_one_entry_per_family() -> None:
    entries = sorted(p.name for p in COLLECTORS.iterdir() if p.name not in {"__init__.py", "__pycache__"})
    assert len(entries) <= MAX_COLLECTOR_ENTRIES, entries
    for entry in entries:
        path = COLLECTORS / entry
        assert path.suffix == ".py" or (path / "__init__.py").is_file(), f"collectors/{entry}: not a module or package"


@pytest.mark.parametrize("package", _packages(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_package_says_what_it_owns(package: Path) -> None:
    init = package / "__init__.py"
    docstring = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
    assert docstring, f"{init.relative_to(ROOT)}: open with a docstring saying what the package owns"


def test_every_package_is_shipped() -> None:
    """pyproject lists packages explicitly (the package-dir mapping needs it): a new folder must be listed."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    listed = set(config["packages"])
    on_disk = {"anops_policy." + p.relative_to(ENGINE).as_posix().replace("/", ".") for p in _packages()
               if p.is_relative_to(ENGINE) and p != ENGINE}
    on_disk |= {"anops_policy.collectors." + p.relative_to(COLLECTORS).as_posix().replace("/", ".")
                for p in _packages() if p.is_relative_to(COLLECTORS) and p != COLLECTORS}
    on_disk |= {"anops_policy", "anops_policy.collectors"}
    assert on_disk <= listed, f"packages missing from pyproject [tool.setuptools] packages: {sorted(on_disk - listed)}"
