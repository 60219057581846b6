"""Source lines for values inside structured-file documents, found from the expression alone.

A document of ``facts.files.<input>`` carries ``path``, ``data`` and ``lines`` (JSON pointer → line). When a
clause reads ``subject.data.spec.template.spec.containers[0].resources`` or iterates
``subject.data.spec.template.spec.containers.all(c, has(c.livenessProbe))``, the select chain names the
pointer; the deepest part of it that exists in the document gives the line a decision cites. Policy authors
write no ``evidence:`` for it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from anops_policy.cel.tree import Token, Tree
from anops_policy.facts import line_at, pointer

Segment = str | int


def _unwrap(node: Any) -> Any:
    while isinstance(node, Tree) and len(node.children) == 1 and isinstance(node.children[0], Tree):
        node = node.children[0]
    return node


def _literal_index(node: Any) -> Segment | None:
    node = _unwrap(node)
    if isinstance(node, Tree) and node.data == "literal" and node.children:
        token = node.children[0]
        if isinstance(token, Token):
            text = str(token)
            if token.type == "INT_LIT" or text.isdigit():
                return int(text)
            if token.type == "STRING_LIT" and len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
                return text[1:-1]
    return None


def chain(node: Any) -> tuple[str, list[Segment]] | None:
    """``(root identifier, [field or index, ...])`` of a pure select chain (``a.b[0].c``), else None."""
    segments: list[Segment] = []
    current = _unwrap(node)
    while True:
        if isinstance(current, Tree) and current.data == "member_dot" and len(current.children) == 2:
            segments.append(str(current.children[1]))
            current = _unwrap(current.children[0])
        elif isinstance(current, Tree) and current.data == "member_index" and len(current.children) == 2:
            index = _literal_index(current.children[1])
            if index is None:
                return None
            segments.append(index)
            current = _unwrap(current.children[0])
        elif isinstance(current, Tree) and current.data == "ident" and current.children:
            return str(current.children[0]), segments[::-1]
        else:
            return None


def chains(tree: Any) -> Iterator[tuple[str, list[Segment]]]:
    """Every select chain in ``tree`` (the longest form of each: ``a.b.c``, not also ``a.b``)."""
    stack: list[Any] = [tree]
    while stack:  # top down: a chain's own sub-chains (``a.b`` inside ``a.b.c``) are not visited
        node = stack.pop()
        if not isinstance(node, Tree):
            continue
        if node.data in ("member_dot", "member_index"):
            found = chain(node)
            if found is not None:
                yield found
                continue
        stack.extend(reversed(node.children))


def _get(item: Any, key: str) -> Any:
    return item[key] if isinstance(item, Mapping) and key in item else None


def document_of(value: Any) -> tuple[str, Mapping[Any, Any]] | None:
    """``(path, lines)`` when ``value`` is a located document (``path``, ``lines`` and ``data``)."""
    path, lines = _get(value, "path"), _get(value, "lines")
    if isinstance(path, str) and path and isinstance(lines, Mapping) and _get(value, "data") is not None:
        return str(path), lines
    return None


def located(tree: Any, activation: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[Any, Any], str]]:
    """``(path, lines, pointer)`` for every chain of ``tree`` that starts at a located document's ``data``."""
    for root, segments in chains(tree):
        document = document_of(activation.get(root))
        if document is not None and segments[:1] == ["data"]:
            yield document[0], document[1], pointer(segments[1:])


def cite(tree: Any, activation: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The locations a clause cites: for each chain into a document, its deepest existing key."""
    out: list[dict[str, Any]] = []
    for path, lines, target in located(tree, activation):
        line = line_at(lines, target)
        loc = {"path": path, "line": line} if line is not None else {"path": path}
        if loc not in out:
            out.append(loc)
    return out


def element_site(
    target: Any, var: str, predicate: Any, activation: Mapping[str, Any]
) -> tuple[str, Mapping[Any, Any], str, list[list[Segment]]] | None:
    """For ``target.all(var, predicate)`` over a list inside a document: the document's path and lines, the
    list's pointer, and the chains the predicate reads from each element (``c.livenessProbe`` → [[livenessProbe]])."""
    for path, lines, base in located(target, activation):
        reads = [segments for root, segments in chains(predicate) if root == var]
        return path, lines, base, reads
    return None


def element_location(site: tuple[str, Mapping[Any, Any], str, list[list[Segment]]], key: Segment) -> dict[str, Any]:
    """Where element ``key`` (a list index, or a map's key) fails: the deepest key its predicate reads that
    exists, else the element."""
    path, lines, base, reads = site
    element = base + pointer([key])
    best: tuple[int, int] | None = None  # (depth, line)
    for segments in reads or [[]]:
        target = element + pointer(segments)
        line = line_at(lines, target)
        if line is None:
            continue
        depth = target.count("/")
        while depth and target not in lines:
            target = target[: target.rfind("/")]
            depth -= 1
        if best is None or depth > best[0]:
            best = (depth, line)
    return {"path": path, "line": best[1]} if best is not None else {"path": path}
