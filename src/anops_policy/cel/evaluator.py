"""Compile and evaluate CEL expressions with cel-python, under the guard rails the project's measurements
showed to be necessary (see ../shared/notes/cel-python.md):

1. Error blow-up: ``logical_and``/``logical_or`` embed the reprs of *both* error operands, so an error on
   every element of ``all()``/``exists()`` doubles the message per element (24 elements: 268 MB).
   ``celpy_patches`` makes both return the first error when both sides are errors — the CEL result is the same.
2. Recursion: deep trees raise a raw ``RecursionError``; ``check.py`` rejects them at load time and
   ``evaluate`` turns any that slips through into an error outcome.
3. No cost limit: a per-evaluation CPU-time deadline (``deadline.py``) interrupts it.
4. ``CompiledRunner`` is faster but wrong on ``has()`` forms and not thread-safe: never used.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import celpy
import celpy.celparser
import celpy.evaluation as ev
import lark

from anops_policy.cel import backend, celpy_patches
from anops_policy.cel.deadline import DeadlineExceeded
from anops_policy.cel.flatten import flattened
from anops_policy.cel.functions import EXTRA_FUNCTIONS
from anops_policy.cel.literals import MAX_ESCAPES_UNCLOSED, runaway_literal
from anops_policy.cel.values import CELValue, cel_type, error_text

Tree = lark.Tree[Any]

celpy_patches.install()


class CelSyntaxError(Exception):
    def __init__(self, message: str, line: int | None, column: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


class CelRuntimeError(Exception):
    """An evaluation that produced a CEL error value or raised."""


_local = threading.local()


class _RunEnvironment(celpy.Environment):
    """An environment that runs trees but cannot parse: ``celpy.Environment()`` also builds the LALR
    parser (~0.12 s of CPU), which a run whose trees all came from the compiled-policy cache never uses.
    Runners read only ``package`` and ``annotations``; ``program()`` reads ``runner_class`` and ``logger``."""

    def __init__(self) -> None:  # no super().__init__(): that is what builds the parser
        self.logger = logging.getLogger("celpy.Environment")
        self.package = None
        self.annotations = dict(celpy.googleapis)
        self.runner_class = celpy.InterpretedRunner


def _env() -> celpy.Environment:
    env = getattr(_local, "env", None)
    if env is None:
        env = _RunEnvironment()
        _local.env = env
    return env


def _parser() -> celpy.celparser.CELParser:
    # one per thread: parse() keeps the text on the instance (the grammar tables are shared)
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = celpy.celparser.CELParser(tree_class=celpy.InterpretedRunner.tree_node_class)
    return parser


@dataclass(frozen=True)
class Compiled:
    source: str
    tree: Tree


def compile_expr(source: str) -> Compiled:
    """Parse a CEL expression (no evaluation). Raises ``CelSyntaxError`` with the position in ``source``."""
    runaway = runaway_literal(source)
    if runaway is not None:
        raise CelSyntaxError(f"unterminated string with over {MAX_ESCAPES_UNCLOSED} escapes", *runaway)
    try:
        tree = _parser().parse(source)
    except celpy.celparser.CELParseError as exc:
        line = getattr(exc, "line", None)
        column = getattr(exc, "column", None)
        raise CelSyntaxError(_parse_problem(exc.__context__), line, column) from None
    except RecursionError:
        raise CelSyntaxError("expression nested too deeply", None, None) from None
    return Compiled(source, tree)


def _parse_problem(cause: BaseException | None) -> str:
    """A one-line reason from Lark's exception (celpy's own message only repeats the source)."""
    token = getattr(cause, "token", None)
    if isinstance(cause, lark.exceptions.UnexpectedCharacters):
        return f"unexpected character {getattr(cause, 'char', '?')!r}"
    if token is not None and str(token):
        return f"unexpected {str(token)!r}"
    if token is not None:
        return "unexpected end of expression"
    return "syntax error"


def _activation(names: Mapping[str, CELValue]) -> Any:
    """An activation binding ``names`` on top of this thread's base activation (celpy's annotations and
    our functions), which is built once. celpy's runner builds a base activation per evaluation (parsing
    the annotations' names) and then copies it to bind the names: ~25 µs of a ~55 µs look-up, paid ~1,500
    times by a pack's run. Name resolution is the same: these names first, then the base's."""
    base = getattr(_local, "activation", None)
    if base is None:
        env = _env()
        functions = {**EXTRA_FUNCTIONS, "type": cel_type}
        base = _local.activation = ev.Activation(package=env.package, annotations=env.annotations, functions=functions)
    return base.nested_activation(vars=names)


def evaluate(tree: Tree, activation: Mapping[str, CELValue]) -> CELValue:
    """Evaluate a (sub-)tree. Returns the CEL value; raises ``CelRuntimeError`` for an error result,
    lets ``DeadlineExceeded`` through for the caller's deadline."""
    native = backend.native_backend()
    if native is not None:
        value = native.evaluate(tree, activation)
        if value is not native.FALLBACK:
            return value
        started = time.perf_counter()
        try:
            return _evaluate_celpy(tree, activation)
        finally:
            native.spent(tree, time.perf_counter() - started)  # what cel-python cost: `auto` weighs it
    return _evaluate_celpy(tree, activation)


def _evaluate_celpy(tree: Tree, activation: Mapping[str, CELValue]) -> CELValue:
    try:
        result = ev.Evaluator(ast=flattened(tree), activation=_activation(activation)).evaluate()
    except DeadlineExceeded:
        raise
    except RecursionError:
        raise CelRuntimeError("expression nested too deeply to evaluate") from None
    except Exception as exc:  # celpy raises assorted exception types for runtime errors
        raise CelRuntimeError(error_text(exc)) from None
    if isinstance(result, Exception):
        raise CelRuntimeError(error_text(result))
    return result
