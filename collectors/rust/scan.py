"""Structure on top of the Rust token stream: bracket matching, functions with their attributes,
``#[cfg(test)]`` regions and ``mod`` declarations (``Scan``, one per file), and tokens rendered back to text.

Everything works on tokens from ``lexer``, so comments and literals can never match; ``use`` aliases come
from ``uses`` and the per-file source metrics from ``metrics``."""

from __future__ import annotations

from dataclasses import dataclass, field

from anops_policy.collectors.rust.lexer import IDENT, NUM, PUNCT, STR, Token, lex
from anops_policy.collectors.rust.uses import use_aliases

_OPEN = {"(": ")", "[": "]", "{": "}"}
_CLOSE = {v: k for k, v in _OPEN.items()}
_FN_MODIFIERS = {"pub", "async", "unsafe", "const", "extern", "default"}
# attribute paths that make a function a test (besides any path ending in `test`: #[test],
# #[tokio::test], #[test_log::test], #[sqlx::test], …)
_TEST_ATTRS = {"rstest", "test_case", "wasm_bindgen_test", "quickcheck", "test_with"}


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
        uses=use_aliases(toks),
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
