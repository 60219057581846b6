"""Python projects for the ``python`` collector: ``pyproject.toml`` (PEP 621, PEP 735 groups, Poetry),
``setup.cfg``, ``setup.py`` (read with ``ast``, never executed) and ``requirements*.txt``. A project is a
folder; several of these files in one folder describe the same project."""

from __future__ import annotations

import ast
import configparser
import re
import tomllib
from dataclasses import dataclass, field
from typing import Any

from anops_policy.collection.collector import CollectContext
from anops_policy.syntax.python_ast import call_arg, const_str, parent_dir

REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(\[[^\]]*\])?\s*(.*?)\s*$")
REQUIREMENTS_FILE = re.compile(r"(^|/)requirements[^/]*\.(txt|in)$")
PROJECT_FILES = ("pyproject.toml", "setup.cfg", "setup.py")
MAX_DEPENDENCIES = 2000


def normalize(name: str) -> str:
    """PEP 503 name normalisation."""
    return re.sub(r"[-_.]+", "-", name).lower()


def is_project_file(path: str) -> bool:
    return path.rsplit("/", 1)[-1] in PROJECT_FILES or bool(REQUIREMENTS_FILE.search(path))


@dataclass
class Project:
    path: str
    name: str | None = None
    requires_python: str | None = None
    files: list[dict[str, str]] = field(default_factory=list)
    dependencies: list[dict[str, Any]] = field(default_factory=list)
    includes: list[dict[str, Any]] = field(default_factory=list)

    def fact(self) -> dict[str, Any]:
        deps = sorted(self.dependencies, key=lambda d: (d["group"], d["name"], d["path"], d["line"]))
        return {
            "path": self.path,
            "name": self.name,
            "requires_python": self.requires_python,
            "files": sorted(self.files, key=lambda f: f["path"]),
            "dependencies": deps[:MAX_DEPENDENCIES],
            "dependency_names": sorted({d["name"] for d in deps}),
            "includes": sorted(self.includes, key=lambda i: (i["path"], i["line"])),
        }


def _line_of(text: str, needle: str, start_line: int = 1) -> int:
    for number, line in enumerate(text.splitlines()[start_line - 1 :], start=start_line):
        if needle in line:
            return number
    return start_line


def _split_requirement(raw: str) -> tuple[str, str] | None:
    match = REQUIREMENT.match(raw)
    if not match:
        return None
    return normalize(match.group(1)), (match.group(2) or "") + match.group(3)


def parse_requirements(path: str, text: str, project: Project) -> None:
    stem = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    group = "main" if stem == "requirements" else stem.removeprefix("requirements").lstrip("-_.") or "main"
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith(("-r", "--requirement", "-c", "--constraint")):
            target = line.split(maxsplit=1)[1] if " " in line else line[2:]
            kind = "requirement" if line.startswith(("-r", "--requirement")) else "constraint"
            project.includes.append({"path": path, "line": number, "kind": kind, "target": target.strip()})
            continue
        if line.startswith("-") or "://" in line.split("@", 1)[0]:
            continue  # options (--index-url, -e) and bare URLs name no distribution
        parsed = _split_requirement(line)
        if parsed:
            project.dependencies.append(
                {"name": parsed[0], "spec": parsed[1], "group": group, "path": path, "line": number}
            )


def _add_pep508(project: Project, path: str, text: str, items: Any, *, group: str, start: int) -> None:
    if not isinstance(items, list):
        return
    for item in items:
        if not isinstance(item, str):
            continue
        parsed = _split_requirement(item)
        if parsed:
            line = _line_of(text, item, start)
            project.dependencies.append(
                {"name": parsed[0], "spec": parsed[1], "group": group, "path": path, "line": line}
            )


def _poetry_deps(project: Project, path: str, text: str, table: Any, group: str) -> None:
    if not isinstance(table, dict):
        return
    for name, spec in table.items():
        if normalize(str(name)) == "python":
            project.requires_python = project.requires_python or (spec if isinstance(spec, str) else None)
            continue
        if isinstance(spec, dict):
            shown = str(spec.get("version", "")) or ", ".join(f"{k}={v}" for k, v in sorted(spec.items()))
        else:
            shown = str(spec)
        line = _line_of(text, f"{name}")
        project.dependencies.append(
            {"name": normalize(str(name)), "spec": shown, "group": group, "path": path, "line": line}
        )


