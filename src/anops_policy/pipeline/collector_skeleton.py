"""``anops-policy new collector``: a collector plugin package that installs, registers its entry point, collects
a small fact section validated by its ``SCHEMA``, and carries a passing test (README: Collector plugins)."""

from __future__ import annotations

import re
from pathlib import Path

from anops_policy.errors import ConfigError

NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def new_collector(folder: Path, name: str) -> list[Path]:
    if not NAME.match(name):
        raise ConfigError(f"collector name '{name}': a snake_case CEL identifier (facts.{name})")
    if folder.exists() and any(folder.iterdir()):
        raise ConfigError(f"{folder} is not empty; give a new folder for the plugin package")
    package = f"anops_{name}"
    class_name = "".join(part.capitalize() for part in name.split("_")) + "Collector"
    files = {
        "pyproject.toml": f"""[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "anops-{name.replace('_', '-')}"
version = "0.1.0"
description = "An anops-policy collector plugin: facts.{name}"
requires-python = ">=3.11"
dependencies = ["anops-policy"]

[project.entry-points."anops_policy.collectors"]
{name} = "{package}:{class_name}"

[tool.setuptools]
packages = ["{package}"]
""",
        f"{package}/__init__.py": f'''"""facts.{name}: the Markdown files (replace with what your policies need)."""

from __future__ import annotations

from typing import Any


class {class_name}:
    name = "{name}"
    version = "1"
    depends_on: tuple[str, ...] = ()  # built-in sections this collector reads from ctx.facts
    # the JSON Schema (2020-12) of facts.{name}: `check` verifies policies' paths against it
    SCHEMA: dict[str, Any] = {{
        "type": "object",
        "additionalProperties": False,
        "required": ["count", "files"],
        "properties": {{
            "count": {{"type": "integer", "minimum": 0}},
            "files": {{"type": "array", "items": {{"type": "object", "required": ["path"],
                      "properties": {{"path": {{"type": "string"}}}}}}}},
        }},
    }}

    def collect(self, ctx: Any) -> dict[str, Any]:
        files = [{{"path": path}} for path in ctx.files() if path.endswith(".md")]
        return {{"count": len(files), "files": files}}
''',
        f"tests/test_{name}.py": f'''from {package} import {class_name}


class FakeContext:
    def files(self):
        return ["README.md", "src/app.py", "docs/guide.md"]


def test_collects_markdown_files():
    facts = {class_name}().collect(FakeContext())
    assert facts == {{"count": 2, "files": [{{"path": "README.md"}}, {{"path": "docs/guide.md"}}]}}
''',
        "README.md": f"""# anops-{name.replace('_', '-')}

An anops-policy collector plugin that adds `facts.{name}`.

```
pip install -e .                       # registers the entry point (reinstall after editing it)
anops-policy plugins --check           # imports it and checks the collector and its SCHEMA
anops-policy facts . --only {name}
python -m pytest tests
```
""",
    }
    written = []
    for relative, text in files.items():
        path = folder / relative
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot write {path}: {exc.strerror or exc}") from None
        written.append(path)
    return written
