"""What this package changes in cel-python, applied once by ``install()``: guard rails (both-error ``&&``/``||``
and ``+`` cannot blow up, a fixed recursion limit), silenced loggers, and cheap typing generics for speed."""

from __future__ import annotations

import logging
import sys
from collections import abc as _abc
from typing import Any

import celpy.celtypes as ct
import celpy.evaluation as ev

from anops_policy.cel.values import MAX_VALUE_LENGTH, CELValue

# cel-python's own operators, for comparison (benchmarks/cel_guards runs them unguarded)
ORIGINAL_AND = ct.logical_and
ORIGINAL_OR = ct.logical_or
_original_add = ev.base_functions["_+_"]
# What celpy.Environment() sets; set here too because a run whose trees all come from the compiled-policy
# cache builds no Environment for parsing, and how deep evaluation may recurse must not depend on that.
RECURSION_LIMIT = 2500


def _bounded_and(x: CELValue, y: CELValue) -> CELValue:
    if isinstance(x, Exception) and isinstance(y, Exception):
        return x
    return ORIGINAL_AND(x, y)


def _bounded_or(x: CELValue, y: CELValue) -> CELValue:
    if isinstance(x, Exception) and isinstance(y, Exception):
        return x
    return ORIGINAL_OR(x, y)


def _bounded_add(x: CELValue, y: CELValue) -> CELValue:
    if isinstance(x, str | bytes | list) and isinstance(y, str | bytes | list) and len(x) + len(y) > MAX_VALUE_LENGTH:
        raise ValueError(f"'+' would build a value of {len(x) + len(y)} elements, over the limit of {MAX_VALUE_LENGTH}")
    return _original_add(x, y)


class _AnyAlias:
    """``Union[...]`` for ``cast()``: cast ignores its type, so any object will do."""

    def __getitem__(self, item: Any) -> type:
        return object


# Speed, not semantics: celpy's interpreter evaluates typing subscripts on every variable lookup
# (`cast(Union[Result, NameContainer], value)`, `cast(Sequence[...], ...)`); typing caches them, but
# hashing the large `Result` union per call was ~10-15% of a pack's evaluation at 10,000 TODOs
# (benchmarks/evaluation). The builtin and collections.abc generics answer subscripts and isinstance()
# alike at C speed; the module uses these names in casts and isinstance() only.
_CHEAP_GENERICS: dict[str, Any] = {
    "Dict": dict,
    "List": list,
    "Tuple": tuple,
    "Sequence": _abc.Sequence,
    "Iterable": _abc.Iterable,
    "Union": _AnyAlias(),
}


def install() -> None:
    """Patch cel-python (idempotent)."""
    # celpy logs evaluation failures with the full argument reprs at ERROR level (through logging's
    # last-resort handler that is megabytes on stderr for a big fact list); our outcome carries the error.
    logging.getLogger("celpy").setLevel(logging.CRITICAL + 1)
    logging.getLogger("celpy").propagate = False
    for name in ("Evaluator", "NameContainer", "Activation", "Environment", "celtypes", "evaluation"):
        logging.getLogger(name).setLevel(logging.CRITICAL + 1)
        logging.getLogger(name).propagate = False
    # The macros look these up as module attributes at call time; the operators through base_functions.
    ct.logical_and = _bounded_and
    ct.logical_or = _bounded_or
    ev.base_functions["_&&_"] = _bounded_and
    ev.base_functions["_||_"] = _bounded_or
    ev.base_functions["_+_"] = _bounded_add
    for generic, cheap in _CHEAP_GENERICS.items():
        setattr(ev, generic, cheap)
    sys.setrecursionlimit(RECURSION_LIMIT)
