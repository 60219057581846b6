"""Reading half-written CI YAML values: scalars as text, lists and mappings when they are ones, a script
value as an analysis chunk, and truncation of stored text."""

from __future__ import annotations

from typing import Any

from anops_policy.collectors.ci.yaml_source import Src


def as_text(value: Any) -> str | None:
    """A scalar as text (YAML numbers and booleans as YAML would print them), None for missing."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(as_text(v)) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {as_text(v)}" for k, v in value.items())
    return str(value)


def text_list(value: Any) -> list[str]:
    """A scalar or list as a list of strings."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(as_text(v)) for v in value if v is not None]
    return [str(as_text(value))]


def mapping(value: Any) -> dict[str, Any]:
    """``value`` when it is a mapping, else an empty one (CI files are often half-written)."""
    return value if isinstance(value, dict) else {}


def sequence(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def chunk(value: Any, fallback_line: int) -> tuple[str, int, bool]:
    """A script value as an analysis chunk ``(text, first_line, literal)``."""
    if isinstance(value, Src):
        return str(value), value.line or fallback_line, value.literal
    return str(as_text(value) or ""), fallback_line, False


def truncate(text: str, limit: int = 4000) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
