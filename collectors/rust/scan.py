"""Structure on top of the Rust token stream: bracket matching, functions with their attributes,
``#[cfg(test)]`` regions, ``use`` aliases and path expressions, and the per-file source metrics the
``rust`` collector reports (console output, panics, error context, log macros, logger initialisation).

Everything works on tokens from ``rust_lexer``, so comments and literals can never match."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from anops_policy.collectors.rust.lexer import IDENT, NUM, PUNCT, STR, Token, lex

_OPEN = {"(": ")", "[": "]", "{": "}"}
_CLOSE = {v: k for k, v in _OPEN.items()}
_FN_MODIFIERS = {"pub", "async", "unsafe", "const", "extern", "default"}
# attribute paths that make a function a test (besides any path ending in `test`: #[test],
# #[tokio::test], #[test_log::test], #[sqlx::test], …)
_TEST_ATTRS = {"rstest", "test_case", "wasm_bindgen_test", "quickcheck", "test_with"}

CONSOLE_MACROS = ("println", "eprintln", "print", "eprint", "dbg")
PANIC_MACROS = ("panic", "todo", "unimplemented")
LOG_MACROS = ("trace", "debug", "info", "warn", "error", "event")
CONTEXT_METHODS = ("context", "with_context", "wrap_err", "wrap_err_with")
# (expanded path prefix, library): a call through any of these initialises a logger or subscriber
LOGGER_INITS = (
    ("env_logger::init", "env_logger"),
    ("env_logger::try_init", "env_logger"),
    ("env_logger::Builder", "env_logger"),
    ("env_logger::builder", "env_logger"),
    ("pretty_env_logger::", "pretty_env_logger"),
    ("tracing_subscriber::fmt", "tracing_subscriber"),
    ("tracing_subscriber::registry", "tracing_subscriber"),
    ("tracing_subscriber::FmtSubscriber", "tracing_subscriber"),
    ("tracing_subscriber::Registry", "tracing_subscriber"),
    ("tracing::subscriber::set_global_default", "tracing"),
    ("tracing::subscriber::with_default", "tracing"),
    ("simple_logger::", "simple_logger"),
    ("simplelog::TermLogger", "simplelog"),
    ("simplelog::SimpleLogger", "simplelog"),
    ("simplelog::CombinedLogger", "simplelog"),
    ("simplelog::WriteLogger", "simplelog"),
    ("log4rs::init", "log4rs"),
    ("fern::Dispatch", "fern"),
    ("flexi_logger::Logger", "flexi_logger"),
    ("stderrlog::new", "stderrlog"),
    ("syslog::init", "syslog"),
    ("systemd_journal_logger::", "systemd_journal_logger"),
    ("log::set_logger", "log"),
    ("log::set_boxed_logger", "log"),
    ("tracing_log::LogTracer", "tracing_log"),
    ("console_subscriber::init", "console_subscriber"),
)


@dataclass
class FnItem:
    name: str
    line: int
    index: int  # token index of `fn`
    params: list[str]
    ret: list[Token]
    body: tuple[int, int] | None  # token indexes of the body's `{` and `}`
    attrs: list[list[Token]]
    is_test: bool
    ignored: bool
    in_cfg_test: bool


@dataclass
class Scan:
    """One Rust file, tokenised and structured."""

    tokens: list[Token]
    match: dict[int, int]
    fns: list[FnItem]
    test_ranges: list[tuple[int, int]]  # token index ranges (inclusive) of #[cfg(test)] items
    whole_file_test: bool  # `#![cfg(test)]`
    cfg_test_modules: int
    external_test_mods: list[str]  # `#[cfg(test)] mod name;` (the module lives in another file)
    mods: list[str]  # every `mod name;` declaration
    uses: dict[str, str]
    problems: list[tuple[int, str]] = field(default_factory=list)

    def in_test_code(self, index: int) -> bool:
        return self.whole_file_test or any(a <= index <= b for a, b in self.test_ranges)

    def test_mask(self) -> bytearray:
        """One byte per token: 1 where the token is inside #[cfg(test)] code."""
        mask = bytearray([1 if self.whole_file_test else 0]) * len(self.tokens)
        for a, b in self.test_ranges:
            mask[a : b + 1] = b"\x01" * (b + 1 - a)
        return mask

    def fn_at(self, index: int) -> FnItem | None:
        """The innermost function whose body contains token ``index``."""
        best: FnItem | None = None
        best_start = -1
        for fn in self.fns:
            if fn.body is not None and fn.body[0] <= index <= fn.body[1] and fn.body[0] > best_start:
                best, best_start = fn, fn.body[0]
        return best


