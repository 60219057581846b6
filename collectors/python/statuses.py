"""Which HTTP statuses and ``grpc.StatusCode`` members a test asserts, read from expressions.

An HTTP status is asserted when a comparison (``assert``, ``self.assertEqual``, an ``assert_*``/
``expect_*`` helper) puts a status-like value — ``resp.status_code`` (requests, httpx, TestClient,
Flask), ``resp.status`` (aiohttp, urllib responses), ``exc.value.code``/``err.code``/``resp.getcode()``
(urllib's ``HTTPError``), ``exc.response.status_code``, a variable named ``status``/``…_code`` — against
a status: ``400``, ``HTTPStatus.BAD_REQUEST``, ``status.HTTP_422_UNPROCESSABLE_ENTITY``,
``requests.codes.bad_request``. An expected exception that names its status (``HTTPBadRequest``,
werkzeug's ``BadRequest``, ``pytest.raises(HTTPError, match="400")``) asserts it too."""

from __future__ import annotations

import ast
import http
import re
from collections.abc import Iterable

from anops_policy.syntax.python_ast import Imports, last_name

HTTP_STATUS_ATTRS = frozenset({"status_code", "status", "code", "status_int", "http_status", "statuscode"})
HTTP_STATUS_CALLS = frozenset({"getcode", "get_status", "status_code"})
STATUS_NAME = re.compile(r"(?i)(^|_)(status|status_code|http_code|code)$")
HTTP_CONSTANT = re.compile(r"^HTTP_(\d{3})(?:_|$)")
STATUS_OWNERS = frozenset({"HTTPStatus", "codes", "status_codes"})
STATUS_IN_TEXT = re.compile(r"(?<!\d)([1-5]\d\d)(?!\d)")
CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
GRPC_CODE_NAMES = frozenset(
    {
        "OK",
        "CANCELLED",
        "UNKNOWN",
        "INVALID_ARGUMENT",
        "DEADLINE_EXCEEDED",
        "NOT_FOUND",
        "ALREADY_EXISTS",
        "PERMISSION_DENIED",
        "RESOURCE_EXHAUSTED",
        "FAILED_PRECONDITION",
        "ABORTED",
        "OUT_OF_RANGE",
        "UNIMPLEMENTED",
        "INTERNAL",
        "UNAVAILABLE",
        "DATA_LOSS",
        "UNAUTHENTICATED",
    }
)


def http_status_of(node: ast.AST, imports: Imports) -> list[int]:
    """Status codes an expression names: ``422``, ``HTTPStatus.NOT_FOUND``, ``status.HTTP_422_...``,
    ``requests.codes.bad_request``, ``HTTPStatus.BAD_REQUEST.value``; a tuple/list/set names each."""
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return [code for elt in node.elts for code in http_status_of(elt, imports)]
    if isinstance(node, ast.Constant) and type(node.value) is int and 100 <= node.value <= 599:
        return [node.value]
    if isinstance(node, ast.Attribute):
        if node.attr == "value":
            return http_status_of(node.value, imports)
        match = HTTP_CONSTANT.match(node.attr)
        if match:
            return [int(match.group(1))]
        owner = last_name(node.value)
        member = node.attr.upper()
        if owner in STATUS_OWNERS and member in http.HTTPStatus.__members__:
            return [int(http.HTTPStatus[member])]
    return []


def is_status_expr(node: ast.AST) -> bool:
    """A value that holds an HTTP status: ``x.status_code``, ``x.status``, ``exc.value.code``,
    ``resp.getcode()``, a variable named ``status``/``status_code``/``…_code``."""
    if isinstance(node, ast.Attribute):
        return node.attr in HTTP_STATUS_ATTRS
    if isinstance(node, ast.Call) and not node.args and isinstance(node.func, ast.Attribute):
        return node.func.attr in HTTP_STATUS_CALLS
    if isinstance(node, ast.Name):
        return bool(STATUS_NAME.search(node.id))
    return False


def compared_statuses(nodes: Iterable[ast.AST], imports: Imports) -> set[int]:
    """Statuses compared with a status-like value anywhere in an assertion's expression (``nodes``:
    ``walk_nodes`` of it)."""
    found: set[int] = set()
    for node in nodes:
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            if any(is_status_expr(o) for o in operands):
                for operand in operands:
                    found.update(http_status_of(operand, imports))
    return found


def exception_status(name: str) -> int | None:
    """The error status an exception class names: ``HTTPBadRequest``/``BadRequest`` → 400,
    ``HTTPUnprocessableEntity`` → 422, ``NotFoundError`` → 404 (None for anything else)."""
    base = name.rsplit(".", 1)[-1].removeprefix("HTTP")
    for suffix in ("Error", "Exception"):
        base = base.removesuffix(suffix)
    member = CAMEL.sub("_", base).upper()
    if member and member in http.HTTPStatus.__members__:
        code = int(http.HTTPStatus[member])
        return code if code >= 400 else None
    return None


def statuses_in_match(pattern: str | None) -> set[int]:
    """Error statuses in a ``pytest.raises(..., match=…)``/``assertRaisesRegex`` pattern."""
    if not pattern:
        return set()
    return {int(m) for m in STATUS_IN_TEXT.findall(pattern) if 400 <= int(m) <= 599}


def grpc_codes_in(nodes: Iterable[ast.AST], imports: Imports) -> set[str]:
    """``grpc.StatusCode`` members an assertion names: ``StatusCode.INTERNAL`` (however imported), or a
    member's name compared with a ``.code()`` result (``e.code().name == "INTERNAL"``); ``nodes``:
    ``walk_nodes`` of the assertion's expression."""
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Attribute) and node.attr in GRPC_CODE_NAMES:
            owner = imports.dotted(node.value) or last_name(node.value) or ""
            if owner.rsplit(".", 1)[-1] == "StatusCode":
                found.add(node.attr)
        elif isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            if any(_is_code_call(o) for o in operands):
                found.update(o.value for o in operands if isinstance(o, ast.Constant) and o.value in GRPC_CODE_NAMES)
    return found


def _is_code_call(node: ast.AST) -> bool:
    if isinstance(node, ast.Attribute) and node.attr == "name":
        node = node.value
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "code"
