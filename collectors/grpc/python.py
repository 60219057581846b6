"""The ``grpc`` collector's checks in Python test files (``ast``): tests asserting that generated files
exist, running ``docker image inspect``/``docker images`` or the Docker SDK's ``images.get``, asserting
image tags, or asserting on a fake ``docker``'s call log, and who calls whom (a check in a helper or
fixture is credited to the tests that reach it).

Each module is summarised without the repository's protos (``ModuleChecks``): which strings *could* name
generated code is kept, and only ``ModuleChecks.found`` decides with the proto-derived matcher. So the
python collector, which parses every Python file anyway, can summarise the test modules while it holds
their syntax trees and leave the summaries in the run's memo: the grpc collector then parses nothing
twice, and no tree outlives its module."""

from __future__ import annotations

import ast
import posixpath
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from anops_policy.collectors.rust.asserts import IMAGE_REF

from anops_policy.collection.collector import CollectContext
from anops_policy.syntax.python_ast import walk_nodes

GENERATED_PATH = re.compile(
    r"_pb2(?:_grpc)?(?:\.pyi?)?\b|\.pb\.go\b|_grpc\.pb\b|\bgenerated\b|(?:^|/)gen/|OUT_DIR|\.pb\.rs\b"
)
DOCKER = ("docker", "podman", "nerdctl", "buildah")
EXISTENCE = frozenset({"exists", "is_file", "is_dir", "isfile", "isdir"})
# importing a module fails when it was not generated: ``importlib.import_module(f"{pkg}.service_pb2")``
IMPORTERS = frozenset({"import_module", "__import__"})
# the Docker SDK's and docker-py's image look-ups (``client.inspect_image(tag)``) and a builder's own
# (``find_image()``, ``image_exists(tag)``): each fails or says no when the image was not built
IMAGE_LOOKUPS = frozenset({"inspect_image", "find_image", "image_exists"})
# what an image object tells of the image (the Docker SDK's and podman's ``Image``: ``image.id``, ``.tags``);
# a build's record tells what it produced (``build.layers``), not its own id
IMAGE_FACTS = frozenset({"id", "short_id", "tags", "labels", "attrs", "layers", "metadata"})
BUILD_FACTS = frozenset({"tags", "labels", "layers", "metadata"})
# reading a file fails when it was not generated: ``module.read_text()`` of ``…_pb2.py``
READERS = frozenset({"read_text", "read_bytes", "open"})
PARSE_ERRORS = (SyntaxError, ValueError, RecursionError, MemoryError)  # deep nesting ends in the last two
_MEMO_KEY = "grpc_python.modules"

Check = tuple[str, int, str, str]  # (function, line, kind, evidence)


def is_test_file(path: str) -> bool:
    base = posixpath.basename(path)
    return path.endswith(".py") and (
        base.startswith("test_") or base.endswith("_test.py") or base == "conftest.py" or "/tests/" in f"/{path}"
    )


def may_be_generated(literal: str) -> bool:
    """True for every literal the grpc collector's proto-aware matcher can call generated code (a path
    matching ``GENERATED_PATH``, or a ``<package>.rs`` file), and for some more: the summary keeps
    these candidates and the matcher decides later."""
    if not literal or any(ch.isspace() for ch in literal):
        return False
    return bool(GENERATED_PATH.search(literal)) or literal.rsplit("/", 1)[-1].endswith(".rs")


@dataclass(frozen=True)
class ModuleChecks:
    """One test module's checks, independent of the repository's protos."""

    tests: tuple[str, ...]  # names of its test functions
    # function name → functions calling it or taking it as a fixture (tuples: the cyclic GC stops
    # tracking a tuple of strings, never a set)
    callers: dict[str, tuple[str, ...]]
    checks: tuple[Check, ...]
    # (function, line, candidates) of existence assertions: a generated_code_exists check when one of
    # the candidate strings (in order) names generated code
    exists: tuple[tuple[str, int, tuple[str, ...]], ...]

    def found(self, path: str, generated: Callable[[str], bool]) -> list[tuple[str, str, int, str, str]]:
        """``(path, function, line, kind, evidence)`` of every check, ``generated`` deciding which
        strings name generated code."""
        out = [(path, fn, line, kind, evidence) for fn, line, kind, evidence in self.checks]
        for fn, line, candidates in self.exists:
            hit = next((s for s in candidates if generated(s)), None)
            if hit is not None:
                out.append((path, fn, line, "generated_code_exists", hit))
        return out


