"""The repository's ``anops-policy.yaml``: what the repository is (components, e2e tests, release files,
docs), how to collect it, parameter overrides, waivers and where the decision log lives."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from anops_policy.errors import ConfigError
from anops_policy.validation import validate
from anops_policy.yamlsafe import Marks, load_yaml_file

CONFIG_NAMES = ("anops-policy.yaml", "anops-policy.yml")
API_VERSION = "anops.dev/config/v1"
DEFAULT_PACKS = ("builtin:production-readiness",)


@dataclass(frozen=True)
class RepoConfig:
    """A validated config. ``raw`` is the document as written (empty when there is no config file)."""

    raw: Mapping[str, Any] = field(default_factory=dict)
    file: str | None = None
    marks: Marks | None = None

    @property
    def packs(self) -> list[str]:
        return list(self.raw.get("packs", DEFAULT_PACKS))

    @property
    def components(self) -> list[dict[str, Any]]:
        return [dict(c) for c in self.raw.get("components", [])]

    def list_value(self, key: str) -> list[str] | None:
        """``e2e`` or ``release_files`` as written, or None when the config is silent."""
        value = self.raw.get(key)
        return None if value is None else [str(v) for v in value]

    @property
    def docs(self) -> dict[str, Any]:
        return dict(self.raw.get("docs", {}))

    def params_for(self, policy_id: str) -> dict[str, Any]:
        return dict(self.raw.get("params", {}).get(policy_id, {}))

    @property
    def collect(self) -> Mapping[str, Any]:
        value: Mapping[str, Any] = self.raw.get("collect", {})
        return value

    @property
    def exclude(self) -> list[str]:
        return list(self.collect.get("exclude", []))

    @property
    def results(self) -> list[str] | None:
        value = self.collect.get("results")
        return None if value is None else list(value)

    @property
    def max_file_bytes(self) -> int | None:
        value = self.collect.get("max_file_bytes")
        return None if value is None else int(value)

    @property
    def max_section_bytes(self) -> int | None:
        value = self.collect.get("max_section_bytes")
        return None if value is None else int(value)

    @property
    def collect_jobs(self) -> int | None:
        """``collect.jobs``: worker processes for the collectors (None or 0: decided per run)."""
        value = self.collect.get("jobs")
        return None if value is None or int(value) == 0 else int(value)

    def collector_options(self, collector: str) -> Mapping[str, Any]:
        options: Mapping[str, Any] = self.collect.get("options", {}).get(collector, {})
        return options

    @property
    def engine(self) -> Mapping[str, Any]:
        value: Mapping[str, Any] = self.raw.get("engine", {})
        return value

    @property
    def decision_log(self) -> str | None:
        value = self.raw.get("decision_log")
        return None if value is None else str(value)

    @property
    def waivers(self) -> list[dict[str, Any]]:
        return [dict(w) for w in self.raw.get("waivers", [])]

    @property
    def waiver_max_days(self) -> int:
        return int(self.raw.get("waiver_max_days", 90))

    def where(self, *path: str | int) -> str:
        """``file:line:column`` of a config value, for messages."""
        if self.marks is None:
            return self.file or "anops-policy.yaml"
        return self.marks.at(tuple(path))


def check_paths_inside(config: RepoConfig, root: Path) -> None:
    """A config found in the evaluated directory is part of the change under review: the pack folders it
    loads and the decision log it appends to must stay inside that directory, or a pull request could
    swap in policies from elsewhere on the runner or append to any writable file. An operator picks
    others with ``--policies``, ``--decision-log`` or ``--config``."""
    top = root.resolve()
    base = Path(config.file).parent if config.file else root

    def outside(path: Path) -> bool:
        real = path.resolve()
        return real != top and top not in real.parents

    for index, ref in enumerate(config.packs):
        remote = ref.startswith(("oci://", "git+", "https://"))  # fetched and verified, not read from disk
        if not ref.startswith("builtin:") and not remote and outside(base / ref):
            raise ConfigError(
                f"config {config.where('packs', index)}: pack folder '{ref}' is outside the evaluated directory; "
                "a repository's config names only packs inside it (use --policies or --config for others)"
            )
    log = config.decision_log
    if log is not None and outside(root / log):
        raise ConfigError(
            f"config {config.where('decision_log')}: decision log '{log}' is outside the evaluated directory; "
            "a repository's config keeps its log inside it (use --decision-log for another place)"
        )


def find_config(root: Path) -> Path | None:
    for name in CONFIG_NAMES:
        candidate = root / name
        if candidate.is_file():
            return candidate
    return None


def load_config(path: Path | None, display: str | None = None) -> RepoConfig:
    """Load and validate a config file; ``None`` gives the empty config (discovery fills it in)."""
    if path is None:
        return RepoConfig()
    name = display or str(path)
    data, marks = load_yaml_file(str(path), name)
    return config_from_data(data, marks, name)


def config_from_data(data: Any, marks: Marks | None, name: str) -> RepoConfig:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"config {name}: expected a mapping at the top level, found {type(data).__name__}")
    validate(data, "config", marks, name, what="config")
    _check_params(data, marks, name)
    return RepoConfig(raw=data, file=name, marks=marks)


def _check_params(data: Mapping[str, Any], marks: Marks | None, name: str) -> None:
    params = data.get("params", {})
    for policy_id, values in params.items():
        if not isinstance(values, Mapping):
            where = marks.at(("params", policy_id)) if marks else name
            raise ConfigError(f"config {where}: params.{policy_id} must map parameter names to values")


def component_names(components: Sequence[Mapping[str, Any]]) -> list[str]:
    return [str(c.get("name")) for c in components]
