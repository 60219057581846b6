"""``--trusted-config REF``: take the whole ``anops-policy.yaml`` from a git ref (the base branch), not
from the working tree a pull request controls, and list every difference the working-tree config would
make (a dropped release file or component, a new waiver, a raised threshold).

Why: the config describes what is judged. A change that edits it can waive its own failures or stop a
file from being checked; reading it from the trusted ref keeps the gate honest, and listing the changes
lets a reviewer see them (the report and the decision log carry the list)."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from anops_policy.collection.git import Git
from anops_policy.config import CONFIG_NAMES, RepoConfig, config_from_data, find_config, load_config
from anops_policy.errors import ConfigError
from anops_policy.yamlsafe import MAX_BYTES, load_yaml

# list items are matched by identity, so a changed component reads "changed", not "removed + added"
LIST_KEYS = {"components": ("name",), "waivers": ("policy", "subject", "fingerprint")}


@dataclass(frozen=True)
class TrustedConfig:
    config: RepoConfig
    ref: str
    commit: str
    path: str
    changes: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def source(self) -> dict[str, Any]:
        """What the decision log records about where the config came from."""
        return {"source": "git", "ref": self.ref, "commit": self.commit, "path": self.path, "changes": self.changes}


def _git_show(git: Git, spec: str) -> tuple[int, str]:
    try:
        out = subprocess.run(["git", "-C", str(git.toplevel), "show", spec], capture_output=True, timeout=60,
                             check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ConfigError(f"--trusted-config: git show {spec} failed: {exc}") from None
    if out.returncode != 0:
        return out.returncode, out.stderr.decode("utf-8", "replace")
    if len(out.stdout) > MAX_BYTES:
        raise ConfigError(f"--trusted-config: {spec} is larger than {MAX_BYTES} bytes")
    try:
        return 0, out.stdout.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"--trusted-config: {spec} is not UTF-8 text") from None


def load_trusted(path: Path, config_file: Path | None, ref: str) -> TrustedConfig:
    if not ref or ref.startswith("-"):
        raise ConfigError(f"--trusted-config {ref!r}: expected a git ref such as origin/main")
    git = Git.discover(path) if path.is_dir() else None
    if git is None:
        raise ConfigError(f"--trusted-config {ref}: {path} is not inside a git repository")
    commit = git.run("rev-parse", "--verify", "-q", f"{ref}^{{commit}}", check=False).strip()
    if not commit:
        raise ConfigError(f"--trusted-config {ref}: no such git ref (commit, branch or tag) in {git.toplevel}")
    working_file = config_file or find_config(path) or path / CONFIG_NAMES[0]
    try:
        rel = working_file.resolve().relative_to(git.toplevel).as_posix()
    except ValueError:
        raise ConfigError(f"--trusted-config {ref}: the config {working_file} is outside the git repository") from None
    candidates = [rel] if config_file else [str(Path(rel).with_name(n).as_posix()) for n in CONFIG_NAMES]
    notes: list[str] = []
    trusted = RepoConfig()
    found = None
    for candidate in candidates:
        code, text = _git_show(git, f"{commit}:{candidate}")
        if code == 0:
            found = candidate
            data, marks = load_yaml(text, f"{ref}:{candidate}")
            trusted = config_from_data(data, marks, f"{ref}:{candidate}")
            break
    if found is None:
        found = candidates[0]
        notes.append(f"trusted config: {ref} has no {found}; evaluating with an empty config (discovery only)")
    working_raw: Mapping[str, Any] = {}
    if working_file.is_file():
        try:
            working_raw = load_config(working_file).raw
        except ConfigError as exc:
            first = str(exc).splitlines()[0]
            notes.append(f"trusted config: the working-tree config is invalid ({first}); it was not used")
            changes = [{"path": "", "change": "invalid", "text": f"working-tree config is invalid: {first}"}]
            return TrustedConfig(trusted, ref, commit, found, changes, notes)
    changes = diff_config(trusted.raw, working_raw)
    if changes:
        notes.append(f"trusted config: used {found} from {ref} ({commit[:12]}); the working-tree config "
                     f"differs in {len(changes)} way{'s' if len(changes) != 1 else ''} and was not used:")
        notes.extend(f"  {c['text']}" for c in changes)
    else:
        notes.append(f"trusted config: used {found} from {ref} ({commit[:12]}); the working tree does not change it")
    return TrustedConfig(trusted, ref, commit, found, changes, notes)


def _label(item: Any, keys: tuple[str, ...]) -> str | None:
    if not isinstance(item, Mapping):
        return None
    parts = [str(item[k]) for k in keys if item.get(k) is not None]
    return " ".join(parts) if parts else None


def _show(value: Any, hide: tuple[str, ...] = ()) -> str:
    if isinstance(value, Mapping):
        text = "{" + ", ".join(f"{k}: {_show(v)}" for k, v in value.items() if k not in hide) + "}"
    else:
        text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 200 else text[:199] + "…"


def _change(path: str, kind: str, old: Any = None, new: Any = None, hide: tuple[str, ...] = ()) -> dict[str, Any]:
    where = path or "(config)"
    if kind == "added":
        text = f"{where}: adds {_show(new, hide)}"
    elif kind == "removed":
        text = f"{where}: removes {_show(old, hide)}"
    elif kind == "reordered":
        text = f"{where}: reorders {_show(old)} → {_show(new)}"
    else:
        text = f"{where}: changes {_show(old)} → {_show(new)}"
    out: dict[str, Any] = {"path": path, "change": kind, "text": text}
    if old is not None:
        out["old"] = old
    if new is not None:
        out["new"] = new
    return out


def diff_config(old: Any, new: Any, path: str = "") -> list[dict[str, Any]]:
    """Every difference from the trusted config ``old`` to the working-tree config ``new``."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        out = []
        for key in sorted(set(old) | set(new), key=str):
            sub = f"{path}.{key}" if path else str(key)
            if sub in LIST_KEYS and isinstance(old.get(key, []), list) and isinstance(new.get(key, []), list):
                out.extend(_diff_list(old.get(key, []), new.get(key, []), sub))
            elif key not in new:
                out.append(_change(sub, "removed", old=old[key]))
            elif key not in old:
                out.append(_change(sub, "added", new=new[key]))
            else:
                out.extend(diff_config(old[key], new[key], sub))
        return out
    if isinstance(old, list) and isinstance(new, list):
        return _diff_list(old, new, path)
    return [] if old == new else [_change(path, "changed", old=old, new=new)]


def _diff_list(old: list[Any], new: list[Any], path: str) -> list[dict[str, Any]]:
    keys = LIST_KEYS.get(path)
    if keys is not None:
        old_by = {_label(i, keys): i for i in old}
        new_by = {_label(i, keys): i for i in new}
        if None not in old_by and None not in new_by and len(old_by) == len(old) and len(new_by) == len(new):
            out = []
            for label in [k for k in old_by if k not in new_by]:
                out.append(_change(f"{path}[{label}]", "removed", old=old_by[label], hide=keys))
            for label in [k for k in new_by if k not in old_by]:
                out.append(_change(f"{path}[{label}]", "added", new=new_by[label], hide=keys))
            for label in [k for k in old_by if k in new_by]:
                out.extend(diff_config(old_by[label], new_by[label], f"{path}[{label}]"))
            return out
    if all(not isinstance(v, (Mapping, list)) for v in [*old, *new]):
        out = [_change(path, "removed", old=v) for v in old if v not in new]
        out += [_change(path, "added", new=v) for v in new if v not in old]
        if not out and old != new:
            out.append(_change(path, "reordered", old=old, new=new))
        return out
    return [] if old == new else [_change(path, "changed", old=old, new=new)]
