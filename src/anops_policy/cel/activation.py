"""Pieces of an activation built from values that are already CEL values (no conversion)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def vars_map(variables: Mapping[str, Any]) -> Any:
    """``vars`` of an activation: a CEL map over policy variables already evaluated to CEL values."""
    import celpy.celtypes as ct  # noqa: PLC0415 - only when a policy has variables

    return ct.MapType({ct.StringType(k): v for k, v in variables.items()})
