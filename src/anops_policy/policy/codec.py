"""Compiled policies to and from plain JSON data, for the compiled-policy cache (``policy/cache.py``).

Every field of a ``Policy`` is kept, and each CEL syntax tree exactly as the parser built it: node names,
tokens with all their positions, and each node's position record (explanations cut clause text out of
the source by those positions). A policy read back therefore evaluates, explains and reports like the
freshly compiled one. No pickle: the cache is a folder anyone with the user's rights can write, and
reading it must never run code.

A tree is stored flat, in post-order, as integers: ``-(i + 1)`` is the expression's token ``i``;
``d, m, n`` is a node whose name is ``datas[d]`` and position record ``metas[m]`` (``-1``: none), with
the ``n`` items before it as children. Names and position records are shared tables per policy, so the
~90 nodes of a typical expression take a few hundred bytes and decode in one loop, without recursion.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from datetime import date
from functools import partial
from typing import Any

from anops_policy.cel.tree import Meta, Token, Tree
from anops_policy.policy.model import Example, Expr, Level, Outcome, Param, Phase, Policy, Template, Variable

TOKEN_FIELDS = ("type", "value", "start_pos", "line", "column", "end_line", "end_column", "end_pos")
_SCALARS = (str, int, float, bool, type(None))
_POSITION_TYPES = frozenset({int, type(None)})
_META_TYPES = frozenset({int, bool, type(None)})
_WHERE_TYPES = frozenset({str, int})
_INT = frozenset({int})


class CodecError(ValueError):
    """A value the cache cannot hold exactly, or data that is not a policy this module wrote."""


def plain_json(value: Any) -> Any:
    """``value`` itself when JSON holds it exactly (no tuples, sets, bytes, non-string keys or subclasses
    such as YAML's ``!!set``), else ``CodecError``: such a policy is simply not cached."""
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is dict:
            if any(type(k) is not str for k in item):
                raise CodecError("a mapping key is not a string")
            stack.extend(item.values())
        elif kind is list:
            stack.extend(item)
        elif kind not in _SCALARS:
            raise CodecError(f"a {kind.__name__} value has no exact JSON form")
    return value


class _TreeEncoder:
    def __init__(self) -> None:
        self.datas: list[Any] = []
        self.metas: list[list[Any]] = []
        self.meta_keys: list[list[str]] = []
        self._data_index: dict[Any, int] = {}
        self._meta_index: dict[tuple[tuple[Any, ...], ...], int] = {}
        self._keys_index: dict[tuple[str, ...], int] = {}

    def expr(self, expr: Expr | None) -> dict[str, Any] | None:
        if expr is None:
            return None
        tokens: list[list[Any]] = []
        flat: list[int] = []
        # iterative post-order: (node, children already emitted?)
        stack: list[tuple[Any, bool]] = [(expr.tree, False)]
        while stack:
            node, expanded = stack.pop()
            if isinstance(node, Token):
                tokens.append(_token_fields(node))
                flat.append(-len(tokens))
            elif not isinstance(node, Tree):
                raise CodecError(f"a syntax tree holds a {type(node).__name__}")
            elif expanded:
                flat.extend((self._data(node.data), self._meta(node._meta), len(node.children)))
            else:
                stack.append((node, True))
                stack.extend((child, False) for child in reversed(node.children))
        where = list(expr.where)
        if type(expr.source) is not str or not _WHERE_TYPES.issuperset(map(type, where)):
            raise CodecError("an expression's source or location is not plain text and numbers")
        return {"source": expr.source, "where": where, "tokens": tokens, "nodes": flat}

    def _data(self, data: Any) -> int:
        encoded = _token_fields(data) if isinstance(data, Token) else data
        if type(encoded) is not str and type(encoded) is not list:
            raise CodecError("a syntax tree node name is neither a string nor a token")
        key = (type(data).__name__, *encoded) if isinstance(encoded, list) else ("str", encoded)
        index = self._data_index.get(key)
        if index is None:
            index = self._data_index[key] = len(self.datas)
            self.datas.append(encoded)
        return index

    def _meta(self, meta: Meta | None) -> int:
        if meta is None:
            return -1
        fields = vars(meta)
        keys, values = tuple(fields), tuple(fields.values())
        # bool and int are equal as dict keys (True == 1): the types are part of the key
        key = (keys, values, tuple(map(type, values)))
        index = self._meta_index.get(key)
        if index is None:
            if not _META_TYPES.issuperset(key[2]) or any(type(k) is not str for k in keys):
                raise CodecError("a syntax tree position is not an integer")
            keys_at = self._keys_index.get(keys)
            if keys_at is None:
                keys_at = self._keys_index[keys] = len(self.meta_keys)
                self.meta_keys.append(list(keys))
            index = self._meta_index[key] = len(self.metas)
            self.metas.append([keys_at, *values])
        return index


def _token_fields(token: Token) -> list[Any]:
    fields = [getattr(token, name) for name in TOKEN_FIELDS]
    positions_ok = _POSITION_TYPES.issuperset(map(type, fields[2:]))
    if type(fields[0]) is not str or type(fields[1]) is not str or not positions_ok:
        raise CodecError("a token is not made of a type, a string value and integer positions")
    return fields


def encode_policy(policy: Policy) -> dict[str, Any]:
    """JSON data for ``policy`` (without ``file`` and ``digest``, which the cache key stands for)."""
    plain = {
        "id": policy.id,
        "title": policy.title,
        "description": policy.description,
        "checklist": policy.checklist,
        "severity": policy.severity,
        "phases": [[p.level.value, p.until.isoformat() if p.until else None] for p in policy.phases],
        "requires": list(policy.requires),
        "params": [[p.name, p.type, p.default, p.description] for p in policy.params],
        "remediation": policy.remediation,
        "references": list(policy.references),
        "examples": [_encode_example(ex) for ex in policy.examples],
        "tags": list(policy.tags),
    }
    # the trees are checked as they are encoded; walking their integer arrays again would double the cost
    plain_json([plain, [v.name for v in policy.variables], [p for p in policy.message.parts if type(p) is not Expr]])
    enc = _TreeEncoder()
    return {
        **plain,
        "for_each": enc.expr(policy.for_each),
        "subject_id": enc.expr(policy.subject_id),
        "applies_when": enc.expr(policy.applies_when),
        "variables": [[v.name, enc.expr(v.expr)] for v in policy.variables],
        "rule": enc.expr(policy.rule),
        "message": [part if isinstance(part, str) else enc.expr(part) for part in policy.message.parts],
        "not_applicable_message": None if policy.not_applicable_message is None else [
            part if isinstance(part, str) else enc.expr(part) for part in policy.not_applicable_message.parts
        ],
        "evidence": enc.expr(policy.evidence),
        "datas": enc.datas,
        "meta_keys": enc.meta_keys,
        "metas": enc.metas,
    }


def _encode_example(ex: Example) -> dict[str, Any]:
    return {
        "name": ex.name,
        "facts": ex.facts,
        "expect": ex.expect.value,
        "params": ex.params,
        "now": ex.now,
        "subjects": {k: v.value for k, v in ex.subjects.items()},
        "collectors": ex.collectors,
        "line": ex.line,
    }


# ---- decoding: every shape is checked, a mismatch is CodecError (the caller then loads the file) ----------


def _str(value: Any) -> str:
    if type(value) is not str:
        raise CodecError("expected a string")
    return value


def _list(value: Any) -> list[Any]:
    if type(value) is not list:
        raise CodecError("expected a list")
    return value


def _dict(value: Any) -> dict[str, Any]:
    if type(value) is not dict:
        raise CodecError("expected a mapping")
    return value




def _check_token(fields: Any) -> None:
    fields = _list(fields)
    if len(fields) != len(TOKEN_FIELDS) or not _POSITION_TYPES.issuperset(map(type, fields[2:])):
        raise CodecError("a token needs a type, a value and six positions")
    if type(fields[0]) is not str or type(fields[1]) is not str:
        raise CodecError("expected a string")


def _token(fields: Any) -> Token:
    _check_token(fields)
    return Token(fields[0], fields[1], *fields[2:])


class _TreeDecoder:
    def __init__(self, data: dict[str, Any], file: str) -> None:
        self.file = file
        self.datas = [_token(d) if type(d) is list else _str(d) for d in _list(data["datas"])]
        keys = [[_str(k) for k in _list(ks)] for ks in _list(data["meta_keys"])]
        # One position record per distinct position, shared by the nodes that have it (the parser makes
        # one per node; nothing reads them but the positions, and 17,000 records cost ~0.1 s to rebuild).
        self.metas: list[Meta] = []
        for item in _list(data["metas"]):
            row = _list(item)
            if not row or not _META_TYPES.issuperset(map(type, row)):
                raise CodecError("a position record holds a non-integer")
            meta = Meta()  # type: ignore[no-untyped-call]
            meta.__dict__.update(zip(keys[row[0]], row[1:], strict=True))
            self.metas.append(meta)

    def expr(self, data: Any) -> Expr | None:
        """The expression ``data`` describes, checked whole now and its tree built when first read."""
        if data is None:
            return None
        data = _dict(data)
        tokens = _list(data["tokens"])
        for fields in tokens:
            _check_token(fields)
        flat = _list(data["nodes"])
        if not _INT.issuperset(map(type, flat)):
            raise CodecError("a tree item is not an integer")
        self._check_shape(flat, len(tokens))
        where = tuple(w if type(w) is int else _str(w) for w in _list(data["where"]))
        return LazyExpr(_str(data["source"]), self.file, where, partial(self._tree, tokens, flat))

    def _check_shape(self, flat: list[int], token_count: int) -> None:
        """What building the tree of ``flat`` would find wrong, found without building it: every index in
        range, no node taking more children than there are, one node at the root."""
        depth, i, end, node_last = 0, 0, len(flat), False
        datas, metas = len(self.datas), len(self.metas)
        while i < end:
            item = flat[i]
            if item < 0:
                if -item - 1 >= token_count:
                    raise CodecError("a tree names a token it does not have")
                depth, i, node_last = depth + 1, i + 1, False
                continue
            if i + 2 >= end:
                raise CodecError("a tree node is cut short")
            meta_at, count = flat[i + 1], flat[i + 2]
            if item >= datas or not 0 <= count <= depth or not -1 <= meta_at < metas:
                raise CodecError("a tree node is malformed")
            depth, i, node_last = depth - count + 1, i + 3, True
        if depth != 1 or not node_last:
            raise CodecError("a tree does not have exactly one root")

    def _tree(self, raw_tokens: list[Any], flat: list[int]) -> Any:
        """The tree ``_check_shape`` accepted (it cannot fail here)."""
        paused = gc.isenabled()
        gc.disable()  # the young trees hold no cycles: see decode_policy
        try:
            tokens = [_token(t) for t in raw_tokens]
            stack: list[Any] = []
            i, end = 0, len(flat)
            datas, metas, tree = self.datas, self.metas, Tree
            while i < end:
                item = flat[i]
                if item < 0:
                    stack.append(tokens[-item - 1])
                    i += 1
                    continue
                meta_at, count = flat[i + 1], flat[i + 2]
                if count:
                    children = stack[-count:]
                    del stack[-count:]
                else:
                    children = []
                stack.append(tree(datas[item], children, None if meta_at == -1 else metas[meta_at]))
                i += 3
            return stack[0]
        finally:
            if paused:
                gc.enable()


class LazyExpr(Expr):
    """An expression read from the compiled-policy cache, whose syntax tree is built the first time it is read:
    a run evaluates only the expressions of the policies that apply (on a small repository most do not), and
    building trees was most of a cache hit's cost. Equal to the ``Expr`` loaded from the file; pickled as one
    (the server ships packs to its workers)."""

    def __init__(self, source: str, file: str, where: tuple[str | int, ...], build: Callable[[], Any]) -> None:
        object.__setattr__(self, "source", source)
        object.__setattr__(self, "file", file)
        object.__setattr__(self, "where", where)
        object.__setattr__(self, "_build", build)

    @property
    def tree(self) -> Any:
        built = self.__dict__.get("_tree")
        if built is None:
            built = self.__dict__["_build"]()
            object.__setattr__(self, "_tree", built)
        return built

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Expr):
            return NotImplemented
        return (self.source, self.tree, self.file, self.where) == (other.source, other.tree, other.file, other.where)

    def __hash__(self) -> int:
        return hash((self.source, self.tree, self.file, self.where))

    def __repr__(self) -> str:
        return f"Expr(source={self.source!r}, file={self.file!r}, where={self.where!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (Expr, (self.source, self.tree, self.file, self.where))