def summarise(tree: ast.Module, module_nodes: Sequence[ast.AST]) -> ModuleChecks:
    functions = [n for n in module_nodes if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    # each function's nodes walked once and reused for constants, checks and calls (a nested function
    # is part of every enclosing one, so re-walking per question was the collector's main cost)
    walked = [(fn, walk_nodes(fn)) for fn in functions]
    checks: list[Check] = []
    exists: list[tuple[str, int, tuple[str, ...]]] = []
    if _may_hold_checks(module_nodes):
        module_consts = _assigned_strings(tree.body)
        for fn, fn_nodes in walked:
            consts = {**module_consts, **_assigned_strings(fn_nodes)}
            built = _built_images(fn_nodes)
            for node in fn_nodes:
                for line, kind, evidence in _node_checks(node, consts, built):
                    if isinstance(evidence, tuple):
                        exists.append((fn.name, line, evidence))
                    else:
                        checks.append((fn.name, line, kind, evidence))
    return ModuleChecks(
        tests=tuple(fn.name for fn, _ in walked if fn.name.startswith("test")),
        callers={name: tuple(who) for name, who in _callers(walked).items()},
        checks=tuple(checks),
        exists=tuple(exists),
    )


# ---- sharing with the python collector ----------------------------------------------------------------
def remember_module(ctx: CollectContext, path: str, text: str, tree: ast.Module, nodes: Sequence[ast.AST]) -> None:
    """Called by the python collector while it holds a test module's tree (unless the grpc collector
    already summarised the file in this run)."""
    memo: dict[str, tuple[int, ModuleChecks]] = ctx.memo.setdefault(_MEMO_KEY, {})
    if path not in memo:
        memo[path] = (hash(text), summarise(tree, nodes))


def remember_checks(ctx: CollectContext, path: str, text: str, checks: ModuleChecks) -> None:
    """``remember_module`` with the checks already made (the python collector's summary cache)."""
    memo: dict[str, tuple[int, ModuleChecks]] = ctx.memo.setdefault(_MEMO_KEY, {})
    memo.setdefault(path, (hash(text), checks))


def module_checks(ctx: CollectContext, path: str, text: str) -> ModuleChecks | tuple[int | None, str]:
    """The summary of ``path`` (of exactly ``text``): the run's earlier one, else parsed here and kept for
    the python collector. A file that does not parse: the line (when known) and why."""
    memo: dict[str, tuple[int, ModuleChecks]] = ctx.memo.setdefault(_MEMO_KEY, {})
    hit = memo.get(path)
    if hit is not None and hit[0] == hash(text):
        return hit[1]
    try:
        tree = ast.parse(text)
    except PARSE_ERRORS as exc:
        if isinstance(exc, SyntaxError):
            return exc.lineno, exc.msg
        return None, type(exc).__name__
    out = summarise(tree, walk_nodes(tree))
    memo[path] = (hash(text), out)
    return out


# ---- the checks ---------------------------------------------------------------------------------------
def _may_hold_checks(nodes: Sequence[ast.AST]) -> bool:
    """False when no node of the module can yield a check in ``_node_checks``: each kind needs a name or
    string the whole module lacks (a superset test, so skipping a module never loses a check). Most test
    modules have none, and the per-node checks walk every call's subtree again."""
    names: set[str] = set()
    strings: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            strings.add(node.value)
    if "images" in names or names & IMAGE_LOOKUPS:  # images.get / images.list / images.build, inspect_image
        return True
    if "call_args" in names or "call_args_list" in names:  # a fake builder's recorded build call
        return "build" in names
    if names & IMAGE_FACTS and any(n.lower().endswith(("image", "build")) for n in names):  # image.id, build.layers
        return True
    if any(d in n.lower() for n in names for d in DOCKER):  # docker_call_log
        return True
    if any(s.lower().startswith(DOCKER) for s in strings):  # image_inspect by command words
        return True
    if any("/" in s and IMAGE_REF.match(s) for s in strings):  # image_tag
        return True
    if "build" in strings and any(s.lower() in DOCKER for s in strings):  # docker_call_log of a build
        return True
    readers = EXISTENCE | IMPORTERS | READERS
    return bool(names & readers) and any(may_be_generated(s) for s in strings)  # generated_code_exists


def _assigned_strings(nodes: Sequence[ast.AST]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for node in nodes:
        if isinstance(node, ast.Assign):
            strings = [
                c.value for c in walk_nodes(node.value) if isinstance(c, ast.Constant) and isinstance(c.value, str)
            ]
            for target in node.targets:
                if isinstance(target, ast.Name):
                    out[target.id] = strings
    return out


def _built_images(nodes: Sequence[ast.AST]) -> dict[str, str]:
    """Names bound to what an image build returns (``image, logs = client.images.build(...)``) or to the
    call a fake builder recorded (``args, kwargs = fake_client.build.call_args``)."""
    out: dict[str, str] = {}
    for node in nodes:
        if not isinstance(node, ast.Assign):
            continue
        value = node.value.func if isinstance(node.value, ast.Call) else node.value
        built = (
            isinstance(value, ast.Attribute)
            and value.attr == "build"
            and isinstance(value.value, ast.Attribute)
            and value.value.attr == "images"
            and isinstance(node.value, ast.Call)
        )
        recorded = (
            isinstance(value, ast.Attribute)
            and value.attr in ("call_args", "call_args_list")
            and isinstance(value.value, ast.Attribute)
            and value.value.attr == "build"
        )
        if built or recorded:
            for target in node.targets:
                elts = target.elts if isinstance(target, ast.Tuple) else [target]
                kind = "image_inspect" if built else "docker_call_log"
                out.update((e.id, kind) for e in (elts[:1] if built else elts) if isinstance(e, ast.Name))
    return out


def _node_checks(
    node: ast.AST, consts: dict[str, list[str]], built: dict[str, str] | None = None
) -> Iterator[tuple[int, str, str | tuple[str, ...]]]:
    """``(line, kind, evidence)``; for ``generated_code_exists`` the evidence is the tuple of candidate
    strings (``ModuleChecks.found`` picks the first that names generated code). ``built``: names bound to
    a built image or to a fake builder's recorded build call (``_built_images``), whose assertion checks
    the image or the build."""
    built = built or {}
    if isinstance(node, ast.Assert) or (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("assertTrue", "assertEqual", "assertIn")
    ):
        expr: ast.AST = node.test if isinstance(node, ast.Assert) else node
        strings = [c.value for c in walk_nodes(expr) if isinstance(c, ast.Constant) and isinstance(c.value, str)]
        names = [n.id for n in walk_nodes(expr) if isinstance(n, ast.Name)] + [
            a.attr for a in walk_nodes(expr) if isinstance(a, ast.Attribute)
        ]
        flowed = [s for n in names for s in consts.get(n, [])]
        negative = (
            isinstance(node, ast.Assert) and isinstance(node.test, ast.UnaryOp) and isinstance(node.test.op, ast.Not)
        )
        existence = any(n in EXISTENCE for n in names)
        if existence and not negative:
            candidates = tuple(s for s in [*strings, *flowed] if may_be_generated(s))
            if candidates:
                yield node.lineno, "generated_code_exists", candidates
        if negative:
            return
        docker = next((n for n in names if any(d in n.lower() for d in DOCKER)), None)
        if docker is not None and not _empty_compare(expr):
            yield node.lineno, "docker_call_log", docker
        tag = next((s for s in strings if "/" in s and IMAGE_REF.match(s)), None)
        if tag is not None:
            yield node.lineno, "image_tag", tag
        image = next((n for n in names if n in built), None)
        if image is not None:  # assert image.id: the image the build returned, or the build call recorded
            kind = built[image]
            yield node.lineno, kind, "images.build" if kind == "image_inspect" else "build.call_args"
        elif _image_fact(expr):  # assert image.tags, squashed_image.layers
            yield node.lineno, "image_inspect", "image attributes"
        if _asserts_build_command(expr):
            yield node.lineno, "docker_call_log", "build command"
    elif isinstance(node, ast.Call):
        func = node.func
        attr = func.attr if isinstance(func, ast.Attribute) else ""
        if (
            attr in ("get", "list")
            and isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Attribute)
            and func.value.attr == "images"
        ):
            yield node.lineno, "image_inspect", f"images.{attr}"
            return
        called = attr or (func.id if isinstance(func, ast.Name) else "")
        if attr in IMAGE_LOOKUPS:  # a method of a client or builder (a local helper's own check is credited)
            yield node.lineno, "image_inspect", called
            return
        words = [c.value for c in walk_nodes(node) if isinstance(c, ast.Constant) and isinstance(c.value, str)]
        lowered = [w.lower() for w in words]
        if called in IMPORTERS or called in READERS:
            if called in READERS:  # mod.read_text(), mod bound to a generated file's path
                owner = func.value if isinstance(func, ast.Attribute) else None
                words = [*words, *(consts.get(owner.id, []) if isinstance(owner, ast.Name) else [])]
            candidates = tuple(w for w in words if may_be_generated(w))
            if candidates:  # importing the generated module: it must exist
                yield node.lineno, "generated_code_exists", candidates
            return
        tool = any(w in DOCKER for w in lowered) or called.lower() in DOCKER  # ``buildah("inspect", ...)``
        if tool and ("inspect" in lowered or "images" in lowered):
            yield node.lineno, "image_inspect", "inspect" if "inspect" in lowered else "images"
        elif any(
            w.startswith(tuple(f"{d} image inspect" for d in DOCKER))
            or w.startswith(tuple(f"{d} images" for d in DOCKER))
            for w in lowered
        ):
            yield node.lineno, "image_inspect", "image inspect"


def _image_fact(expr: ast.AST) -> bool:
    """An assertion on what an image object or a build's record says of the image: ``image.id``,
    ``squashed_image.layers``, ``build.layers`` (of a name ending in ``image`` or ``build``)."""
    for n in walk_nodes(expr):
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name):
            owner = n.value.id.lower()
            if n.attr in IMAGE_FACTS and owner.endswith("image"):
                return True
            if n.attr in BUILD_FACTS and owner.endswith("build"):
                return True
    return False


