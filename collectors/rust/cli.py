"""What a crate's integration tests do with its command-line interface.

* Invocations: ``Command::cargo_bin(…)``, ``cargo_bin_cmd!(…)``, ``Command::new(cargo_bin!(…))``,
  ``Command::new(env!("CARGO_BIN_EXE_…"))``, ``Command::new("<bin>")``, and helper functions that build
  such a command (``fn ao() -> Command``, ``fn run(args: &[&str])``, methods like ``ws.ao()``), followed
  through method chains and ``let`` bindings to the string literals given to ``.arg(…)``/``.args([…])``.
* The subcommand of an invocation: see ``subcommands``. Mocked external commands: see ``mocking``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from anops_policy.collectors.rust.scan import FnItem, Scan
from anops_policy.collectors.rust.subcommands import subcommand_of
from anops_policy.collectors.rust.tokens import IDENT, STR, Token

_MAX_BUILDER_DEPTH = 4
_LIST_ADAPTERS = {"iter", "into_iter", "to_vec", "clone", "as_slice", "copied", "cloned", "to_owned"}


@dataclass(frozen=True)
class Forward:
    """A builder's argument list that comes from its parameter ``index``."""

    index: int


Arg = str | None | Forward  # a literal, a dynamic value (None), or a forwarded parameter


@dataclass
class Chain:
    line: int
    target: str  # crate_bin | external | unknown
    program: str | None
    args: list[Arg]
    via: str | None = None  # the helper function it went through


@dataclass
class Invocation:
    path: str
    line: int
    test: str
    target: str
    program: str | None
    args: list[str | None]
    subcommand: str | None
    via: str | None


@dataclass
class _Fn:
    path: str
    sc: Scan
    fn: FnItem
    owner: str | None  # the `impl` type a method belongs to


@dataclass
class CliTests:
    """Invocations found in a crate's integration tests, keyed by (path, test function line)."""

    by_test: dict[tuple[str, int], list[Invocation]] = field(default_factory=dict)


# ---- split helpers --------------------------------------------------------------------------------------


def _split_top(toks: list[Token]) -> list[list[Token]]:
    parts: list[list[Token]] = []
    depth = 0
    current: list[Token] = []
    for t in toks:
        if t.kind == "punct" and t.text in "([{":
            depth += 1
        elif t.kind == "punct" and t.text in ")]}":
            depth -= 1
        if t.is_punct(",") and depth == 0:
            parts.append(current)
            current = []
        else:
            current.append(t)
    if current:
        parts.append(current)
    return parts


def _strip_refs(toks: list[Token]) -> list[Token]:
    i = 0
    while i < len(toks) and (toks[i].is_punct("&") or toks[i].is_ident("mut")):
        i += 1
    return toks[i:]


def _literal(toks: list[Token]) -> str | None:
    """A single string literal (``"x"``, ``&"x"``, ``"x".to_string()``, ``String::from("x")``)."""
    toks = _strip_refs(toks)
    if len(toks) >= 1 and toks[0].kind == STR and toks[0].prefix in ("", "r"):
        rest = toks[1:]
        if not rest or (len(rest) == 4 and rest[0].is_punct(".") and rest[1].text in ("to_string", "to_owned", "into")):
            return toks[0].text
    if len(toks) == 6 and toks[0].is_ident("String") and toks[2].text == "from" and toks[4].kind == STR:
        return toks[4].text
    return None


def _list_args(toks: list[Token], params: list[str]) -> list[Arg]:
    """The arguments of ``.args(…)``: an array/slice/vec of literals, a split literal, or a parameter."""
    toks = _strip_refs(toks)
    if len(toks) >= 2 and toks[0].is_ident("vec") and toks[1].is_punct("!"):
        toks = toks[2:]
    if toks and toks[0].is_punct("[") and toks[-1].is_punct("]"):
        return [_single_arg(part, params) for part in _split_top(toks[1:-1])]
    if (
        toks
        and toks[0].kind == STR
        and len(toks) >= 4
        and toks[1].is_punct(".")
        and toks[2].text in ("split_whitespace", "split")
    ):
        return list(toks[0].text.split())
    if toks and toks[0].kind == IDENT and toks[0].text in params:
        rest = [t.text for t in toks[1:] if t.kind == IDENT]
        if all(r in _LIST_ADAPTERS for r in rest):
            return [Forward(params.index(toks[0].text))]
    return [None]


def _single_arg(toks: list[Token], params: list[str]) -> Arg:
    lit = _literal(toks)
    if lit is not None:
        return lit
    stripped = _strip_refs(toks)
    if len(stripped) == 1 and stripped[0].kind == IDENT and stripped[0].text in params:
        return Forward(params.index(stripped[0].text))
    return None


# ---- roots ----------------------------------------------------------------------------------------------


