"""Part d of the python summaries benchmark read off the tree-sitter tree (ast-grep): one combined ``any:``
query, one query per kind, and a Python walk of the tree."""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from ast_grep_py import Config, SgNode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from summary_facts import (
    DOTTED,
    ENV_CALL_LAST,
    ENV_CALLS,
    STRING_PREFIX,
    Call,
    EnvRead,
    Facts,
    Function,
    Import,
    import_names,
    may_read_env,
    resolve,
)


# ---- from the tree-sitter tree ------------------------------------------------------------------------
def ts_dotted(node: SgNode, text: str | None = None) -> str | None:
    """The ``a.b.c`` of an identifier/attribute chain (None for anything else). ``text``: the node's
    text when the caller has it (sliced from the source by range)."""
    kind = node.kind()
    if kind == "identifier":
        return node.text() if text is None else text
    if kind != "attribute":
        return None
    if text is None:
        text = node.text()
    if DOTTED.fullmatch(text):
        return text
    # spaces, line breaks, comments or parentheses inside the chain: build it from its parts
    obj = node.field("object")
    attr = node.field("attribute")
    while obj is not None and obj.kind() == "parenthesized_expression":
        inner = [c for c in obj.named_children() if c.kind() != "comment"]
        obj = inner[0] if len(inner) == 1 else None
    head = ts_dotted(obj) if obj is not None else None
    return None if head is None or attr is None else f"{head}.{attr.text()}"


def _ts_end_line(text: str, start: int, end: int, end_line: int) -> int:
    """The last line of the node spanning ``text[start:end]`` (ending on ``end_line``) without trailing
    comment lines: tree-sitter puts them in the block, ast's end_lineno is the last statement's. Read off
    the source text: walking the block's last children across pyo3 cost as much as the rest of the discovery."""
    while end > start:
        line_start = text.rfind("\n", start, end) + 1
        if not text[line_start:end].lstrip().startswith("#") or line_start <= start:
            return end_line
        end = line_start - 1
        while end > start and text[end - 1] in " \t\r\n":  # blank lines above the comment
            end_line -= text[end - 1] == "\n"
            end -= 1
        end_line -= 1
    return end_line


def _ts_decorator(dec: SgNode) -> str:
    expr = next(c for c in dec.named_children() if c.kind() != "comment")
    if expr.kind() == "call":
        func = expr.field("function")
        return (ts_dotted(func) if func is not None else None) or "?"
    return ts_dotted(expr) or "?"


_PARAM_NAMED = frozenset({"default_parameter", "typed_default_parameter"})


def _ts_params(params: SgNode | None) -> tuple[str, ...]:
    out: list[str] = []
    for p in params.named_children() if params is not None else ():
        kind = p.kind()
        if kind == "identifier":
            out.append(p.text())
        elif kind in _PARAM_NAMED:
            name = p.field("name")
            if name is not None:
                out.append(name.text())
        elif kind == "typed_parameter":
            first = p.named_children()[0]
            if first.kind() == "identifier":
                out.append(first.text())
    return tuple(out)


def _ts_function(node: SgNode, cls: str | None, decorators: list[SgNode], text: str) -> Function:
    name = node.field("name")
    qual = name.text() if name is not None else "?"
    span = node.range()
    return (
        f"{cls}.{qual}" if cls else qual,
        span.start.line + 1,
        _ts_end_line(text, span.start.index, span.end.index, span.end.line + 1),
        tuple(_ts_decorator(d) for d in decorators),
        _ts_params(node.field("parameters")),
    )


def _definitions(nodes: Iterable[SgNode]) -> Iterable[tuple[SgNode, list[SgNode]]]:
    """Function and class definitions among ``nodes``, each with its decorators."""
    for node in nodes:
        kind = node.kind()
        if kind == "decorated_definition":
            definition = node.field("definition")
            if definition is not None:
                yield definition, [c for c in node.children() if c.kind() == "decorator"]
        elif kind in ("function_definition", "class_definition"):
            yield node, []


def ts_functions(root: SgNode, text: str) -> list[Function]:
    out: list[Function] = []
    for node, decorators in _definitions(root.children()):
        if node.kind() == "function_definition":
            out.append(_ts_function(node, None, decorators, text))
            continue
        name = node.field("name")
        body = node.field("body")
        if name is None or body is None:
            continue
        cls = name.text()
        out.extend(
            _ts_function(item, cls, decs, text)
            for item, decs in _definitions(body.children())
            if item.kind() == "function_definition"
        )
    return out


