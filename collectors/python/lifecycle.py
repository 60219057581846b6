"""How a test function starts and stops processes, servers, threads and containers: the calls that start
one (``Popen``, ``server.start()``, a thread or task running a server, ``app.create_server(...)``,
``docker compose up``), those that stop one, the ``with`` blocks that do both, and — through the
``teardown.Ledger`` — which of its starts the function stops itself. ``SignalVisitor`` reads the rest of
a function's signals on top of this."""

from __future__ import annotations

import ast
import re

from anops_policy.collectors.python.signals import Signals
from anops_policy.collectors.python.teardown import HOW_FINALLY, HOW_PLAIN, Ledger, Unstopped, names_in

from anops_policy.syntax.python_ast import Imports, call_arg, const_str, last_name, receiver_name

SERVERISH = re.compile(r"(?i)(server|srv|httpd|daemon|service|proc|process|popen|container|runner|site)s?$|^p$")
# a call whose result is a server or process to track: ``srv = start_server(...)``, ``spawn_service()``
SERVERISH_FACTORY = re.compile(r"(?i)server|spawn|launch|popen|start_service|run_service")
APPISH = re.compile(r"(?i)(^|_)(app|application|api)$")
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
        "AppRunner",
        "TCPSite",
        "UnixSite",
        "TestServer",
    }
)
# calls that return a server already listening (asyncio, websockets, aiohttp's test server)
LISTENING_CTORS = frozenset({"start_server", "create_server", "start_unix_server", "serve", "start_test_server"})
# thread/process constructors whose ``target`` runs a server: ``Thread(target=httpd.serve_forever)``
# an asyncio task running a serving coroutine: ``loop.create_task(serve_forever(server))``
TASK_RUNNERS = frozenset({"create_task", "ensure_future"})
RUNNERS = frozenset(
    {"Thread", "Process", "Timer", "submit", "run_in_executor", "to_thread", "start_new_thread", *TASK_RUNNERS}
)
SERVE_REFS = frozenset({"serve_forever", "serve", "run_forever", "run_app", "wait_for_termination"})
SERVE_ON_SERVER = frozenset({"run", "start", "listen", "start_serving"})
SERVE_FUNCTION = re.compile(r"(?i)serve|server|run_app|^main$|^run$|^start$")
SERVE_COROUTINE = re.compile(r"(?i)serve|server|run_app")  # a task's coroutine: not any ``main()``/``run()``
KILLS = frozenset({"os.kill", "os.killpg"})
STOP_ALWAYS = frozenset({"terminate", "kill", "send_signal"})
STOP_ON_SERVER = frozenset({"stop", "shutdown", "server_close", "wait", "communicate", "join", "cleanup", "close"})
START_ON_SERVER = frozenset({"start", "serve_forever", "serve", "start_serving", "listen", "start_server"})
TEST_CLIENT = re.compile(r"(?i)test_?client")
# a client attribute (not a method) whose requests each run the server: sanic's ``app.test_client.get("/")``,
# ``app.asgi_client.post(...)``
SERVING_CLIENTS = frozenset({"test_client", "asgi_client"})
LIFESPAN_CMS = frozenset(
    {"TestClient", "TestServer", "LifespanManager", "lifespan", "lifespan_context", "LiveServer", "live_server"}
)
# calls that end what an object runs, or wait for its end (``poll`` too: a process polled until it exits),
# for the ledger of which start is stopped (on any receiver: the ledger matches receivers to the objects a
# start left running). ``wait_closed`` is not one: it waits for a close that something else must make.
LEDGER_STOPS = frozenset(
    {"terminate", "kill", "send_signal", "stop", "shutdown", "server_close", "close", "join", "wait", "communicate"}
    | {"cleanup", "aclose", "poll"}
)
DOCKER_TOOLS = frozenset({"docker", "docker-compose", "podman", "podman-compose"})
DOCKER_UP = frozenset({"up", "run", "start"})
DOCKER_DOWN = frozenset({"down", "stop", "kill", "rm"})
SUBPROCESS_RUNNERS = frozenset(
    {"subprocess.run", "subprocess.call", "subprocess.check_call", "subprocess.check_output"}
)


