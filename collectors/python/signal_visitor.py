"""Reading one function body's own signals from the ``ast``: environment variables set or deleted, HTTP
statuses and ``grpc.StatusCode`` members asserted, ``pytest.raises`` types, processes and servers started
and stopped (``lifecycle.py``), and the cleanup (``finally``, finalizers, ``with``) around them."""

from __future__ import annotations

import ast
import re

from anops_policy.collectors.python.lifecycle import (
    KILLS,
    LEDGER_STOPS,
    LISTENING_CTORS,
    RUNNERS,
    SERVER_CTORS,
    SERVERISH,
    SERVERISH_FACTORY,
    STOP_ALWAYS,
    STOP_ON_SERVER,
    LifecycleReader,
)
from anops_policy.collectors.python.signals import Signals
from anops_policy.collectors.python.statuses import (
    compared_statuses,
    exception_status,
    grpc_codes_in,
    http_status_of,
    is_status_expr,
    statuses_in_match,
)
from anops_policy.collectors.python.teardown import (
    HOW_CLEANUP,
    HOW_FINALLY,
    HOW_PLAIN,
    Ledger,
    names_in,
    starts_process,
    waited_at_once,
)

from anops_policy.syntax.python_ast import (
    ENVIRON,
    Imports,
    call_arg,
    child_nodes,
    const_str,
    last_name,
    receiver_name,
    short_source,
    walk_nodes,
)

# calls that check what they are given: assertEqual, assert_status, expect_status, check_status, verify_…
# (a mock builder such as ``with_status(500)`` sets a status, it does not assert one)
CHECKER_PREFIXES = ("assert", "expect", "check", "verify", "ensure")
# callbacks run at teardown: ``addCleanup(server.shutdown)``, ``request.addfinalizer(proc.kill)``
CALLBACK_REGISTRARS = frozenset(
    {"addCleanup", "addAsyncCleanup", "addClassCleanup", "addfinalizer", "callback", "push_async_callback", "register"}
)
CLEANUP_CALLS = frozenset(
    {
        "terminate",
        "kill",
        "wait",
        "stop",
        "shutdown",
        "close",
        "cleanup",
        "rmtree",
        "unlink",
        "remove",
        "server_close",
        "send_signal",
        "killpg",
    }
)
FINALIZERS = frozenset({"addfinalizer", "addCleanup", "addAsyncCleanup", "addClassCleanup", "enterContext"})
INVALID_ADDRESS = re.compile(
    r"(?i)(\.invalid\b|nonexist|does-not-exist|no-such-host|unreachable|"
    r":(6553[6-9]|655[4-9]\d|65[6-9]\d\d|6[6-9]\d{3}|[7-9]\d{4}|\d{6,})\b)"
)


def _is_lifespan_scope(node: ast.Dict) -> bool:
    return any(
        const_str(k) == "type" and const_str(v) == "lifespan" for k, v in zip(node.keys, node.values, strict=True)
        if k is not None
    )


# the node types ``SignalVisitor._node`` reads; every other node (names, contexts, operators, …) it skips
_READ_NODES = frozenset(
    {ast.Assert, ast.Call, ast.With, ast.AsyncWith, ast.Subscript, ast.Dict, ast.Constant, ast.Assign}
)
_NESTED = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef})  # not the function's own code
_TRACKED = frozenset({ast.Assign, ast.AnnAssign, ast.withitem})
_YIELDS = frozenset({ast.Yield, ast.YieldFrom})