def parse_pyproject(ctx: CollectContext, path: str, text: str, project: Project) -> None:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        ctx.skip(path, f"invalid TOML: {exc}")
        return
    except RecursionError:  # tomllib recurses per nesting level
        ctx.skip(path, "TOML nested too deeply to read")
        return
    meta = data.get("project")
    if isinstance(meta, dict):
        project.name = project.name or (str(meta["name"]) if "name" in meta else None)
        if isinstance(meta.get("requires-python"), str):
            project.requires_python = meta["requires-python"]
        start = _line_of(text, "[project]")
        _add_pep508(project, path, text, meta.get("dependencies"), group="main", start=start)
        optional = meta.get("optional-dependencies")
        if isinstance(optional, dict):
            for group, items in sorted(optional.items()):
                _add_pep508(project, path, text, items, group=str(group), start=start)
    groups = data.get("dependency-groups")
    if isinstance(groups, dict):
        start = _line_of(text, "[dependency-groups]")
        for group, items in sorted(groups.items()):
            _add_pep508(project, path, text, items, group=str(group), start=start)
    poetry = data.get("tool", {}).get("poetry") if isinstance(data.get("tool"), dict) else None
    if isinstance(poetry, dict):
        project.name = project.name or (str(poetry["name"]) if "name" in poetry else None)
        _poetry_deps(project, path, text, poetry.get("dependencies"), "main")
        _poetry_deps(project, path, text, poetry.get("dev-dependencies"), "dev")
        for group, table in sorted((poetry.get("group") or {}).items()):
            if isinstance(table, dict):
                _poetry_deps(project, path, text, table.get("dependencies"), str(group))


def parse_setup_cfg(ctx: CollectContext, path: str, text: str, project: Project) -> None:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text, source=path)
    except configparser.Error as exc:
        ctx.skip(path, f"invalid setup.cfg: {str(exc).splitlines()[0]}")
        return
    if parser.has_option("metadata", "name"):
        project.name = project.name or parser.get("metadata", "name").strip()
    if parser.has_option("options", "python_requires"):
        project.requires_python = parser.get("options", "python_requires").strip()
    if parser.has_option("options", "install_requires"):
        items = [i.strip() for i in parser.get("options", "install_requires").splitlines() if i.strip()]
        _add_pep508(project, path, text, items, group="main", start=_line_of(text, "install_requires"))
    if parser.has_section("options.extras_require"):
        start = _line_of(text, "[options.extras_require]")
        for group, value in sorted(parser.items("options.extras_require")):
            items = [i.strip() for i in value.splitlines() if i.strip()]
            _add_pep508(project, path, text, items, group=group, start=start)


def parse_setup_py(path: str, text: str, project: Project) -> None:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError):
        return  # the python collector records the syntax error for every .py file
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and (getattr(node.func, "id", None) or getattr(node.func, "attr", None)) == "setup"
        ):
            project.name = project.name or const_str(call_arg(node, 99, "name"))
            project.requires_python = project.requires_python or const_str(call_arg(node, 99, "python_requires"))
            requires = call_arg(node, 99, "install_requires")
            if isinstance(requires, ast.List | ast.Tuple):
                for elt in requires.elts:
                    item = const_str(elt)
                    parsed = _split_requirement(item) if item else None
                    if parsed:
                        project.dependencies.append(
                            {
                                "name": parsed[0],
                                "spec": parsed[1],
                                "group": "main",
                                "path": path,
                                "line": elt.lineno,
                            }
                        )


def collect_projects(ctx: CollectContext, files: list[str]) -> dict[str, Project]:
    projects: dict[str, Project] = {}
    for path in files:
        if not is_project_file(path):
            continue
        text = ctx.read_text(path)
        if text is None:
            continue
        folder = parent_dir(path)
        project = projects.setdefault(folder, Project(folder))
        name = path.rsplit("/", 1)[-1]
        kind = {"pyproject.toml": "pyproject", "setup.cfg": "setup.cfg", "setup.py": "setup.py"}.get(
            name, "requirements"
        )
        project.files.append({"path": path, "kind": kind})
        if kind == "pyproject":
            parse_pyproject(ctx, path, text, project)
        elif kind == "setup.cfg":
            parse_setup_cfg(ctx, path, text, project)
        elif kind == "setup.py":
            parse_setup_py(path, text, project)
        else:
            parse_requirements(path, text, project)
    return projects