def _asserts_build_command(expr: ast.AST) -> bool:
    """An assertion comparing with a command line that builds an image (``cmd[:3] == ["docker", "buildx",
    "build"]``): the call a patched runner or fake tool recorded."""
    for node in walk_nodes(expr):
        if isinstance(node, ast.List | ast.Tuple):
            words = {c.value.lower() for c in node.elts if isinstance(c, ast.Constant) and isinstance(c.value, str)}
            if "build" in words and words & set(DOCKER):
                return True
    return False


def _empty_compare(expr: ast.AST) -> bool:
    """``x == []``, ``len(x) == 0``, ``not x``: asserting that nothing happened."""
    if isinstance(expr, ast.Compare) and len(expr.comparators) == 1:
        right = expr.comparators[0]
        if isinstance(right, ast.List | ast.Tuple) and not right.elts:
            return True
        if isinstance(right, ast.Constant) and right.value == 0:
            return True
    return False


def _callers(walked: list[tuple[ast.FunctionDef | ast.AsyncFunctionDef, list[ast.AST]]]) -> dict[str, set[str]]:
    """function name → functions that call it or take it as a pytest fixture parameter (each function
    with its nodes in ``ast.walk`` order)."""
    out: dict[str, set[str]] = {}
    for fn, fn_nodes in walked:
        called: set[str] = {a.arg for a in fn.args.args}
        for n in fn_nodes:
            if isinstance(n, ast.Call):
                func = n.func
                if isinstance(func, ast.Name):
                    called.add(func.id)
                elif isinstance(func, ast.Attribute):
                    called.add(func.attr)
        for name in called:
            out.setdefault(name, set()).add(fn.name)
    return out