def ts_str(node: SgNode | None) -> str | None:
    """A string literal's value, as ``ast.Constant`` has it (f-strings and bytes: None, as in ast)."""
    if node is None or node.kind() not in ("string", "concatenated_string"):
        return None
    text = node.text()
    if node.kind() == "string":
        p = _prefix(text)
        if "f" in p or "b" in p:
            return None
        if "\\" not in text:
            body = text[len(p) :]
            quote = 3 if body[:3] in ('"""', "'''") else 1
            return body[quote:-quote]
    elif any("f" in _prefix(c.text()) for c in node.named_children()):
        return None  # an f-string part makes the whole a JoinedStr
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    return value if isinstance(value, str) else None


def _prefix(literal: str) -> str:
    """A string literal's prefix (``rb``, ``f``, ...), lower case."""
    found = STRING_PREFIX.match(literal)
    return found.group().lower() if found is not None else ""


def _ts_args(call: SgNode) -> tuple[list[SgNode], dict[str, SgNode]]:
    args = call.field("arguments")
    positional: list[SgNode] = []
    keywords: dict[str, SgNode] = {}
    if args is None:
        return positional, keywords
    if args.kind() == "generator_expression":
        return [args], keywords
    for a in args.named_children():
        kind = a.kind()
        if kind == "keyword_argument":
            name = a.field("name")
            value = a.field("value")
            if name is not None and value is not None:
                keywords.setdefault(name.text(), value)
        elif kind not in ("comment", "dictionary_splat"):
            positional.append(a)
    return positional, keywords


def _ts_arg(positional: list[SgNode], keywords: dict[str, SgNode], index: int, keyword: str) -> SgNode | None:
    if keyword in keywords:
        return keywords[keyword]
    if len(positional) > index and not any(a.kind() == "list_splat" for a in positional[: index + 1]):
        return positional[index]
    return None


_TARGET_WRAPPERS = frozenset(
    {"pattern_list", "tuple_pattern", "list_pattern", "expression_list", "tuple", "list", "parenthesized_expression"}
)


def _ts_is_load(sub: SgNode) -> bool:
    """Not an assignment, ``del``, ``for`` or ``with ... as`` target (ast's Store/Del context)."""
    node = sub
    parent = node.parent()
    while parent is not None and parent.kind() in _TARGET_WRAPPERS:
        node, parent = parent, parent.parent()
    if parent is None:
        return True
    kind = parent.kind()
    if kind in ("delete_statement", "as_pattern_target"):
        return False
    if kind in ("assignment", "augmented_assignment", "for_statement", "for_in_clause"):
        left = parent.field("left")
        return left is None or left.range().start.index != node.range().start.index
    return True


def _ts_env(names: dict[str, str], env_calls: list[tuple[SgNode, str, int]], subs: list[SgNode]) -> list[EnvRead]:
    reads: list[EnvRead] = []
    for sub in subs:
        value = sub.field("value")
        dotted = ts_dotted(value) if value is not None else None
        if dotted is None or resolve(names, dotted) != "os.environ" or not _ts_is_load(sub):
            continue
        keys = [c for c in sub.field_children("subscript") if c.kind() != "comment"]
        name = ts_str(keys[0]) if len(keys) == 1 else None
        reads.append((sub.range().start.line + 1, name or "<dynamic>", "subscript", False))
    for call, dotted, line in env_calls:
        how = ENV_CALLS.get(resolve(names, dotted))
        if how is None:
            continue
        positional, keywords = _ts_args(call)
        key = ts_str(_ts_arg(positional, keywords, 0, "key"))
        default = _ts_arg(positional, keywords, 1, "default")
        has_default = default is not None and default.kind() != "none"
        reads.append((line, key or "<dynamic>", how, has_default and key is not None))
    return reads


def _ts_import(node: SgNode, kind: str, line: int, imports: list[Import]) -> None:
    if kind == "import_statement":
        module = ""
    elif kind == "future_import_statement":
        module = "__future__"
    else:
        found = node.field("module_name")
        module = "".join(found.text().split()) if found is not None else ""
    for name in node.field_children("name"):
        alias = ""
        if name.kind() == "aliased_import":
            found_alias = name.field("alias")
            alias = found_alias.text() if found_alias is not None else ""
            found_name = name.field("name")
            dotted = "".join(found_name.text().split()) if found_name is not None else ""
        else:
            dotted = "".join(name.text().split())
        imports.append((line, dotted, "", alias) if kind == "import_statement" else (line, module, dotted, alias))
    if kind == "import_from_statement" and node.find(kind="wildcard_import") is not None:
        imports.append((line, module, "*", ""))