def _bin_from(toks: list[Token]) -> str | None:
    for t in toks:
        if t.kind == STR:
            return t.text.removeprefix("CARGO_BIN_EXE_")
    return None


def _root_at(toks: list[Token], match: dict[int, int], i: int, bins: set[str]) -> tuple[int, Chain] | None:
    """A command constructor starting at ``i``: (index of its last token, the chain it starts)."""
    t = toks[i]
    n = len(toks)
    if t.kind != IDENT:
        return None
    if t.text == "cargo_bin_cmd" and i + 2 < n and toks[i + 1].is_punct("!") and (i + 2) in match:
        close = match[i + 2]
        return close, Chain(t.line, "crate_bin", _bin_from(toks[i + 3 : close]), [])
    if not (t.text.endswith("Command") or t.text == "Cmd") or i + 3 >= n or not toks[i + 1].is_punct("::"):
        return None
    method = toks[i + 2].text
    if not toks[i + 3].is_punct("(") or (i + 3) not in match:
        return None
    close = match[i + 3]
    inner = toks[i + 4 : close]
    if method == "cargo_bin":
        return close, Chain(t.line, "crate_bin", _bin_from(inner), [])
    if method in ("main_binary", "cargo_example"):
        return close, Chain(t.line, "crate_bin", None, [])
    if method != "new":
        return None
    texts = [x.text for x in inner]
    if "cargo_bin" in texts or any(x.kind == STR and x.text.startswith("CARGO_BIN_EXE_") for x in inner):
        return close, Chain(t.line, "crate_bin", _bin_from(inner), [])
    lit = _literal(inner)
    if lit is not None:
        base = lit.rsplit("/", 1)[-1]
        return close, Chain(t.line, "crate_bin" if base in bins else "external", lit, [])
    return close, Chain(t.line, "unknown", None, [])


# ---- the analysis ---------------------------------------------------------------------------------------


class _Analyzer:
    def __init__(self, files: dict[str, Scan], bins: set[str]) -> None:
        self.files = files
        self.bins = bins
        self.fns: list[_Fn] = []
        for path, sc in sorted(files.items()):
            owners = _impl_owners(sc)
            for fn in sc.fns:
                owner = next((name for a, b, name in owners if a <= fn.index <= b), None)
                self.fns.append(_Fn(path, sc, fn, owner))
        self.builders: dict[str, list[_Fn]] = {}
        self._builder_ids: set[int] = set()
        self._templates: dict[int, list[Chain]] = {}
        self._find_builders()

    def _find_builders(self) -> None:
        """Functions (not tests) whose body starts a command for the crate's binary, directly or through
        another such function, found to a fixed point."""
        changed = True
        while changed:
            changed = False
            for f in self.fns:
                if f.fn.is_test or f.fn.body is None or id(f) in self._builder_ids:
                    continue
                chains = self._chains(f, depth=_MAX_BUILDER_DEPTH)
                if any(c.target != "external" for c in chains):
                    self.builders.setdefault(f.fn.name, []).append(f)
                    self._builder_ids.add(id(f))
                    self._templates.clear()
                    changed = True

    def templates(self, f: _Fn, depth: int) -> list[Chain]:
        key = id(f)
        if key not in self._templates:
            self._templates[key] = [c for c in self._chains(f, depth) if c.target != "external"]
        return self._templates[key]

    def _builder_at(self, f: _Fn, i: int) -> tuple[_Fn, int] | None:
        """A call of a builder at token ``i`` of ``f``'s file: (the builder, index of its ``(``)."""
        toks = f.sc.tokens
        t = toks[i]
        if t.kind != IDENT or t.text not in self.builders or i + 1 >= len(toks) or not toks[i + 1].is_punct("("):
            return None
        prev = toks[i - 1] if i > 0 else None
        if prev is not None and prev.is_ident("fn"):
            return None
        qualifier = toks[i - 2].text if prev is not None and prev.is_punct("::") and i >= 2 else None
        for b in self.builders[t.text]:
            if b is f:
                continue
            if qualifier is not None:
                if (
                    qualifier == b.owner
                    or (qualifier == "Self" and f.owner == b.owner)
                    or (b.owner is None and qualifier not in ("Self",))
                ):
                    return b, i + 1
            elif prev is not None and prev.is_punct("."):
                if b.owner is not None:
                    return b, i + 1
            elif b.owner is None:
                return b, i + 1
        return None

    def _chains(self, f: _Fn, depth: int) -> list[Chain]:
        """Every command chain in ``f``'s body, with ``let`` bindings followed."""
        assert f.fn.body is not None
        toks, match = f.sc.tokens, f.sc.match
        start, end = f.fn.body
        params = f.fn.params
        chains: list[Chain] = []
        bound: dict[str, Chain] = {}
        i = start + 1
        while i < end:
            if toks[i].kind != IDENT:  # neither a root, a builder call nor a bound name
                i += 1
                continue
            found = _root_at(toks, match, i, self.bins)
            new: list[Chain] = []
            if found is not None:
                last, chain = found
                new = [chain]
            else:
                call = self._builder_at(f, i) if depth > 0 else None
                if call is None:
                    var = toks[i].text if toks[i].kind == IDENT and toks[i].text in bound else None
                    if var is not None and i + 1 < end and toks[i + 1].is_punct("."):
                        i = self._follow(toks, match, i + 1, end=end, chain=bound[var], params=params)
                        continue
                    i += 1
                    continue
                builder, paren = call
                last = match.get(paren, paren)
                call_args = _split_top(toks[paren + 1 : last])
                for template in self.templates(builder, depth - 1):
                    args: list[Arg] = []
                    for a in template.args:
                        if isinstance(a, Forward):
                            given = call_args[a.index] if a.index < len(call_args) else []
                            args.extend(_list_args(given, params) if given else [None])
                        else:
                            args.append(a)
                    new.append(Chain(toks[i].line, template.target, template.program, args, builder.fn.name))
                if not new:
                    i = last + 1
                    continue
            binding = _let_name(toks, i)
            after = self._follow(toks, match, last + 1, end=end, chain=new[-1], params=params)
            if binding is not None:
                bound[binding] = new[-1]
            chains.extend(new)
            i = max(after, last + 1)
        return chains

    def _follow(
        self, toks: list[Token], match: dict[int, int], i: int, *, end: int, chain: Chain, params: list[str]
    ) -> int:
        """Follow ``.method(…)`` calls from ``i`` (at a ``.``), adding ``.arg``/``.args`` to ``chain``."""
        while i < end:
            if toks[i].is_punct("?"):
                i += 1
                continue
            if not (toks[i].is_punct(".") and i + 1 < end and toks[i + 1].kind == IDENT):
                break
            name = toks[i + 1].text
            if i + 2 < end and toks[i + 2].is_punct("(") and (i + 2) in match:
                close = match[i + 2]
                inner = toks[i + 3 : close]
                if name == "arg":
                    chain.args.append(_single_arg(inner, params))
                elif name == "args":
                    chain.args.extend(_list_args(inner, params))
                i = close + 1
            else:
                i += 2
        return i