class LifecycleReader:
    """The start/stop part of ``SignalVisitor`` (which sets these attributes)."""

    imports: Imports
    signals: Signals
    tracked: set[str]
    waited: set[int]
    finally_nodes: set[int]
    ledger: Ledger
    yield_line: int

    def _serve_target(self, call: ast.Call) -> str | None:
        """What a thread, process or executor call runs when that is a server: ``target=httpd.serve_forever``,
        ``target=server.run`` (uvicorn), ``target=app.run``, ``target=serve``, ``submit(srv.serve_forever)``."""
        name = last_name(call) or ""
        if name in {"Thread", "Process", "Timer"}:
            candidates = [call_arg(call, 1, "function" if name == "Timer" else "target")]
        else:
            candidates = list(call.args[:2])
        for target in candidates:
            if isinstance(target, ast.Attribute):
                owner = last_name(target.value) or ""
                serverish = owner in self.tracked or bool(SERVERISH.search(owner)) or bool(APPISH.search(owner))
                qual = self.imports.dotted(target) or ""
                if target.attr in SERVE_REFS or (target.attr in SERVE_ON_SERVER and serverish) or qual == "uvicorn.run":
                    return f"{owner}.{target.attr}"
            elif isinstance(target, ast.Name) and SERVE_FUNCTION.search(target.id):
                return target.id
            elif isinstance(target, ast.Call) and name in TASK_RUNNERS:
                inner = target.func
                if isinstance(inner, ast.Attribute) and (
                    inner.attr in SERVE_REFS
                    or (inner.attr in SERVE_ON_SERVER and bool(SERVERISH.search(last_name(inner.value) or "")))
                ):
                    return f"{last_name(inner.value)}.{inner.attr}"
                if isinstance(inner, ast.Name) and SERVE_COROUTINE.search(inner.id):
                    return inner.id
        return None

    @staticmethod
    def _served_objects(call: ast.Call, served: str) -> set[str]:
        """What a thread or task runs: the server of ``target=server.serve_forever``, the arguments of
        ``create_task(serve_forever(server))``."""
        owner = served.rpartition(".")[0]
        found = {owner} if owner else set()
        for arg in [*call.args[:2], *(k.value for k in call.keywords)]:
            if isinstance(arg, ast.Call):
                found |= names_in([*arg.args, *(k.value for k in arg.keywords)])
        return found

    def stopped(self) -> tuple[str, ...]:
        """Every object this function stops or waits for, however (for a class's ``tearDown``)."""
        return tuple(sorted({n for _line, names, _how in self.ledger.stops for n in names}))

    def unstopped(self) -> tuple[Unstopped, ...]:
        """The starts of this function that it does not stop itself (``teardown.Ledger``)."""
        return self.ledger.unstopped(set(self.signals.starts & self.signals.stops), self.yield_line)

    @staticmethod
    def _stopped_objects(call: ast.Call) -> set[str]:
        """``server`` of ``self.server.stop()``, ``proc`` of ``os.kill(proc.pid, …)``."""
        found = names_in([call.func.value]) if isinstance(call.func, ast.Attribute) else set()
        return found | (names_in(call.args) if not found or last_name(call) in {"kill", "killpg"} else set())

    def _lifecycle_call(self, call: ast.Call, qual: str, name: str, *, own: bool) -> None:
        sig = self.signals
        receiver = receiver_name(call)
        serverish = receiver is not None and (receiver in self.tracked or bool(SERVERISH.search(receiver)))
        stop = False
        served = self._serve_target(call) if name in RUNNERS else None
        func = call.func
        if (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Attribute)
            and func.value.attr in SERVING_CLIENTS
        ):
            sig.starts.add((call.lineno, func.value.attr))
            sig.stops.add((call.lineno, func.value.attr))
        # a process the next statement waits for (proc = Popen(...); proc.communicate()) is a short run: no start
        start = self.ledger.start
        if (qual in PROCESS_STARTERS or qual == "uvicorn.run") and id(call) not in self.waited:
            sig.starts.add((call.lineno, qual))
            start(call, call.lineno, qual)
        elif served is not None:
            sig.starts.add((call.lineno, served))
            start(call, call.lineno, served, self._served_objects(call, served))
        elif name in LISTENING_CTORS and (
            receiver is None
            or receiver in {"asyncio", "loop", "websockets"}
            or bool(SERVERISH.search(receiver) or APPISH.search(receiver))  # ``app.create_server(...)``: Sanic's
        ):
            sig.starts.add((call.lineno, qual or name))
            # ``server.start_server()`` leaves its receiver serving; ``loop.create_server()`` what it returns
            on = names_in([func.value]) if isinstance(func, ast.Attribute) else set()
            start(call, call.lineno, qual or name, on if SERVERISH.search(receiver or "") else ())
        elif name in START_ON_SERVER and serverish:
            sig.starts.add((call.lineno, f"{receiver}.{name}"))
            on = names_in([func.value]) if isinstance(func, ast.Attribute) else set()
            start(call, call.lineno, f"{receiver}.{name}", on)
        elif name in STOP_ALWAYS or qual in KILLS or (name in STOP_ON_SERVER and serverish):
            stop = True
        elif qual in SUBPROCESS_RUNNERS:
            words = self._command_words(call_arg(call, 0, "args"))
            if words & DOCKER_TOOLS and words & DOCKER_UP:
                sig.starts.add((call.lineno, "container up"))
                start(call, call.lineno, "container up")
            elif words & DOCKER_TOOLS and words & DOCKER_DOWN:
                stop = True
                self.ledger.stop(call.lineno, [], HOW_FINALLY if id(call) in self.finally_nodes else HOW_PLAIN)
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
        # a test client built around the app (``TestClient(app)``, a ``test_client_factory(app)``) runs the app's
        # lifespan when entered; Flask's ``app.test_client()`` takes no app and runs none
        client_of_app = bool(TEST_CLIENT.search(name)) and bool(call.args)
        container = name.endswith(("Container", "Compose"))
        if name in LIFESPAN_CMS or client_of_app or qual == "subprocess.Popen" or container:
            self.signals.starts.add((line, name))
            self.signals.stops.add((line, name))
        elif name in SERVER_CTORS or name in LISTENING_CTORS:
            # leaving ``with ThreadingHTTPServer(...) as httpd:`` closes the server's socket
            self.signals.stops.add((line, name))