_IMPORT_KINDS = ("import_statement", "import_from_statement", "future_import_statement")
# one traversal for every node part d reads beyond the top-level definitions; subscripts only where their
# text names ``environ`` (the regex runs natively)
COMBINED: Config = {
    "rule": {
        "any": [
            {"kind": "call"},
            {"kind": "import_statement"},
            {"kind": "import_from_statement"},
            {"kind": "future_import_statement"},
        ]
    }
}
COMBINED_ENV: Config = {"rule": {"any": [*COMBINED["rule"]["any"], {"kind": "subscript", "regex": "environ"}]}}


def _ts_call(
    node: SgNode, source: str | None, env: bool, calls: list[Call], env_calls: list[tuple[SgNode, str, int]]
) -> None:
    func = node.field("function")
    if func is None:
        return
    if source is None:
        line = node.range().start.line + 1
        dotted = ts_dotted(func)
    else:  # the callee's text sliced from the source by its range (one pyo3 call instead of two)
        span = func.range()
        line = span.start.line + 1
        dotted = ts_dotted(func, source[span.start.index : span.end.index])
    if dotted is None:
        return
    calls.append((line, dotted))
    if env and dotted.rpartition(".")[2] in ENV_CALL_LAST:
        env_calls.append((node, dotted, line))


def ts_facts_combined(root: SgNode, text: str, *, ranges: bool = False) -> Facts:
    """One ``find_all`` with an ``any`` rule, dispatching on each match's kind."""
    calls: list[Call] = []
    imports: list[Import] = []
    env_calls: list[tuple[SgNode, str, int]] = []
    subs: list[SgNode] = []
    env = may_read_env(text)
    source = text if ranges else None
    for node in root.find_all(COMBINED_ENV if env else COMBINED):
        kind = node.kind()
        if kind == "call":
            _ts_call(node, source, env, calls, env_calls)
        elif kind == "subscript":
            subs.append(node)
        else:
            _ts_import(node, kind, node.range().start.line + 1, imports)
    reads = _ts_env(import_names(imports), env_calls, subs) if env_calls or subs else []
    return Facts(ts_functions(root, text), calls, imports, reads)


def ts_facts_separate(root: SgNode, text: str) -> Facts:
    """One ``find_all`` per node kind (a traversal each)."""
    calls: list[Call] = []
    imports: list[Import] = []
    env_calls: list[tuple[SgNode, str, int]] = []
    env = may_read_env(text)
    for node in root.find_all(kind="call"):
        _ts_call(node, None, env, calls, env_calls)
    for kind in _IMPORT_KINDS:
        for node in root.find_all(kind=kind):
            _ts_import(node, kind, node.range().start.line + 1, imports)
    subs = root.find_all(kind="subscript", regex="environ") if env else []
    reads = _ts_env(import_names(imports), env_calls, subs) if env_calls or subs else []
    return Facts(ts_functions(root, text), calls, imports, reads)


def ts_facts_walk(root: SgNode, text: str) -> Facts:
    """A plain walk of the tree in Python (``children()`` of every node), as the ast side does."""
    calls: list[Call] = []
    imports: list[Import] = []
    env_calls: list[tuple[SgNode, str, int]] = []
    subs: list[SgNode] = []
    env = may_read_env(text)
    stack = [root]
    while stack:
        node = stack.pop()
        kind = node.kind()
        if kind == "call":
            _ts_call(node, None, env, calls, env_calls)
        elif kind in _IMPORT_KINDS:
            _ts_import(node, kind, node.range().start.line + 1, imports)
        elif kind == "subscript" and env:
            subs.append(node)
        stack.extend(node.children())
    reads = _ts_env(import_names(imports), env_calls, subs) if env_calls or subs else []
    return Facts(ts_functions(root, text), calls, imports, reads)


TS_READERS: dict[str, Callable[[SgNode, str], Facts]] = {
    "combined": ts_facts_combined,
    "combined+ranges": lambda root, text: ts_facts_combined(root, text, ranges=True),
    "separate": ts_facts_separate,
    "walk": ts_facts_walk,
}
