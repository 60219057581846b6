"""Writing what a command produces to a file: a path that cannot be written is a configuration error (exit 2)."""

from __future__ import annotations

from pathlib import Path

from anops_policy.errors import ConfigError


def write_output(path: Path, text: str) -> None:
    """Write ``text`` to ``path``, creating its folder."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror or exc}") from None
