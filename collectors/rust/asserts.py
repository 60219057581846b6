"""What Rust tests assert about build artifacts: generated code that must exist on disk, and docker
images (``docker image inspect``, image tags, a fake ``docker``'s call log).

A call log is what fake programs (a ``docker``, ``python`` or ``protoc`` script on ``PATH``) record of how
they were run; a test that reads it (``fs::read_to_string(&log)``, assert_fs ``child("calls.log").assert(…)``,
a variable named like a log) and asserts a code generator's invocation (``grpc_tools.protoc``,
``--grpc_python_out``, ``protoc``, ``tonic_build``) verifies the generated code, and one that asserts a
``docker build``/``--tag`` call verifies the image — with ``assert!(log.contains(…))`` or
``predicate::str::contains(…)``. What the CLI printed (``.stdout(…)``/``.stderr(…)``) is not a log.

Works on ``rust_scan`` structures, so literals in comments never count. An assertion in a helper
function is credited to every test that reaches the helper (calls followed within the test files)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from anops_policy.collectors.rust.scan import FnItem, Scan, scan
from anops_policy.collectors.rust.tokens import IDENT, STR, Token

from anops_policy.syntax.rust_source import RUST
from anops_policy.syntax.trees import source_trees

ASSERT_MACROS = ("assert", "assert_eq", "assert_ne", "debug_assert", "debug_assert_eq", "prop_assert")
EXISTENCE_METHODS = ("exists", "is_file", "is_dir", "try_exists", "metadata")
IMAGE_REF = re.compile(r"^(?:[a-z0-9.-]+(?::\d+)?/)?[a-z0-9._-]+(?:/[a-z0-9._-]+)*:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_DOCKER = ("docker", "podman", "nerdctl", "buildah")
# a code generator's invocation as a fake records it
CODEGEN_CALL = re.compile(
    r"protoc|grpc_tools|_out\b|_pb2|--proto_path|\.proto\b|tonic_build|tonic-build|prost|buf generate|flatc|capnp"
)
# a container build as a fake docker records it
DOCKER_CALL = re.compile(
    r"(?i)\b(docker|podman|buildah|nerdctl)\b.*\b(build|buildx|push|tag)\b|\bbuild\b.*(\s-t\b|--tag\b|-f\s|--file\b)"
    r"|(\s|^)(-t|--tag)[\s=]\S+"
)
# where a test keeps what the fakes recorded
LOGGY = re.compile(r"(?i)log|calls|record|invocation|history|journal|captured|trace")
FILE_READS = frozenset({"read_to_string", "read_lines", "lines", "read", "open", "child"})


@dataclass
class Verification:
    kind: str  # generated_code_exists | image_inspect | image_tag | docker_call_log
    line: int
    function: str
    evidence: str  # the literal or identifier that made it count


def _macro_calls(sc: Scan, body: tuple[int, int]) -> list[tuple[str, int, int, list[Token]]]:
    """Assert-like macro calls in a body: (macro, token index, line, argument tokens)."""
    toks, match = sc.tokens, sc.match
    out: list[tuple[str, int, int, list[Token]]] = []
    for i in range(body[0] + 1, body[1] - 2):
        t = toks[i]
        if t.kind == IDENT and t.text in ASSERT_MACROS and toks[i + 1].is_punct("!") and (i + 2) in match:
            out.append((t.text, i, t.line, toks[i + 3 : match[i + 2]]))
    return out


def _statements(sc: Scan, body: tuple[int, int]) -> list[tuple[int, list[Token]]]:
    """Top-level statements of a body (split at ``;`` outside brackets), with their first token index."""
    toks, match = sc.tokens, sc.match
    out: list[tuple[int, list[Token]]] = []
    current: list[Token] = []
    start = body[0] + 1
    i = start
    while i < body[1]:
        t = toks[i]
        if t.kind == "punct" and t.text in "([{" and i in match:
            current.extend(toks[i : match[i] + 1])
            i = match[i] + 1
            if t.text == "{" and (i >= body[1] or not toks[i].is_punct(".")):
                out.append((start, current))
                current, start = [], i
            continue
        if t.is_punct(";"):
            out.append((start, current))
            current, start = [], i + 1
        else:
            current.append(t)
        i += 1
    if current:
        out.append((start, current))
    return out


def _let_literals(sc: Scan, body: tuple[int, int]) -> dict[str, list[tuple[int, list[str]]]]:
    """``let NAME = …;`` → (token index, the string literals on its right-hand side) per binding, in
    order: one level of data flow, where a later ``let`` shadows an earlier one."""
    out: dict[str, list[tuple[int, list[str]]]] = {}
    for index, stmt in _statements(sc, body):
        if len(stmt) >= 3 and stmt[0].is_ident("let"):
            k = 2 if stmt[1].is_ident("mut") else 1
            if k < len(stmt) and stmt[k].kind == IDENT:
                out.setdefault(stmt[k].text, []).append((index, [t.text for t in stmt if t.kind == STR]))
    return out


def _flowed(names: list[str], lets: dict[str, list[tuple[int, list[str]]]], at: int) -> list[str]:
    """Literals bound to ``names`` by the last ``let`` before token ``at``."""
    out: list[str] = []
    for name in names:
        before = [lits for index, lits in lets.get(name, []) if index < at]
        if before:
            out.extend(before[-1])
    return out


def _negative(macro: str, args: list[Token]) -> bool:
    """``assert!(x.is_empty())``, ``assert!(!…)``, ``assert_eq!(x.len(), 0)``: asserting absence."""
    texts = [t.text for t in args]
    if macro.startswith(("assert_ne", "debug_assert_ne")):
        return False
    if args and args[0].is_punct("!"):
        return True
    if "is_empty" in texts or "is_none" in texts:
        return True
    return macro.endswith("_eq") and any(t.kind == "num" and t.text == "0" for t in args)


# (kind, line, function, evidence); a generated_code_exists check carries the tuple of candidate
# literals instead, and counts when one of them (the first, in order) names generated code
Pending = tuple[str, int, str, str | tuple[str, ...]]


@dataclass(frozen=True)
class TestFileChecks:
    """What the grpc collector needs of one Rust test file, independent of the repository's protos, so
    the rust collector can leave it in the run's memo while it holds the file's scan (a scan takes ~50x
    its source in memory, this a small fraction)."""

    tests: tuple[str, ...]  # names of its #[test] functions
    # name → functions of the file calling it; tuples, not sets: the cyclic GC stops tracking a tuple of
    # strings, and a run keeps thousands of these (sets made the rust collector 13 s slower, measured)
    callers: dict[str, tuple[str, ...]]
    pending: tuple[Pending, ...]

    def verifications(self, generated: Callable[[str], bool]) -> list[Verification]:
        """Every artifact check of the file, ``generated`` saying whether a literal names generated code;
        one per (kind, line, function), the first found."""
        seen: set[tuple[str, int, str]] = set()
        unique: list[Verification] = []
        for kind, line, function, found in self.pending:
            evidence = next((lit for lit in found if generated(lit)), None) if isinstance(found, tuple) else found
            if evidence is not None and (kind, line, function) not in seen:
                seen.add((kind, line, function))
                unique.append(Verification(kind, line, function, evidence))
        return unique


def test_file_checks(sc: Scan) -> TestFileChecks:
    pending: list[Pending] = []
    for fn in sc.fns:
        if fn.body is None:
            continue
        lets = _let_literals(sc, fn.body)
        for macro, index, line, args in _macro_calls(sc, fn.body):
            flowed = _flowed([t.text for t in args if t.kind == IDENT], lets, index)
            pending.extend(_from_assert(fn, macro, line, args, flowed))
        pending.extend(_from_statements(sc, fn))
        pending.extend(_from_call_logs(sc, fn))
    callers: dict[str, set[str]] = {}
    for fn in sc.fns:
        for name in calls(sc, fn):
            callers.setdefault(name, set()).add(fn.name)
    return TestFileChecks(
        tests=tuple(fn.name for fn in sc.fns if fn.is_test),
        callers={name: tuple(who) for name, who in callers.items()},
        pending=tuple(pending),
    )


def verifications(sc: Scan, generated: Callable[[str], bool]) -> list[Verification]:
    """Every artifact check in the functions of one test file. ``generated`` says whether a path
    literal names generated code."""
    return test_file_checks(sc).verifications(generated)


MEMO_KEY = "rust_asserts.test_files"  # picklable entries: parallel collection ships them between workers
_MEMO_KEY = MEMO_KEY


def remember_test_file(memo: dict[str, Any], path: str, src: str, sc: Scan) -> None:
    """Called by the rust collector for each file under a ``tests/`` folder it scans (``memo`` is the
    run's ``CollectContext.memo``): the grpc collector then scans none of them again."""
    remember_checks(memo, path, src, test_file_checks(sc))


def remember_checks(memo: dict[str, Any], path: str, src: str, checks: TestFileChecks) -> None:
    """``remember_test_file`` with the checks already made (the rust collector's summary cache)."""
    kept: dict[str, tuple[int, TestFileChecks]] = memo.setdefault(_MEMO_KEY, {})
    kept[path] = (hash(src), checks)


def test_file_checks_of(memo: dict[str, Any], path: str, src: str) -> TestFileChecks:
    """``path``'s checks (of exactly ``src``): the rust collector's when it ran first in this process,
    else scanned here."""
    hit = memo.get(_MEMO_KEY, {}).get(path)
    if hit is not None and hit[0] == hash(src):
        return cast(TestFileChecks, hit[1])
    return test_file_checks(scan(src, source_trees(memo).tree(path, src, RUST)))


def _from_assert(fn: FnItem, macro: str, line: int, args: list[Token], flowed: list[str]) -> list[Pending]:
    out: list[Pending] = []
    idents = [t.text for t in args if t.kind == IDENT]
    literals = [t.text for t in args if t.kind == STR]
    if any(m in idents for m in EXISTENCE_METHODS) and not _negative(macro, args):
        out.append(("generated_code_exists", line, fn.name, (*literals, *flowed)))
    if _negative(macro, args):
        return out
    docker_ident = next((i for i in idents if any(d in i.lower() for d in _DOCKER)), None)
    if docker_ident is not None:
        out.append(("docker_call_log", line, fn.name, docker_ident))
    tag = next((lit for lit in literals if IMAGE_REF.match(lit) and "/" in lit), None)
    if tag is not None:
        out.append(("image_tag", line, fn.name, tag))
    return out


def _from_statements(sc: Scan, fn: FnItem) -> list[Pending]:
    """Checks that are not assert macros: assert_fs's ``.assert(predicate::path::exists())`` on a
    generated path, and running ``docker image inspect`` / ``docker images``."""
    assert fn.body is not None
    out: list[Pending] = []
    for _, stmt in _statements(sc, fn.body):
        idents = [t.text for t in stmt if t.kind == IDENT]
        literals = [t.text for t in stmt if t.kind == STR]
        if not stmt:
            continue
        existence = any(m in idents for m in ("exists", "is_file", "is_dir"))
        if "predicate" in idents and "path" in idents and existence and "missing" not in idents:
            out.append(("generated_code_exists", stmt[0].line, fn.name, tuple(literals)))
        lowered = [lit.lower() for lit in literals]
        if any(lit in _DOCKER for lit in lowered) and ("inspect" in lowered or "images" in lowered):
            out.append(("image_inspect", stmt[0].line, fn.name, "inspect" if "inspect" in lowered else "images"))
        elif any(lit.startswith(tuple(f"{d} image inspect" for d in _DOCKER)) for lit in lowered):
            out.append(("image_inspect", stmt[0].line, fn.name, "image inspect"))
    return out


def _from_call_logs(sc: Scan, fn: FnItem) -> list[Pending]:
    """Assertions on what fake programs recorded: ``assert!(calls.contains("grpc_tools.protoc"))``,
    ``predicate::str::contains("docker build --tag app:dev").eval(&log)``,
    ``tmp.child("docker.log").assert(predicate::str::contains("build"))``."""
    assert fn.body is not None
    toks = sc.tokens
    body_idents = {t.text for t in toks[fn.body[0] : fn.body[1]] if t.kind == IDENT}
    reads_file = bool(body_idents & {"read_to_string", "read_lines"}) or ("fs" in body_idents and "read" in body_idents)
    out: list[Pending] = []
    for _, stmt in _statements(sc, fn.body):
        idents = [t.text for t in stmt if t.kind == IDENT]
        literals = [t.text for t in stmt if t.kind == STR]
        if not literals or not stmt:
            continue
        macro = next(
            (k for k, t in enumerate(stmt[:-1]) if t.text in ASSERT_MACROS and stmt[k + 1].is_punct("!")), None
        )
        predicate = "predicate" in idents or "predicates" in idents
        if macro is None and not predicate:
            continue
        args = stmt[macro + 3 :] if macro is not None else stmt
        if macro is not None and _negative(stmt[macro].text, args):
            continue
        if "not" in idents or "missing" in idents:
            continue
        printed = bool({"stdout", "stderr"} & set(idents)) and not (FILE_READS & set(idents))
        logged = reads_file or "child" in idents or any(LOGGY.search(i) for i in idents)
        if printed or not logged:
            continue
        line = stmt[macro].line if macro is not None else stmt[0].line
        code = next((lit for lit in literals if CODEGEN_CALL.search(lit)), None)
        if code is not None:
            out.append(("generated_code_exists", line, fn.name, f"call log: {code}"))
        image = next((lit for lit in literals if DOCKER_CALL.search(lit)), None)
        if image is not None:
            out.append(("docker_call_log", line, fn.name, image))
    return out


def calls(sc: Scan, fn: FnItem) -> set[str]:
    """Names of functions and methods a function calls (``name(``, ``.name(``, ``Type::name(``)."""
    if fn.body is None:
        return set()
    toks = sc.tokens
    return {
        toks[i].text
        for i in range(fn.body[0] + 1, fn.body[1])
        if toks[i].kind == IDENT and toks[i + 1].is_punct("(") and not toks[i - 1].is_ident("fn")
    }
