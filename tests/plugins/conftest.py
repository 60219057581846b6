"""A site folder on ``sys.path`` that tests install collector plugins into, as real ``.dist-info`` folders
(what ``pip install`` leaves), so discovery goes through ``importlib.metadata`` as in production."""

from __future__ import annotations

import itertools
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from anops_policy import plugins
from anops_policy.policy import schema_nav

_modules = itertools.count()


def forget_plugins() -> None:
    """Every cache of what is installed: discovery, loading and the schema the static check builds."""
    plugins.clear_caches()
    schema_nav.plugin_sections.cache_clear()
    schema_nav.fact_root.cache_clear()


@dataclass
class Site:
    folder: Path
    modules: list[str] = field(default_factory=list)

    def add(self, section: str, source: str, *, dist: str = "anops-fake-plugin", version: str = "1.2.3",
            attribute: str = "Collector") -> str:
        """Install a distribution ``dist`` whose module (``source``) registers ``section``; the module name."""
        module = f"anops_fake_plugin_{next(_modules)}"
        (self.folder / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
        info = self.folder / f"{dist.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n", encoding="utf-8")
        (info / "entry_points.txt").write_text(
            f"[anops_policy.collectors]\n{section} = {module}:{attribute}\n", encoding="utf-8"
        )
        self.modules.append(module)
        forget_plugins()
        return module


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    folder = tmp_path / "site"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    # a policy compiled against one test's plugins must not be served to the next from the disk cache
    monkeypatch.setenv("ANOPS_POLICY_CACHE", "off")
    installed = Site(folder)
    forget_plugins()
    yield installed
    monkeypatch.undo()
    for module in installed.modules:
        sys.modules.pop(module, None)
    forget_plugins()


# A working collector: the number of Markdown files, and each one's path (the SCHEMA references the
# project's own `location` definition, as a plugin may).
MARKDOWN = '''
    class Collector:
        name = "markdown"
        version = "2"
        depends_on = ()
        SCHEMA = {
            "type": "object",
            "additionalProperties": False,
            "required": ["count", "files"],
            "properties": {
                "count": {"type": "integer"},
                "files": {"type": "array", "items": {
                    "$ref": "https://anops.dev/schemas/fact-document.schema.json#/$defs/location"}},
            },
        }

        def collect(self, ctx):
            found = [p for p in ctx.files() if p.endswith(".md")]
            return {"count": len(found), "files": [{"path": p, "line": 1} for p in found]}
'''
