"""Reading one function body's own signals from the ``ast``: environment variables set or deleted, HTTP
statuses and ``grpc.StatusCode`` members asserted, ``pytest.raises`` types, processes and servers started
and stopped, and the cleanup (``finally``, finalizers, ``with``) around them."""

from __future__ import annotations

import ast
import http
import re

from anops_policy.collectors.python.signals import Signals

from anops_policy.syntax.python_ast import (
    ENVIRON,
    Imports,
    call_arg,
    child_nodes,
    const_str,
    last_name,
    receiver_name,
    short_source,
)

HTTP_STATUS_ATTRS = frozenset({"status_code", "status"})
HTTP_CONSTANT = re.compile(r"^HTTP_(\d{3})(?:_|$)")
SERVERISH = re.compile(r"(?i)(server|srv|daemon|service|proc|process|popen|container)s?$|^p$")
PROCESS_STARTERS = frozenset(
    {
        "subprocess.Popen",
        "asyncio.create_subprocess_exec",
        "asyncio.create_subprocess_shell",
    }
)
SERVER_CTORS = frozenset(
    {
        "Popen",
        "server",
        "HTTPServer",
        "ThreadingHTTPServer",
        "TCPServer",
        "ThreadingTCPServer",
        "make_server",
        "Server",
        "Process",
        "create_subprocess_exec",
        "create_subprocess_shell",
    }
)
KILLS = frozenset({"os.kill", "os.killpg"})
STOP_ALWAYS = frozenset({"terminate", "kill", "send_signal"})
STOP_ON_SERVER = frozenset({"stop", "shutdown", "server_close", "wait", "communicate", "join"})
START_ON_SERVER = frozenset({"start", "serve_forever"})
LIFESPAN_CMS = frozenset({"TestClient", "LifespanManager", "lifespan", "lifespan_context"})
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
DOCKER_TOOLS = frozenset({"docker", "docker-compose", "podman", "podman-compose"})
DOCKER_UP = frozenset({"up", "run", "start"})
DOCKER_DOWN = frozenset({"down", "stop", "kill", "rm"})
SUBPROCESS_RUNNERS = frozenset(
    {"subprocess.run", "subprocess.call", "subprocess.check_call", "subprocess.check_output"}
)
INVALID_ADDRESS = re.compile(
    r"(?i)(\.invalid\b|nonexist|does-not-exist|no-such-host|unreachable|"
    r":(6553[6-9]|655[4-9]\d|65[6-9]\d\d|6[6-9]\d{3}|[7-9]\d{4}|\d{6,})\b)"
)


def http_status_of(node: ast.AST, imports: Imports) -> list[int]:
    """Status codes an expression names: ``422``, ``HTTPStatus.NOT_FOUND``, ``status.HTTP_422_...``."""
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return [code for elt in node.elts for code in http_status_of(elt, imports)]
    if isinstance(node, ast.Constant) and type(node.value) is int and 100 <= node.value <= 599:
        return [node.value]
    if isinstance(node, ast.Attribute):
        match = HTTP_CONSTANT.match(node.attr)
        if match:
            return [int(match.group(1))]
        owner = last_name(node.value)
        if owner == "HTTPStatus" and node.attr in http.HTTPStatus.__members__:
            return [int(http.HTTPStatus[node.attr])]
    return []