def scan(src: str) -> Scan:
    lexed = lex(src)
    toks = lexed.tokens
    match = _match_brackets(toks)
    whole = _has_inner_cfg_test(toks, match)
    test_ranges, cfg_mods, external = _cfg_test_items(toks, match)
    fns = _functions(toks, match, test_ranges)
    if whole:
        for fn in fns:
            fn.in_cfg_test = True
    return Scan(
        tokens=toks,
        match=match,
        fns=fns,
        test_ranges=test_ranges,
        whole_file_test=whole,
        cfg_test_modules=cfg_mods,
        external_test_mods=external,
        mods=_mod_decls(toks),
        uses=_uses(toks),
        problems=list(lexed.problems),
    )


def _match_brackets(toks: list[Token]) -> dict[int, int]:
    match: dict[int, int] = {}
    stack: list[int] = []
    for i, t in enumerate(toks):
        if t.kind != PUNCT:
            continue
        if t.text in _OPEN:
            stack.append(i)
        elif t.text in _CLOSE:
            # tolerate unbalanced input: pop to the nearest opener of the same kind, if any
            for depth in range(len(stack) - 1, -1, -1):
                if toks[stack[depth]].text == _CLOSE[t.text]:
                    opener = stack[depth]
                    del stack[depth:]
                    match[opener] = i
                    match[i] = opener
                    break
    return match


def _attr_at(toks: list[Token], match: dict[int, int], close: int) -> tuple[int, list[Token]] | None:
    """If ``toks[close]`` ends an outer attribute ``#[…]``, its start index and inner tokens."""
    if not toks[close].is_punct("]") or close not in match:
        return None
    open_ = match[close]
    if open_ >= 1 and toks[open_ - 1].is_punct("#"):
        return open_ - 1, toks[open_ + 1 : close]
    return None


def _attrs_before(toks: list[Token], match: dict[int, int], index: int) -> list[list[Token]]:
    """Outer attributes of the item whose first keyword (after visibility/modifiers) is at ``index``."""
    j = index - 1
    while j >= 0:
        t = toks[j]
        if (t.kind == IDENT and t.text in _FN_MODIFIERS) or t.kind == STR:
            j -= 1
        elif t.is_punct(")") and j in match and match[j] >= 1 and toks[match[j] - 1].is_ident("pub"):
            j = match[j] - 1
        else:
            break
    attrs: list[list[Token]] = []
    while j >= 0:
        found = _attr_at(toks, match, j)
        if found is None:
            break
        start, inner = found
        attrs.append(inner)
        j = start - 1
    attrs.reverse()
    return attrs


def attr_path(attr: list[Token]) -> str:
    parts: list[str] = []
    for t in attr:
        if t.kind == IDENT:
            parts.append(t.text)
        elif t.is_punct("::"):
            continue
        else:
            break
    return "::".join(parts)


def _is_cfg_test(attr: list[Token]) -> bool:
    if attr_path(attr) != "cfg":
        return False
    idents = [t.text for t in attr if t.kind == IDENT]
    return "test" in idents and "not" not in idents


def _has_inner_cfg_test(toks: list[Token], match: dict[int, int]) -> bool:
    for i in range(len(toks) - 2):
        if toks[i].is_punct("#") and toks[i + 1].is_punct("!") and toks[i + 2].is_punct("["):
            close = match.get(i + 2)
            if close is not None and _is_cfg_test(toks[i + 3 : close]):
                return True
    return False


