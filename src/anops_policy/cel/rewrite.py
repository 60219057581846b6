"""Printing cel-python's syntax tree as C++ CEL source with type guards (used by ``cel/native.py``).

The C++ runtime answers ``1 == 1.0``, ``1 < 1.5``, ``'a' == 1`` (false) and ``1.0 in [1]``; cel-python errors on
mixed types. Every relation whose operand types are not statically equal is printed so that operands of
different types (outside the null comparisons cel-python answers) call ``anops_mixed()``, which raises: a
CEL error, absorbed by ``&&``/``||``/``all``/``exists`` exactly as cel-python's own error would be, and
otherwise handed back to cel-python. ``in`` answers a string found, else checks that every element has the
item's type; index keys must be strings or ints, and ``filter``/``map`` run only over lists of at most
``COLLECTION_LIMIT`` elements.

Fact paths: C++ copies a variable's whole value when it is first read, so ``facts`` is never handed over whole
when an expression reads parts of it. A chain ``facts.a.b`` is printed as a variable of its own (a *slot*, named
by the backend), and the reads that need only a little of a big map are calls answered in Python from the fact
document: ``facts.a.b[k]`` → ``anops_entry('a.b', k)``, ``k in facts.a.b`` → ``anops_has_key('a.b', k)``,
``has(facts.a.b)`` → ``anops_has_field('a', 'b')``, ``size(facts.a.b)`` → ``anops_size('a.b')``. Where such a
call cannot give exactly the C++ answer it raises: a CEL error, which is sound (an error either decides nothing
or hands the expression to cel-python).
No cel-python or cel-expr-python import: the tree is read by its rule names (``celpy/cel.lark``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

# filter/map are quadratic in C++ 0.1.3 (each step copies the list) and a C++ evaluation cannot be
# interrupted by the deadline: longer lists are left to cel-python
COLLECTION_LIMIT = 2000
# the largest string, bytes or list '+' may build (cel.py gives cel-python the same bound)
MAX_VALUE_LENGTH = 10_000_000

# equality and ordering are rebuilt from type-guarded expressions; C++ cannot override `<` or `in`, and its `==`
# is heterogeneous. `anops_mixed()` raises, so a guard that trips becomes a CEL error and absorbs like one.
_ORDER_OPS = {"relation_lt": "<", "relation_le": "<=", "relation_gt": ">", "relation_ge": ">="}
_EQ_OPS = {"relation_eq": "==", "relation_ne": "!="}
# null comparisons cel-python answers (checked against it): 'a' == null, {} == null, [] == null, null == 'a'
_NULL_OK = {
    "==": "(({b} == null_type && ({a} == string || {a} == map || {a} == list)) || ({a} == null_type && {b} == string))",
    "!=": "({b} == null_type && {a} == string)",
}
_ERROR = "anops_mixed()"


class Unsupported(Exception):
    """A value or expression this backend leaves to cel-python."""


_BINARY = {
    "conditionalor": "||",
    "conditionaland": "&&",
    "addition_add": "+",
    "addition_sub": "-",
    "multiplication_mul": "*",
    "multiplication_div": "/",
    "multiplication_mod": "%",
}


class Rewriter:
    """Prints cel-python's tree back as CEL (its grammar, ``celpy/cel.lark``), with the guards. Printed from
    the tree, not spliced from the source: cel-python leaves some tokens (``true``, ``null``) without
    positions. The tree already encodes precedence and left association, so no parentheses are added."""

    def __init__(self, max_length: int = MAX_VALUE_LENGTH, slot_name: Callable[[FactPath], str] | None = None) -> None:
        self.max_length = max_length
        self.count = 0
        self.map_orders: list[tuple[str, ...]] = []  # key orders of map literals with constant string keys
        self.idents: set[str] = set()  # identifiers read (variables, comprehension variables)
        self.slot_name = slot_name  # None: `facts` is printed as is (one variable for the whole document)
        self.slots: set[FactPath] = set()  # fact paths read whole (`()`: the document itself)
        self.lookups = False  # calls anops_entry/anops_has_key/anops_has_field/anops_size

    def print_expression(self, tree: Any) -> str:
        """The C++ source of a whole expression (``text`` prints sub-trees). A comprehension variable named
        ``facts`` would be read as a slot: such an expression gets the whole document as ``facts``."""
        if self.slot_name is not None and _binds_facts(tree):
            self.slot_name = None
        return self.text(tree)

    def fact_path(self, node: Any) -> FactPath | None:
        """``facts.a.b`` → ``("a", "b")`` (``()`` for ``facts``) when fact paths are printed as slots."""
        return None if self.slot_name is None else _fact_path(node)

    def slot(self, path: FactPath) -> str:
        self.slots.add(path)
        if not path or self.slot_name is None:
            self.idents.add("facts")
            return "facts"
        return self.slot_name(path)

    def lookup(self, function: str, path: FactPath, arg: str | None = None) -> str:
        self.lookups = True
        quoted = "'" + ".".join(path) + "'"
        return f"{function}({quoted})" if arg is None else f"{function}({quoted}, {arg})"

    def name(self) -> str:
        self.count += 1
        return f"anops__v{self.count}"

    def args(self, node: Any) -> str:
        return "" if node is None else self.text(node)

    def text(self, node: Any) -> str:
        data = getattr(node, "data", None)
        if data is None:
            return str(node)  # a token: literal or identifier, as written
        c = [child for child in node.children if child is not None]
        if data in ("expr", "conditionalor", "conditionaland", "addition", "multiplication") and len(c) == 1:
            return self.text(c[0])
        if data == "expr":
            return f"{self.text(c[0])} ? {self.text(c[1])} : {self.text(c[2])}"
        if data in ("conditionalor", "conditionaland"):
            return f"{self.text(c[0])} {_BINARY[data]} {self.text(c[1])}"
        if data in ("addition", "multiplication"):
            op = c[0]
            if op.data == "addition_add":
                return self.concatenation(op.children[0], c[1])
            return f"{self.text(op.children[0])} {_BINARY[op.data]} {self.text(c[1])}"
        if data == "relation":
            if len(c) == 1:
                return self.text(c[0])
            return self.relation(c[0].data, c[0].children[0], c[1])
        if data == "unary":
            if len(c) == 1:
                return self.text(c[0])
            operand = self.text(c[1])
            return ("!" if c[0].data == "unary_not" else "- ") + operand
        if data in ("member", "primary", "literal"):
            return self.text(c[0])
        if data == "member_dot":
            path = self.fact_path(node)
            if path is not None:
                return self.slot(path)
            return f"{self.text(c[0])}.{c[1]}"
        if data == "member_dot_arg":
            method = str(c[1])
            path = self.fact_path(c[0])
            if method == "size" and len(c) == 2 and path:
                return self.lookup("anops_size", path)
            args = self.args(c[2] if len(c) > 2 else None)
            if method in ("filter", "map"):
                return self.collection(c[0], method, args)
            return f"{self.text(c[0])}.{method}({args})"
        if data == "member_index":
            path = self.fact_path(c[0])
            if path:
                return self.lookup("anops_entry", path, self.text(c[1]))
            return self.index(self.text(c[0]), c[1])
        if data == "dot_ident_arg":
            return f".{c[0]}({self.args(c[1] if len(c) > 1 else None)})"
        if data == "dot_ident":
            return f".{c[0]}"
        if data == "ident_arg":
            special = self.fact_call(str(c[0]), c[1] if len(c) > 1 else None)
            if special is not None:
                return special
            return f"{c[0]}({self.args(c[1] if len(c) > 1 else None)})"
        if data == "ident":
            if str(c[0]) == "facts" and self.slot_name is not None:
                return self.slot(())
            self.idents.add(str(c[0]))
            return str(c[0])
        if data == "paren_expr":
            return f"({self.text(c[0])})"
        if data == "list_lit":
            return f"[{self.args(c[0] if c else None)}]"
        if data == "map_lit":
            return f"{{{self.args(c[0] if c else None)}}}"
        if data == "exprlist":
            return ", ".join(self.text(x) for x in c)
        if data == "mapinits":
            keys = [_string_constant(k) for k in c[::2]]
            if len(keys) > 1 and all(keys):
                self.map_orders.append(tuple(k for k in keys if k))
            return ", ".join(f"{self.text(k)}: {self.text(v)}" for k, v in zip(c[::2], c[1::2], strict=True))
        raise Unsupported(f"CEL syntax {data}")  # message construction (member_object, fieldinits)

    def fact_call(self, function: str, args: Any) -> str | None:
        """``has(facts.a.b)`` and ``size(facts.a.b)`` as look-ups, else None."""
        if function not in ("has", "size") or args is None or len(args.children) != 1:
            return None
        arg = _unwrap(args.children[0])
        if function == "size":
            path = self.fact_path(arg)
            return None if not path else self.lookup("anops_size", path)
        if getattr(arg, "data", None) != "member_dot":
            return None
        base = self.fact_path(arg.children[0])
        return None if base is None else self.lookup("anops_has_field", base, f"'{arg.children[1]}'")

    def bind(self, node: Any, value: str, body: Callable[[str], str]) -> str:
        """``body`` reading the value of ``node`` (printed as ``value``) more than once: a simple operand (a
        name, a field selection, a literal, ``type()`` of one) is repeated, anything else is computed once as
        the variable of a one-element comprehension (one iteration of the C++ budget).

        Not ``cel.bind``: cel-expr-python 0.1.3 initialises a bound variable lazily, from a comprehension slot
        it takes as already set when an earlier ``all``/``exists`` at the same depth stopped early (that
        leaves its iteration variable in the slot). The variable then held that element instead of its value:
        ``[[5, 6].exists(k, k == 5), cel.bind(x, 7, x)]`` is ``[true, 6]``, and which element an ``all`` over
        a map stops at depends on the C++ map's hash order, which changes from process to process."""
        if _is_simple(node):
            return body(value)
        var = self.name()
        return f"[{value}].map({var}, {body(var)})[0]"

    def relation(self, op: str, left_node: Any, right_node: Any) -> str:
        path = self.fact_path(right_node) if op == "relation_in" else None
        if path:
            return self.lookup("anops_has_key", path, self.text(left_node))
        left, right = self.text(left_node), self.text(right_node)
        left_type, right_type = _static_type(left_node), _static_type(right_node)
        if op != "relation_in" and left_type is not None and left_type == right_type and left_type != "null":
            return f"{left} {_ORDER_OPS.get(op) or _EQ_OPS[op]} {right}"  # same scalar type: the runtimes agree

        def guarded(a: str, b: str) -> str:
            if op == "relation_in":
                # a string found is found for both (cel-python stops at the first equal element; a string
                # equals only strings in C++); otherwise every element must have the item's type
                e = self.name()
                same = f"{b}.all({e}, type({e}) == type({a})) ? {a} in {b} : {_ERROR}"
                found = f"type({a}) == string && {a} in {b} ? true : ({same})"
                return f"(type({b}) == list || type({b}) == map ? ({found}) : {_ERROR})"
            symbol = _ORDER_OPS.get(op) or _EQ_OPS[op]
            same = f"type({a}) == type({b})"
            if op in _EQ_OPS:
                same = f"({same} && type({a}) != list && type({a}) != map) || " + _NULL_OK[symbol].format(
                    a=f"type({a})", b=f"type({b})"
                )
            return f"({same} ? {a} {symbol} {b} : {_ERROR})"

        # a simple operand is repeated in the guard, a computed one is computed once (see bind)
        def with_right(a: str) -> str:
            return self.bind(right_node, right, lambda b: guarded(a, b))

        return self.bind(left_node, left, with_right)

    def concatenation(self, left_node: Any, right_node: Any) -> str:
        """``+`` with cel.py's bound on the size of a string, bytes or list it builds (C++ has none, and a C++
        evaluation cannot be interrupted): over it, cel-python evaluates and reports the error."""
        left, right = self.text(left_node), self.text(right_node)
        if {_static_type(left_node), _static_type(right_node)} <= {"int", "uint", "double"}:
            return f"{left} + {right}"

        def guarded(a: str, b: str) -> str:
            sized = f"type({a}) == string || type({a}) == list || type({a}) == bytes"
            over = f"type({a}) == type({b}) && ({sized}) && size({a}) + size({b}) > {self.max_length}"
            return f"({over} ? {_ERROR} : {a} + {b})"

        return self.bind(left_node, left, lambda a: self.bind(right_node, right, lambda b: guarded(a, b)))

    def index(self, container: str, key_node: Any) -> str:
        key = self.text(key_node)
        return self.bind(
            key_node, key, lambda k: f"(type({k}) == string || type({k}) == int ? {container}[{k}] : {_ERROR})"
        )

    def collection(self, target_node: Any, macro: str, args: str) -> str:
        return self.bind(
            target_node,
            self.text(target_node),
            lambda v: f"(type({v}) == list && size({v}) <= {COLLECTION_LIMIT} ? {v}.{macro}({args}) : {_ERROR})",
        )


