"""The CEL syntax tree as cel-python's parser builds it (lark ``Tree`` nodes and ``Token`` leaves, with source
positions): the type the static check, the policy cache and the explanations walk. Named here so that only
``cel`` imports the parser library."""

from __future__ import annotations

from lark import Token, Tree
from lark.tree import Meta

__all__ = ["Meta", "Token", "Tree"]
