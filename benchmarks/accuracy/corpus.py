"""The corpus shared by fetch.py, draw.py and run.py: the pinned projects, the cache they are unpacked
into (always outside the repository), and the label files."""

from __future__ import annotations

import os
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
PINS = HERE / "pins.toml"
LABELS = HERE / "labels"
DEFAULT_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "anops-policy-accuracy"


class CorpusError(Exception):
    """A problem the user can fix (a bad cache, a failed download, a malformed label file): printed as
    one line, never as a traceback."""


@dataclass(frozen=True)
class Project:
    name: str
    version: str
    source: str  # pypi | debian | npm
    file: str
    sha256: str
    held_out: bool
    package: str = ""  # debian: the binary package (librust-<crate>-dev)
    language: str = "python"  # which collector reads it: python | rust | javascript, go (patterns)
    group: str = ""  # a set of pins only the signals drawing from that group use ("artifacts")

    @property
    def key(self) -> str:
        """The project's folder name in the cache (an npm scope's ``@scope/`` becomes ``scope+``)."""
        return f"{self.name.lstrip('@').replace('/', '+')}-{self.version}"


def load_pins(path: Path = PINS) -> list[Project]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CorpusError(f"read pins {path}: {exc}") from exc
    projects = []
    for index, item in enumerate(data.get("project", [])):
        try:
            projects.append(
                Project(
                    name=str(item["name"]),
                    version=str(item["version"]),
                    source=str(item["source"]),
                    file=str(item["file"]),
                    sha256=str(item["sha256"]).lower(),
                    held_out=bool(item.get("held_out", False)),
                    package=str(item.get("package", "")),
                    language=str(item.get("language", "python")),
                    group=str(item.get("group", "")),
                )
            )
        except KeyError as exc:
            raise CorpusError(f"{path}: project #{index + 1} lacks {exc}") from exc
    return projects


def resolve_cache(cache: str | None) -> Path:
    root = Path(cache).expanduser().resolve() if cache else DEFAULT_CACHE
    repo = HERE.parent.parent
    if root == repo or repo in root.parents:
        raise CorpusError(f"cache {root} is inside the repository {repo}: the projects' files never go there")
    return root


def source_dir(cache: Path, project: Project) -> Path:
    return cache / "src" / project.key


def require_sources(cache: Path, projects: list[Project]) -> dict[str, Path]:
    """Each project's unpacked folder, or an error naming the fetch command."""
    found: dict[str, Path] = {}
    missing = []
    for project in projects:
        folder = source_dir(cache, project)
        if (folder / ".complete").is_file():
            found[project.name] = folder
        else:
            missing.append(project.key)
    if missing:
        raise CorpusError(
            f"cache {cache} lacks {', '.join(missing)}: run python benchmarks/accuracy/fetch.py --cache {cache}"
        )
    return found


@dataclass(frozen=True)
class Label:
    signal: str
    project: str
    path: str
    line: int
    expected: bool
    reason: str
    name: str


@dataclass(frozen=True)
class LabelFile:
    signal: str
    case: str  # what one case is
    low_evidence: bool
    labels: list[Label]
    meta: dict[str, Any]


def load_labels(path: Path) -> LabelFile:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CorpusError(f"read labels {path}: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        raise CorpusError(f"{path}: expected a mapping with signal, case and cases")
    signal = str(data.get("signal", path.stem))
    labels = []
    for index, item in enumerate(data["cases"]):
        try:
            labels.append(
                Label(
                    signal=signal,
                    project=str(item["project"]),
                    path=str(item["path"]),
                    line=int(item["line"]),
                    expected=bool(item["expected"]),
                    reason=str(item["reason"]),
                    name=str(item.get("name", "")),
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise CorpusError(f"{path}: case #{index + 1}: missing or bad field {exc}") from exc
    return LabelFile(signal, str(data.get("case", "")), bool(data.get("low_evidence", False)), labels, data)


def fail(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(2)