_LITERAL_TYPES = {
    "INT_LIT": "int",
    "UINT_LIT": "uint",
    "FLOAT_LIT": "double",
    "STRING_LIT": "string",
    "MLSTRING_LIT": "string",
    "BYTES_LIT": "bytes",
    "BOOL_LIT": "bool",
    "NULL_LIT": "null",
}
_CALL_TYPES = {"size": "int", "string": "string", "int": "int", "double": "double", "bool": "bool"}


_WRAPPERS = frozenset(
    {"expr", "conditionalor", "conditionaland", "relation", "addition", "multiplication", "unary", "member"}
    | {"primary", "literal", "paren_expr"}
)


def _unwrap(node: Any) -> Any:
    """The first node below ``node`` that is not a single-child wrapper rule (parentheses included)."""
    while getattr(node, "data", None) in _WRAPPERS and len(node.children) == 1:
        node = node.children[0]
    return node


def _is_literal(node: Any) -> bool:
    return getattr(_unwrap(node), "type", None) in _LITERAL_TYPES


_SIMPLE_LIST = 16  # a list literal of at most this many literals is repeated, not computed once


def _is_simple(node: Any) -> bool:
    """Cheap to evaluate again wherever the guard reads it, and printed as a primary expression (no
    parentheses needed): a literal, a name, a field selection on one, ``type()`` of one, a short list of
    literals."""
    node = _unwrap(node)
    if _is_literal(node):
        return True
    data = getattr(node, "data", None)
    children = [c for c in getattr(node, "children", []) if c is not None]
    if data == "list_lit":
        items = children[0].children if children else []
        return len(items) <= _SIMPLE_LIST and all(_is_literal(item) for item in items)
    if data == "ident_arg" and str(children[0]) == "type" and len(children) == 2 and len(children[1].children) == 1:
        return _is_selection(children[1].children[0])
    return _is_selection(node)