def _item_end(toks: list[Token], match: dict[int, int], start: int) -> int:
    """Index of the last token of the item starting at ``start`` (its closing ``}`` or ``;``)."""
    j = start
    while j < len(toks):
        t = toks[j]
        if t.kind == PUNCT and t.text in ("(", "[") and j in match:
            j = match[j] + 1
            continue
        if t.is_punct("{"):
            return match.get(j, len(toks) - 1)
        if t.is_punct(";"):
            return j
        j += 1
    return len(toks) - 1


def _cfg_test_items(toks: list[Token], match: dict[int, int]) -> tuple[list[tuple[int, int]], int, list[str]]:
    ranges: list[tuple[int, int]] = []
    modules = 0
    external: list[str] = []
    i = 0
    while i < len(toks):
        if not (toks[i].is_punct("#") and i + 1 < len(toks) and toks[i + 1].is_punct("[") and (i + 1) in match):
            i += 1
            continue
        close = match[i + 1]
        if not _is_cfg_test(toks[i + 2 : close]):
            i = close + 1
            continue
        # skip further attributes and the visibility, then take the whole item
        j = close + 1
        while j + 1 < len(toks) and toks[j].is_punct("#") and toks[j + 1].is_punct("[") and (j + 1) in match:
            j = match[j + 1] + 1
        k = j
        if k < len(toks) and toks[k].is_ident("pub"):
            k += 1
            if k < len(toks) and toks[k].is_punct("(") and k in match:
                k = match[k] + 1
        end = _item_end(toks, match, j)
        if k + 1 < len(toks) and toks[k].is_ident("mod") and toks[k + 1].kind == IDENT:
            modules += 1
            if k + 2 < len(toks) and toks[k + 2].is_punct(";"):
                external.append(toks[k + 1].text)
        ranges.append((i, end))
        i = end + 1
    return ranges, modules, external


def _mod_decls(toks: list[Token]) -> list[str]:
    return [
        toks[i + 1].text
        for i in range(len(toks) - 2)
        if toks[i].is_ident("mod") and toks[i + 1].kind == IDENT and toks[i + 2].is_punct(";")
    ]


def _functions(toks: list[Token], match: dict[int, int], test_ranges: list[tuple[int, int]]) -> list[FnItem]:
    fns: list[FnItem] = []
    for i, t in enumerate(toks):
        if not (t.is_ident("fn") and i + 1 < len(toks) and toks[i + 1].kind == IDENT):
            continue
        name = toks[i + 1].text
        j = i + 2
        if j < len(toks) and toks[j].is_punct("<"):  # generics: skip to the parameter list
            depth = 0
            while j < len(toks):
                if toks[j].is_punct("<"):
                    depth += 1
                elif toks[j].is_punct(">"):
                    depth -= 1
                    if depth == 0:
                        j += 1
                        break
                elif toks[j].is_punct("("):
                    break
                j += 1
        if j >= len(toks) or not toks[j].is_punct("(") or j not in match:
            continue
        params = _param_names(toks[j + 1 : match[j]])
        k = match[j] + 1
        ret: list[Token] = []
        if k < len(toks) and toks[k].is_punct("->"):
            k += 1
            while k < len(toks) and not (toks[k].is_punct("{") or toks[k].is_punct(";") or toks[k].is_ident("where")):
                ret.append(toks[k])
                k += 1
        while k < len(toks) and not (toks[k].is_punct("{") or toks[k].is_punct(";")):
            k += 1
        body = (k, match[k]) if k < len(toks) and toks[k].is_punct("{") and k in match else None
        attrs = _attrs_before(toks, match, i)
        paths = [attr_path(a) for a in attrs]
        is_test = any(p == "test" or p.endswith("::test") or p in _TEST_ATTRS for p in paths)
        fns.append(
            FnItem(
                name=name,
                line=t.line,
                index=i,
                params=params,
                ret=ret,
                body=body,
                attrs=attrs,
                is_test=is_test,
                ignored="ignore" in paths,
                in_cfg_test=any(a <= i <= b for a, b in test_ranges),
            )
        )
    return fns