def _is_status_expr(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr in HTTP_STATUS_ATTRS


# ---- signals of one function body ---------------------------------------------------------------------
class SignalVisitor:
    def __init__(self, imports: Imports) -> None:
        self.imports = imports
        self.signals = Signals()
        self.calls: set[str] = set()
        self.tracked: set[str] = set()
        self.with_calls: list[tuple[ast.Call, int]] = []
        self.finally_nodes: set[int] = set()
        self.finally_stops: list[int] = []
        self.finalizers: list[int] = []
        self.yields = False

    def visit(self, func: ast.FunctionDef | ast.AsyncFunctionDef, extra: list[ast.expr]) -> None:
        """``extra``: decorators of the enclosing class (``@mock.patch.dict`` applies to every method).

        One traversal, each node flagged with whether it is the function's own code (not a nested
        function's) and the line of the ``try`` whose ``finally`` block it is in (0 when none)."""
        roots: list[ast.AST] = [*extra, *func.decorator_list, *func.body]
        flagged: list[tuple[ast.AST, bool, int]] = []
        stack: list[tuple[ast.AST, bool, int]] = [(r, True, 0) for r in reversed(roots)]
        while stack:
            node, own, final = stack.pop()
            flagged.append((node, own, final))
            nested = isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef)
            finals = {id(s) for s in node.finalbody} if isinstance(node, ast.Try) else set()
            children = child_nodes(node)
            for child in reversed(children):
                stack.append((child, own and not nested, node.lineno if id(child) in finals else final))  # type: ignore[attr-defined]
            if isinstance(node, ast.Assign | ast.AnnAssign | ast.withitem):
                self._track(node)
            elif own and isinstance(node, ast.Yield | ast.YieldFrom):
                self.yields = True
        self.finally_nodes = {id(n) for n, _own, final in flagged if final}
        for node, own, final in flagged:
            if isinstance(node, ast.Assert):
                self._assertion([node.test])
            elif isinstance(node, ast.Call):
                if final and last_name(node) in CLEANUP_CALLS:
                    self.finally_stops.append(final)
                if last_name(node) in FINALIZERS:
                    self.finalizers.append(node.lineno)
                self._call(node, own=own)
            elif isinstance(node, ast.With | ast.AsyncWith):
                for item in node.items:
                    if isinstance(item.context_expr, ast.Call):
                        self.with_calls.append((item.context_expr, node.lineno))
                        self._with_item(item.context_expr, node.lineno)
            elif isinstance(node, ast.Subscript) and self.imports.dotted(node.value) == ENVIRON:
                name = const_str(node.slice) or "<dynamic>"
                if isinstance(node.ctx, ast.Store):
                    self.signals.sets_env.add(name)
                elif isinstance(node.ctx, ast.Del):
                    self.signals.deletes_env.add(name)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and INVALID_ADDRESS.search(node.value):
                self.signals.invalid_address = True
            elif isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Attribute) and t.attr == "should_exit" for t in node.targets
            ):
                self.signals.stops.add((node.lineno, "should_exit"))

    def _track(self, node: ast.Assign | ast.AnnAssign | ast.withitem) -> None:
        value = node.context_expr if isinstance(node, ast.withitem) else node.value
        if not isinstance(value, ast.Call | ast.Await):
            return
        call = value.value if isinstance(value, ast.Await) else value
        if not isinstance(call, ast.Call) or last_name(call) not in SERVER_CTORS:
            return
        targets: list[ast.expr]
        if isinstance(node, ast.withitem):
            targets = [node.optional_vars] if node.optional_vars is not None else []
        elif isinstance(node, ast.Assign):
            targets = list(node.targets)
        else:
            targets = [node.target]
        for target in targets:
            name = last_name(target)
            if name:
                self.tracked.add(name)

    def _assertion(self, exprs: list[ast.expr]) -> None:
        for expr in exprs:
            for node in ast.walk(expr):
                if isinstance(node, ast.Compare):
                    operands = [node.left, *node.comparators]
                    if any(_is_status_expr(o) for o in operands):
                        for operand in operands:
                            self.signals.http_statuses.update(http_status_of(operand, self.imports))
                elif isinstance(node, ast.Attribute) and last_name(node.value) == "StatusCode":
                    self.signals.grpc_codes.add(node.attr)

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
        if name.startswith("assert") and isinstance(func, ast.Attribute):
            self._assertion(list(call.args))
            if len(call.args) >= 2 and any(_is_status_expr(a) for a in call.args[:2]):
                for arg in call.args[:2]:
                    self.signals.http_statuses.update(http_status_of(arg, self.imports))
        if qual == "pytest.raises" or name in {"assertRaises", "assertRaisesRegex"}:
            expected = call_arg(call, 0, "expected_exception")
            if expected is not None:
                elts = expected.elts if isinstance(expected, ast.Tuple) else [expected]
                self.signals.raises.update(short_source(e, 80) for e in elts)
        self._env_call(call, qual, name)
        self._lifecycle_call(call, qual, name, own=own)

    def _env_call(self, call: ast.Call, qual: str, name: str) -> None:
        sig = self.signals
        first = call_arg(call, 0)
        if name in {"setenv", "delenv"} and receiver_name(call) != "os":
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
                sig.sets_env.update(self._dict_keys(call_arg(call, 1, "values"), call))
                clear = call_arg(call, 99, "clear")
                if isinstance(clear, ast.Constant) and clear.value is True:
                    sig.deletes_env.add("*")

    @staticmethod
    def _dict_keys(node: ast.AST | None, call: ast.Call) -> set[str]:
        keys = {k.arg for k in call.keywords if k.arg and k.arg not in {"values", "clear"}}
        if isinstance(node, ast.Dict):
            keys.update(const_str(k) or "<dynamic>" for k in node.keys if k is not None)
        return keys

    def _lifecycle_call(self, call: ast.Call, qual: str, name: str, *, own: bool) -> None:
        sig = self.signals
        receiver = receiver_name(call)
        serverish = receiver is not None and (receiver in self.tracked or bool(SERVERISH.search(receiver)))
        stop = False
        if qual in PROCESS_STARTERS or qual == "uvicorn.run":
            sig.starts.add((call.lineno, qual))
        elif name in START_ON_SERVER and serverish:
            sig.starts.add((call.lineno, f"{receiver}.{name}"))
        elif name in STOP_ALWAYS or qual in KILLS or (name in STOP_ON_SERVER and serverish):
            stop = True
        elif qual in SUBPROCESS_RUNNERS:
            words = self._command_words(call_arg(call, 0, "args"))
            if words & DOCKER_TOOLS and words & DOCKER_UP:
                sig.starts.add((call.lineno, "container up"))
            elif words & DOCKER_TOOLS and words & DOCKER_DOWN:
                stop = True
        if stop:
            sig.stops.add((call.lineno, f"{receiver}.{name}" if receiver else qual or name))
            if own and id(call) not in self.finally_nodes:
                sig.stops_dependency = True

    @staticmethod
    def _command_words(node: ast.AST | None) -> set[str]:
        if isinstance(node, ast.List | ast.Tuple):
            return {s for s in (const_str(e) for e in node.elts) if s}
        text = const_str(node)
        return set(text.split()) if text else set()

    def _with_item(self, call: ast.Call, line: int) -> None:
        name = last_name(call) or ""
        qual = self.imports.dotted(call.func) or ""
        if name in LIFESPAN_CMS or qual == "subprocess.Popen" or name.endswith(("Container", "Compose")):
            self.signals.starts.add((line, name))
            self.signals.stops.add((line, name))