# ---- signals of one function body ---------------------------------------------------------------------
class SignalVisitor(LifecycleReader):
    def __init__(self, imports: Imports) -> None:
        self.imports = imports
        self.signals = Signals()
        self.calls: set[str] = set()
        self.tracked: set[str] = set()
        self.env_copies: set[str] = set()
        self.with_calls: list[tuple[ast.Call, int]] = []
        self.finally_nodes: set[int] = set()
        self.finally_stops: list[int] = []
        self.finalizers: list[int] = []
        self.yields = False
        self.yield_line = 0  # the first own yield: what follows it is the fixture's teardown
        self.strings: dict[str, str] = {}  # local names bound to a string: ``match = "400, message"``
        self.waited: set[int] = set()  # process starts waited for by the next statement (short-lived runs)
        self.ledger = Ledger()  # each start and stop with its objects: which start this function stops

    def visit(self, func: ast.FunctionDef | ast.AsyncFunctionDef, extra: list[ast.expr]) -> None:
        """``extra``: decorators of the enclosing class (``@mock.patch.dict`` applies to every method).

        One traversal, each node flagged with whether it is the function's own code (not a nested
        function's) and the line of the ``try`` whose ``finally`` block it is in (0 when none)."""
        roots: list[ast.AST] = [*extra, *func.decorator_list, *func.body]
        spawns = False  # whether ``waited_at_once`` can find anything (walking for it is costly)
        flagged: list[tuple[ast.AST, bool, int]] = []
        stack: list[tuple[ast.AST, bool, int]] = [(r, True, 0) for r in reversed(roots)]
        while stack:
            node, own, final = stack.pop()
            flagged.append((node, own, final))
            cls = node.__class__
            children = child_nodes(node)
            if children:
                child_own = own and cls not in _NESTED
                if cls is ast.Try and isinstance(node, ast.Try):
                    finals = {id(s) for s in node.finalbody}
                    line = node.lineno
                    stack.extend([(c, child_own, line if id(c) in finals else final) for c in reversed(children)])
                else:
                    stack.extend([(c, child_own, final) for c in reversed(children)])
            if cls not in _TRACKED and cls not in _YIELDS:
                continue
            if isinstance(node, ast.Assign | ast.AnnAssign | ast.withitem):
                self._track(node)
                if isinstance(node, ast.Assign) and not spawns:
                    spawns = starts_process(node)
                if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                    text = const_str(node.value)
                    if text is not None:
                        self.strings[node.targets[0].id] = text
            elif own and isinstance(node, ast.Yield | ast.YieldFrom):
                self.yields = True
                self.yield_line = min(self.yield_line or node.lineno, node.lineno)
        self.waited = waited_at_once(func) if spawns else set()
        self.finally_nodes = {id(n) for n, _own, final in flagged if final}
        for node, own, final in flagged:
            if node.__class__ not in _READ_NODES:  # nothing ``_node`` reads
                continue
            if own and self.yield_line and getattr(node, "lineno", 0) > self.yield_line:
                # a fixture's teardown restores the environment it found: not a change the tests make
                env = (set(self.signals.sets_env), set(self.signals.deletes_env))
                self._node(node, own, final)
                self.signals.sets_env, self.signals.deletes_env = env
            else:
                self._node(node, own, final)

    def _node(self, node: ast.AST, own: bool, final: int) -> None:
        """One node of the function's body (``own``: not a nested function's; ``final``: the line of the
        ``try`` whose ``finally`` block holds it, 0 when none; ``visit`` passes only ``_READ_NODES``)."""
        if isinstance(node, ast.Assert):
            self.ledger.checks.append(node.lineno)
            self._assertion([node.test])
        elif isinstance(node, ast.Call):
            if final and last_name(node) in CLEANUP_CALLS:
                self.finally_stops.append(final)
            if final and last_name(node) in LEDGER_STOPS:
                self.ledger.stop(node.lineno, self._stopped_objects(node), HOW_FINALLY)
            if last_name(node) in FINALIZERS:
                self.finalizers.append(node.lineno)
            self._call(node, own=own)
        elif isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                if isinstance(item.context_expr, ast.Call):
                    self.with_calls.append((item.context_expr, node.lineno))
                    self._with_item(item.context_expr, node.lineno)
                elif (last_name(item.context_expr) or "") in self.tracked:
                    # server = Server(handler); with server as (host, port): entering starts it, leaving stops it
                    name = last_name(item.context_expr) or ""
                    self.signals.starts.add((node.lineno, name))
                    self.signals.stops.add((node.lineno, name))
                    self.ledger.stop(node.lineno, [name], HOW_CLEANUP)
        elif isinstance(node, ast.Subscript) and (
            self.imports.dotted(node.value) == ENVIRON
            or (isinstance(node.value, ast.Name) and node.value.id in self.env_copies)
        ):
            name = const_str(node.slice) or "<dynamic>"
            if isinstance(node.ctx, ast.Store):
                self.signals.sets_env.add(name)
            elif isinstance(node.ctx, ast.Del):
                self.signals.deletes_env.add(name)
        elif isinstance(node, ast.Dict) and _is_lifespan_scope(node):
            # an ASGI ``{"type": "lifespan"}`` scope given to the app: the test drives its startup and shutdown
            self.signals.starts.add((node.lineno, "lifespan scope"))
            self.signals.stops.add((node.lineno, "lifespan scope"))
        elif isinstance(node, ast.Dict) and self._environ_copy(node):
            self.signals.sets_env.update(const_str(k) or "<dynamic>" for k in node.keys if k is not None)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and INVALID_ADDRESS.search(node.value):
            self.signals.invalid_address = True
        elif isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Attribute) and t.attr == "should_exit" for t in node.targets
        ):
            self.signals.stops.add((node.lineno, "should_exit"))
            self.ledger.stop(node.lineno, names_in(node.targets), HOW_FINALLY if final else HOW_PLAIN)

    def _track(self, node: ast.Assign | ast.AnnAssign | ast.withitem) -> None:
        value = node.context_expr if isinstance(node, ast.withitem) else node.value
        if isinstance(value, ast.Await):
            value = value.value
        targets: list[ast.expr]
        if isinstance(node, ast.withitem):
            targets = [node.optional_vars] if node.optional_vars is not None else []
        elif isinstance(node, ast.Assign):
            targets = list(node.targets)
        else:
            targets = [node.target]
        names = [n for n in (last_name(t) for t in targets if isinstance(t, ast.Name | ast.Attribute)) if n]
        if value is not None:
            self.ledger.bind(value, names)
        if self._environ_copy(value):
            self.env_copies.update(names)
            return
        if not isinstance(value, ast.Call):
            return
        name = last_name(value) or ""
        served = self._serve_target(value) if name in RUNNERS else None
        if served is not None:
            self.tracked.update(names)  # a thread running a server: joining it is part of the shutdown
            for target in names:  # stopping the server it runs ends the thread or task
                self.ledger.aliases.setdefault(target, set()).update(self._served_objects(value, served))
        elif name in SERVER_CTORS or name in LISTENING_CTORS or SERVERISH_FACTORY.search(name):
            self.tracked.update(names)

    def _environ_copy(self, node: ast.AST | None) -> bool:
        """``os.environ.copy()``, ``dict(os.environ, ...)``, ``{**os.environ, ...}``: an environment for a
        process the test starts."""
        if isinstance(node, ast.Call):
            qual = self.imports.dotted(node.func) or ""
            first = call_arg(node, 0)
            return qual == "os.environ.copy" or (
                last_name(node) == "dict" and first is not None and self.imports.dotted(first) == ENVIRON
            )
        if isinstance(node, ast.Dict):
            pairs = zip(node.keys, node.values, strict=True)
            return any(k is None and self.imports.dotted(v) == ENVIRON for k, v in pairs)
        return False

    def _assertion(self, exprs: list[ast.expr]) -> None:
        for expr in exprs:
            nodes = walk_nodes(expr)
            self.signals.http_statuses.update(compared_statuses(nodes, self.imports))
            self.signals.grpc_codes.update(grpc_codes_in(nodes, self.imports))

    def _call(self, call: ast.Call, *, own: bool) -> None:
        func = call.func
        qual = self.imports.dotted(func) or ""
        name = last_name(func) or ""
        if isinstance(func, ast.Name):
            self.calls.add(func.id)
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "self":
            self.calls.add("self." + func.attr)
        for arg in [*call.args, *(k.value for k in call.keywords)]:
            if isinstance(arg, ast.Name):
                self.calls.add(arg.id)  # a helper passed as a callback (Thread(target=serve))
        self._ledger_call(call, qual, name)
        if name.lower().startswith(CHECKER_PREFIXES):
            # self.assertEqual(resp.status_code, 400), assert_status(resp, 422), check_status(resp, 415)
            self._assertion(list(call.args))
            args = [*call.args, *(k.value for k in call.keywords)]
            if any(is_status_expr(a) for a in args) or "status" in name.lower():  # assert_status(resp, 422)
                for arg in args:
                    self.signals.http_statuses.update(http_status_of(arg, self.imports))
        if qual == "pytest.raises" or name in {"assertRaises", "assertRaisesRegex", "raises"}:
            expected = call_arg(call, 0, "expected_exception")
            if expected is not None:
                elts = expected.elts if isinstance(expected, ast.Tuple) else [expected]
                self.signals.raises.update(short_source(e, 80) for e in elts)
                statuses = {exception_status(last_name(e) or "") for e in elts}
                self.signals.http_statuses.update(code for code in statuses if code is not None)
                regex = call_arg(call, 1, "expected_regex") if name == "assertRaisesRegex" else None
                given = regex or call_arg(call, 99, "match")
                pattern = const_str(given) or (self.strings.get(given.id) if isinstance(given, ast.Name) else None)
                # an error status in the expected message (``match="400"``, ``"400, message='Got more than
                # 8190 bytes'"``): the error is an HTTP one, whatever the exception class is called
                self.signals.http_statuses.update(statuses_in_match(pattern))
        if name in CALLBACK_REGISTRARS:
            self._callbacks(call)
        self._env_call(call, qual, name)
        self._lifecycle_call(call, qual, name, own=own)

    def _ledger_call(self, call: ast.Call, qual: str, name: str) -> None:
        """An assertion (what can fail a test between a start and its stop), a cleanup registered (runs
        whatever fails: it covers the objects it names, or every start when it registers a function or
        lambda), a plain stop."""
        if name.lower().startswith(CHECKER_PREFIXES) or qual == "pytest.raises" or name == "raises":
            self.ledger.checks.append(call.lineno)
        elif name in FINALIZERS or name in CALLBACK_REGISTRARS:
            generic = any(isinstance(a, ast.Name | ast.Lambda) for a in call.args)
            self.ledger.stop(call.lineno, [] if generic else names_in(call.args), HOW_CLEANUP)
        elif (name in LEDGER_STOPS or qual in KILLS) and id(call) not in self.finally_nodes:
            self.ledger.stop(call.lineno, self._stopped_objects(call), HOW_PLAIN)

    def _callbacks(self, call: ast.Call) -> None:
        """Stops registered to run at teardown: ``self.addCleanup(self.server.shutdown)``."""
        for arg in call.args:
            if isinstance(arg, ast.Attribute):
                owner = last_name(arg.value) or ""
                serverish = owner in self.tracked or bool(SERVERISH.search(owner))
                if arg.attr in STOP_ALWAYS or (arg.attr in STOP_ON_SERVER and serverish):
                    self.signals.stops.add((call.lineno, f"{owner}.{arg.attr}"))
                elif self.imports.dotted(arg) in {"os.environ.pop", "os.unsetenv"} and len(call.args) > 1:
                    self.signals.deletes_env.add(const_str(call.args[1]) or "<dynamic>")

    def _env_call(self, call: ast.Call, qual: str, name: str) -> None:
        sig = self.signals
        first = call_arg(call, 0)
        receiver = receiver_name(call)
        if name in {"setenv", "delenv"} and receiver != "os":
            (sig.sets_env if name == "setenv" else sig.deletes_env).add(const_str(first) or "<dynamic>")
        elif name in {"setitem", "delitem"} and first is not None and self.imports.dotted(first) == ENVIRON:
            key = const_str(call_arg(call, 1)) or "<dynamic>"
            (sig.sets_env if name == "setitem" else sig.deletes_env).add(key)
        elif qual in {"os.putenv", "os.environ.setdefault"}:
            sig.sets_env.add(const_str(first) or "<dynamic>")
        elif qual in {"os.unsetenv", "os.environ.pop"}:
            sig.deletes_env.add(const_str(first) or "<dynamic>")
        elif qual == "os.environ.clear":
            sig.deletes_env.add("*")
        elif qual == "os.environ.update":
            sig.sets_env.update(self._dict_keys(first, call))
        elif qual.endswith("patch.dict") and first is not None:
            target = const_str(first) or self.imports.dotted(first)
            if target == ENVIRON:
                values = call_arg(call, 1, "values")
                sig.sets_env.update(self._dict_keys(values, call))
                if values is not None and not isinstance(values, ast.Dict):
                    sig.sets_env.add("<dynamic>")
                clear = call_arg(call, 99, "clear")
                if isinstance(clear, ast.Constant) and clear.value is True:
                    sig.deletes_env.add("*")
        elif receiver in self.env_copies and isinstance(call.func, ast.Attribute):
            # env = os.environ.copy(); env.update(PORT="0"); env.pop("TOKEN"); Popen(..., env=env)
            if name in {"update", "setdefault"}:
                keys = self._dict_keys(first, call) if name == "update" else {const_str(first) or "<dynamic>"}
                sig.sets_env.update(keys)
            elif name == "pop":
                sig.deletes_env.add(const_str(first) or "<dynamic>")
        env = call_arg(call, 99, "env")
        if isinstance(env, ast.Dict):
            # Popen(..., env={**os.environ, "PORT": "0"}) or a whole environment of its own
            sig.sets_env.update(const_str(k) or "<dynamic>" for k in env.keys if k is not None)
        elif isinstance(env, ast.Call) and last_name(env) == "dict":
            sig.sets_env.update(self._dict_keys(None, env))

    @staticmethod
    def _dict_keys(node: ast.AST | None, call: ast.Call) -> set[str]:
        keys = {k.arg for k in call.keywords if k.arg and k.arg not in {"values", "clear"}}
        if isinstance(node, ast.Dict):
            keys.update(const_str(k) or "<dynamic>" for k in node.keys if k is not None)
        return keys