def _param_names(toks: list[Token]) -> list[str]:
    """Parameter names, ``self`` excluded, in order (``_`` for patterns that are not a plain name)."""
    names: list[str] = []
    depth = 0
    current: list[Token] = []
    for t in [*toks, Token(PUNCT, ",", 0)]:
        if t.kind == PUNCT and t.text in "([{<":
            depth += 1
        elif t.kind == PUNCT and t.text in ")]}>":
            depth -= 1
        if t.is_punct(",") and depth == 0:
            head = [x for x in current if not (x.is_punct("&") or x.is_ident("mut") or x.kind == "lifetime")]
            if head and not (head[0].is_ident("self")):
                colon = next((n for n, x in enumerate(head) if x.is_punct(":")), None)
                names.append(head[0].text if colon == 1 and head[0].kind == IDENT else "_")
            current = []
        else:
            current.append(t)
    return names


# ---- use declarations and paths -------------------------------------------------------------------------


def _uses(toks: list[Token]) -> dict[str, str]:
    """``use`` aliases: the name in scope → the full path.

    ``use a::b::{c, d as e}`` gives c → a::b::c and e → a::b::d."""
    out: dict[str, str] = {}
    i = 0
    while i < len(toks):
        if toks[i].is_ident("use") and (i == 0 or not toks[i - 1].is_punct("::")):
            end = i + 1
            while end < len(toks) and not toks[end].is_punct(";"):
                end += 1
            _use_tree(toks[i + 1 : end], [], out)
            i = end
        i += 1
    return out


_MAX_USE_DEPTH = 16  # nested `use a::{b::{…}}` groups followed; deeper ones (never seen in real code) are ignored


def _use_tree(toks: list[Token], prefix: list[str], out: dict[str, str], depth: int = 0) -> None:
    if depth > _MAX_USE_DEPTH:
        return
    parts = list(prefix)
    i = 0
    while i < len(toks):
        t = toks[i]
        if t.kind == IDENT and t.text != "as":
            parts.append(t.text)
        elif t.is_punct("{"):
            level, start = 0, i + 1
            for j in range(i, len(toks)):
                if toks[j].is_punct("{"):
                    level += 1
                elif toks[j].is_punct("}"):
                    level -= 1
                    if level == 0:
                        _use_group(toks[start:j], parts, out, depth + 1)
                        return
            return
        elif t.is_ident("as") and i + 1 < len(toks):
            out[toks[i + 1].text] = "::".join(p for p in parts if p not in ("crate", "self", "super"))
            return
        i += 1
    clean = [p for p in parts if p not in ("crate", "self", "super")]
    if clean:
        out[clean[-1]] = "::".join(clean)


def _use_group(toks: list[Token], prefix: list[str], out: dict[str, str], depth: int) -> None:
    level, start = 0, 0
    for j, t in enumerate([*toks, Token(PUNCT, ",", 0)]):
        if t.is_punct("{"):
            level += 1
        elif t.is_punct("}"):
            level -= 1
        elif t.is_punct(",") and level == 0:
            if j > start:
                _use_tree(toks[start:j], prefix, out, depth)
            start = j + 1


def paths(sc: Scan) -> Iterator[tuple[int, str]]:
    """Every path expression outside ``use`` declarations: (token index of its start, expanded path).
    The first segment is expanded through the file's ``use`` aliases."""
    toks = sc.tokens
    i = 0
    n = len(toks)
    while i < n:
        t = toks[i]
        if t.is_ident("use"):
            while i < n and not toks[i].is_punct(";"):
                i += 1
            continue
        if t.kind == IDENT and not (i > 0 and toks[i - 1].is_punct("::")):
            segs = [t.text]
            j = i + 1
            while j + 1 < n and toks[j].is_punct("::") and toks[j + 1].kind == IDENT:
                segs.append(toks[j + 1].text)
                j += 2
            while segs and segs[0] in ("crate", "self", "super") and len(segs) > 1:
                segs = segs[1:]
            head = sc.uses.get(segs[0])
            if head is not None:
                segs = [*head.split("::"), *segs[1:]]
            yield i, "::".join(segs)
            i = j
            continue
        i += 1