def _let_name(toks: list[Token], i: int) -> str | None:
    """``let [mut] NAME [: T] = <here>`` → NAME (``<here>`` may be a method call on a receiver path)."""
    j = i - 1
    while j >= 1 and (toks[j].is_punct(".") or toks[j].is_punct("::")) and toks[j - 1].kind == IDENT:
        j -= 2
    if j < 0 or not toks[j].is_punct("="):
        return None
    j -= 1
    while j >= 0 and not toks[j].is_ident("let") and not toks[j].is_punct(";") and not toks[j].is_punct("{"):
        j -= 1
    if j < 0 or not toks[j].is_ident("let"):
        return None
    k = j + 1
    if k < len(toks) and toks[k].is_ident("mut"):
        k += 1
    return toks[k].text if k < len(toks) and toks[k].kind == IDENT else None


def _impl_owners(sc: Scan) -> list[tuple[int, int, str]]:
    """Token ranges of ``impl … Type {…}`` blocks and the type each implements for."""
    toks, match = sc.tokens, sc.match
    out: list[tuple[int, int, str]] = []
    for i, t in enumerate(toks):
        if not t.is_ident("impl"):
            continue
        j = i + 1
        name: str | None = None
        while j < len(toks) and not toks[j].is_punct("{") and not toks[j].is_punct(";"):
            if toks[j].is_ident("for"):
                name = None
            elif toks[j].kind == IDENT and toks[j].text not in ("where", "dyn", "mut") and name is None:
                name = toks[j].text
            j += 1
        if j < len(toks) and toks[j].is_punct("{") and j in match and name is not None:
            out.append((j, match[j], name))
    return out


def analyze_invocations(
    files: dict[str, Scan], test_files: set[str], bins: set[str], declared: dict[str, str]
) -> CliTests:
    """Invocations per test function of the files in ``test_files``; ``files`` also holds helper modules."""
    analyzer = _Analyzer(files, bins)
    out = CliTests()
    for f in analyzer.fns:
        if f.path not in test_files or not f.fn.is_test or f.fn.body is None:
            continue
        found: list[Invocation] = []
        for chain in analyzer._chains(f, depth=_MAX_BUILDER_DEPTH):
            args = [a if isinstance(a, str) else None for a in chain.args]
            found.append(
                Invocation(
                    path=f.path,
                    line=chain.line,
                    test=f.fn.name,
                    target=chain.target,
                    program=chain.program,
                    args=args,
                    subcommand=subcommand_of(args, declared) if chain.target != "external" else None,
                    via=chain.via,
                )
            )
        out.by_test[(f.path, f.fn.line)] = found
    return out