def _expr(dec: _TreeDecoder, data: Any) -> Expr:
    expr = dec.expr(data)
    if expr is None:
        raise CodecError("a required expression is missing")
    return expr


def _decode_example(data: Any) -> Example:
    data = _dict(data)
    line = data["line"]
    if line is not None and type(line) is not int:
        raise CodecError("an example line is not an integer")
    now = data["now"]
    return Example(
        name=_str(data["name"]),
        facts=_dict(data["facts"]),
        expect=Outcome(data["expect"]),
        params=_dict(data["params"]),
        now=None if now is None else _str(now),
        subjects={_str(k): Outcome(v) for k, v in _dict(data["subjects"]).items()},
        collectors={_str(k): _str(v) for k, v in _dict(data["collectors"]).items()},
        line=line,
    )


def decode_policy(data: Any, file: str, digest: str) -> Policy:
    """The policy ``encode_policy`` described, as loaded from ``file`` (its display name)."""
    # The cyclic GC would scan the young trees over and over while they are built (half the decode time);
    # they hold no cycles that outlive the call.
    paused = gc.isenabled()
    gc.disable()
    try:
        return _decode_policy(data, file, digest)
    finally:
        if paused:
            gc.enable()


def _decode_policy(data: Any, file: str, digest: str) -> Policy:
    data = _dict(data)
    dec = _TreeDecoder(data, file)
    phases = tuple(
        Phase(Level(_str(level)), None if until is None else date.fromisoformat(_str(until)))
        for level, until in map(_list, _list(data["phases"]))
    )
    params = tuple(
        Param(_str(name), _str(kind), default, _str(description))
        for name, kind, default, description in map(_list, _list(data["params"]))
    )
    variables = tuple(Variable(_str(name), _expr(dec, expr)) for name, expr in map(_list, _list(data["variables"])))
    parts = tuple(part if type(part) is str else _expr(dec, part) for part in _list(data["message"]))
    na_parts = data["not_applicable_message"]
    not_applicable = None if na_parts is None else Template(
        tuple(part if type(part) is str else _expr(dec, part) for part in _list(na_parts))
    )
    return Policy(
        id=_str(data["id"]),
        title=_str(data["title"]),
        description=_str(data["description"]),
        checklist=_str(data["checklist"]),
        severity=_str(data["severity"]),
        phases=phases,
        requires=tuple(_str(r) for r in _list(data["requires"])),
        params=params,
        for_each=dec.expr(data["for_each"]),
        subject_id=dec.expr(data["subject_id"]),
        applies_when=dec.expr(data["applies_when"]),
        variables=variables,
        rule=_expr(dec, data["rule"]),
        message=Template(parts),
        remediation=_str(data["remediation"]),
        references=tuple(_str(r) for r in _list(data["references"])),
        examples=tuple(_decode_example(ex) for ex in _list(data["examples"])),
        evidence=dec.expr(data["evidence"]),
        tags=tuple(_str(t) for t in _list(data["tags"])),
        file=file,
        digest=digest,
        not_applicable_message=not_applicable,
    )
