"""Whether each start a function makes is stopped by that function itself: the ledger ``SignalVisitor``
fills with the starts (and the objects they leave running), the stops (on which objects, and how: in a
``finally``, registered as a cleanup, or plainly) and the lines that can fail a test (assertions); and the
short runs that are no start at all (a process the next statement waits for).

A start is stopped here when a stop of the same object sits in a ``finally``, is registered as a cleanup
(``addCleanup``/``addfinalizer``/``enter_context``: those run whatever fails), follows the fixture's
``yield``, or follows the start with nothing asserted in between (the stop is then reached unless the
start itself fails). A stop after an assertion is not teardown: a failing assertion skips it and leaves the
server running. What the function leaves unstopped is judged again across the suite (``suite.py``): a class
``tearDown``/``__exit__`` or a fixture's teardown may stop it."""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field

from anops_policy.syntax.python_ast import last_name, walk_nodes

WAITS = frozenset({"communicate", "wait"})
PROCESS_STARTS = frozenset({"Popen", "create_subprocess_exec", "create_subprocess_shell"})
# calls whose result stands for the object they are given: ``srv = loop.run_until_complete(coro)``
PASS_THROUGH = frozenset({"run_until_complete", "ensure_future", "create_task", "wait_for"})
HOW_PLAIN, HOW_FINALLY, HOW_CLEANUP = "plain", "finally", "cleanup"
# (line, call, objects): a start its function does not stop itself
Unstopped = tuple[int, str, tuple[str, ...]]


def starts_process(node: ast.Assign) -> bool:
    """``proc = Popen(...)`` or ``proc = await create_subprocess_exec(...)``: what ``waited_at_once`` pairs."""
    value = node.value.value if isinstance(node.value, ast.Await) else node.value
    return isinstance(value, ast.Call) and last_name(value.func) in PROCESS_STARTS


def waited_at_once(func: ast.FunctionDef | ast.AsyncFunctionDef) -> set[int]:
    """Ids of the process-starting calls whose process the very next statement waits for: ``proc =
    Popen(...)`` (or ``await asyncio.create_subprocess_exec(...)``) followed by ``proc.communicate(...)``
    or ``[await] proc.wait(...)``, also assigned or indexed. Such a run ends before anything can fail, so
    there is nothing left to tear down."""
    waited: set[int] = set()
    for node in walk_nodes(func):
        for field_name in ("body", "orelse", "finalbody", "handlers"):
            stmts = getattr(node, field_name, None)
            if not isinstance(stmts, list):
                continue
            for first, second in itertools.pairwise(stmts):
                if not (isinstance(first, ast.Assign) and len(first.targets) == 1):
                    continue
                target, value = first.targets[0], first.value
                value = value.value if isinstance(value, ast.Await) else value
                if not isinstance(target, ast.Name) or not isinstance(value, ast.Call):
                    continue
                if last_name(value.func) not in PROCESS_STARTS:
                    continue
                expr = second.value if isinstance(second, ast.Expr | ast.Assign) else None
                while isinstance(expr, ast.Await | ast.Subscript):
                    expr = expr.value
                if (
                    isinstance(expr, ast.Call)
                    and isinstance(expr.func, ast.Attribute)
                    and expr.func.attr in WAITS
                    and isinstance(expr.func.value, ast.Name)
                    and expr.func.value.id == target.id
                ):
                    waited.add(id(value))
    return waited


def names_in(nodes: Iterable[ast.AST]) -> set[str]:
    """The objects a call's arguments name: ``proc`` of ``proc.pid``, ``server`` of ``self.server``."""
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Attribute):
            owner = last_name(node.value)
            if owner and owner != "self":
                found.add(owner)
            if owner == "self":
                found.add(node.attr)
        elif isinstance(node, ast.Name) and node.id != "self":
            found.add(node.id)
    return found


@dataclass
class Ledger:
    starts: dict[tuple[int, str], set[str]] = field(default_factory=dict)
    stops: list[tuple[int, frozenset[str], str]] = field(default_factory=list)
    checks: list[int] = field(default_factory=list)
    bound: dict[int, set[str]] = field(default_factory=dict)  # id of a call → the names its result is bound to
    aliases: dict[str, set[str]] = field(default_factory=dict)  # name → the names it stands for

    def bind(self, value: ast.expr, names: list[str]) -> None:
        """``names = value``: a start's result bound to names (through ``run_until_complete(...)`` and
        friends too), or names standing for another (``srv = loop.run_until_complete(coro)``)."""
        while isinstance(value, ast.Await):
            value = value.value
        if not isinstance(value, ast.Call) or not names:
            return
        self.bound.setdefault(id(value), set()).update(names)
        # built by a factory the test takes (``runner = make_runner()``) or from such an object (``site =
        # SockSite(runner, sock)``): the factory fixture's teardown stops it
        made_from = [value.func, *value.args[:1]]
        for name in names:
            self.aliases.setdefault(name, set()).update(n.id for n in made_from if isinstance(n, ast.Name))
        if last_name(value) in PASS_THROUGH and value.args:
            inner = value.args[0]
            if isinstance(inner, ast.Call):
                self.bound.setdefault(id(inner), set()).update(names)
            elif isinstance(inner, ast.Name | ast.Attribute):
                for name in names:
                    self.aliases.setdefault(name, set()).add(last_name(inner) or "")

    def objects(self, names: Iterable[str]) -> set[str]:
        out = {n for n in names if n}
        todo = list(out)
        while todo:
            for other in self.aliases.get(todo.pop(), ()):
                if other and other not in out:
                    out.add(other)
                    todo.append(other)
        return out

    def start(self, call: ast.Call, line: int, what: str, names: Iterable[str] = ()) -> None:
        self.starts.setdefault((line, what), set()).update(self.objects([*names, *self.bound.get(id(call), ())]))

    def stop(self, line: int, names: Iterable[str], how: str) -> None:
        self.stops.append((line, frozenset(self.objects(names)), how))

    def unstopped(self, same_line: set[tuple[int, str]], yield_line: int) -> tuple[Unstopped, ...]:
        """The starts no stop of this function covers (``same_line``: starts stopped where they start, a
        ``with`` block's)."""
        out: list[Unstopped] = []
        for (line, what), objects in sorted(self.starts.items()):
            if (line, what) in same_line or any(self._covers(line, objects, stop, yield_line) for stop in self.stops):
                continue
            # objects named after another too (aliases) are kept: suite-level teardown is matched by name
            out.append((line, what, tuple(sorted(self.objects(objects)))))
        return tuple(out)

    def _covers(self, line: int, objects: set[str], stop: tuple[int, frozenset[str], str], yield_line: int) -> bool:
        at, names, how = stop
        if names and not names & objects:
            return False
        if not names and objects and how == HOW_PLAIN:
            return False  # a stop of nothing in particular (``docker compose down``) stops unnamed starts only
        if how != HOW_PLAIN or (yield_line and line <= yield_line < at):
            return True
        return at >= line and not any(line < check < at for check in self.checks)