def _is_selection(node: Any) -> bool:
    """A name, or a chain of field selections on one (``w.data.kind``)."""
    node = _unwrap(node)
    while getattr(node, "data", None) == "member_dot":
        node = _unwrap(node.children[0])
    return getattr(node, "data", None) == "ident"


def _static_type(node: Any) -> str | None:
    """The CEL type an expression has whenever it has a value: literals, and the standard functions that
    always return one type (``size(x)``, ``x.size()``, ``string(x)``, …); None when it depends on data."""
    node = _unwrap(node)
    kind = getattr(node, "type", None)
    if kind is not None:
        return _LITERAL_TYPES.get(kind)
    data = getattr(node, "data", None)
    children = [c for c in getattr(node, "children", []) if c is not None]
    if data == "ident_arg" and len(children) == 2 and len(children[1].children) == 1:
        return _CALL_TYPES.get(str(children[0]))
    if data == "member_dot_arg" and str(children[1]) == "size" and len(children) == 2:
        return "int"
    return None


_SIMPLE_STRING = re.compile(r"""^(?:'([\w./ -]*)'|"([\w./ -]*)")$""")


def _string_constant(node: Any) -> str | None:
    """The value of an expression that is a plain quoted string literal (no escapes), else None."""
    while getattr(node, "data", None) is not None and len(node.children) == 1:
        node = node.children[0]
    match = _SIMPLE_STRING.match(str(node)) if getattr(node, "type", None) == "STRING_LIT" else None
    return None if match is None else match.group(1) if match.group(1) is not None else match.group(2)


FactPath = tuple[str, ...]


def _fact_path(node: Any) -> FactPath | None:
    """The field names of a chain of selections on the identifier ``facts`` (``facts.a.b``), else None."""
    names: list[str] = []
    while True:
        node = _unwrap(node)
        data = getattr(node, "data", None)
        if data == "member_dot":
            names.append(str(node.children[1]))
            node = node.children[0]
        elif data == "ident" and str(node.children[0]) == "facts":
            return tuple(reversed(names))
        else:
            return None


def _binds_facts(tree: Any) -> bool:
    """Whether a comprehension in ``tree`` names its variable ``facts``."""
    return any(
        str(node.children[1]) in _MACROS
        and len(node.children) > 2
        and node.children[2] is not None
        and _fact_path(node.children[2].children[0]) == ()
        for node in tree.iter_subtrees()
        if node.data == "member_dot_arg"
    )


_MACROS = frozenset({"all", "exists", "exists_one", "map", "filter"})


def rewrite(tree: Any) -> str:
    """C++ CEL source equivalent to cel-python's reading of ``tree``. Raises ``Unsupported``."""
    return Rewriter().text(tree)