# ---- per-file source metrics ----------------------------------------------------------------------------


@dataclass
class SourceMetrics:
    console_output: list[dict[str, object]]
    panics: list[dict[str, object]]
    context_count: int
    log_macro_count: int
    logger_inits: list[dict[str, object]]
    unit_test_count: int
    ignored_unit_test_count: int
    cfg_test_modules: int


_INTERESTING = frozenset((*CONSOLE_MACROS, *PANIC_MACROS, *LOG_MACROS, *CONTEXT_METHODS, "unwrap", "expect"))
_LOGGER_ROOTS = frozenset(prefix.split("::")[0] for prefix, _ in LOGGER_INITS)


def source_metrics(sc: Scan) -> SourceMetrics:
    """What a non-test source file does outside its ``#[cfg(test)]`` items."""
    toks = sc.tokens
    in_test = sc.test_mask()
    console: list[dict[str, object]] = []
    panics: list[dict[str, object]] = []
    context = 0
    logs = 0
    n = len(toks)
    for i, t in enumerate(toks):
        if t.kind != IDENT or t.text not in _INTERESTING or in_test[i] or i + 1 >= n:
            continue
        nxt = toks[i + 1]
        if nxt.kind == PUNCT and nxt.text == "!":
            if t.text in CONSOLE_MACROS:
                console.append({"line": t.line, "macro": t.text})
            elif t.text in PANIC_MACROS:
                panics.append({"line": t.line, "kind": t.text})
            elif t.text in LOG_MACROS:
                logs += 1
            continue
        if i == 0 or not toks[i - 1].is_punct(".") or not nxt.is_punct("("):
            continue
        if t.text == "unwrap" and i + 2 < n and toks[i + 2].is_punct(")"):
            panics.append({"line": t.line, "kind": "unwrap"})
        elif t.text == "expect":
            panics.append({"line": t.line, "kind": "expect"})
        elif t.text in CONTEXT_METHODS:
            context += 1
    inits: list[dict[str, object]] = []
    seen_lines: set[int] = set()
    roots = _LOGGER_ROOTS | {alias for alias, full in sc.uses.items() if full.split("::")[0] in _LOGGER_ROOTS}
    if any(t.kind == IDENT and t.text in roots for t in toks):
        for index, path in paths(sc):
            if in_test[index] or path.split("::")[0] not in _LOGGER_ROOTS:
                continue
            for prefix, library in LOGGER_INITS:
                if path.startswith(prefix) and toks[index].line not in seen_lines:
                    seen_lines.add(toks[index].line)
                    inits.append({"line": toks[index].line, "library": library})
                    break
    tests = [f for f in sc.fns if f.is_test]
    return SourceMetrics(
        console_output=console,
        panics=panics,
        context_count=context,
        log_macro_count=logs,
        logger_inits=inits,
        unit_test_count=len(tests),
        ignored_unit_test_count=sum(f.ignored for f in tests),
        cfg_test_modules=sc.cfg_test_modules + (1 if sc.whole_file_test else 0),
    )


def render(toks: list[Token]) -> str:
    """Tokens back to compact source text (for return types and evidence)."""
    out = ""
    for t in toks:
        text = f'"{t.text}"' if t.kind == STR else ("'" + t.text if t.kind == "lifetime" else t.text)
        if (out and (t.kind in (IDENT, NUM) or t.kind == "lifetime") and (out[-1].isalnum() or out[-1] in "_,")) or (
            out and out[-1] == "," and t.kind != PUNCT
        ):
            out += " "
        out += text
    return out
