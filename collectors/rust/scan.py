"""Structure on top of the Rust token stream: bracket matching, functions with their attributes,
``#[cfg(test)]`` regions and ``mod`` declarations (``Scan``, one per file), and tokens rendered back to text.

Everything works on the file's tokens, read off its tree-sitter tree (``tokens``), so comments and literals
can never match; ``use`` aliases come from ``uses`` and the per-file source metrics from ``metrics``."""

from __future__ import annotations

from dataclasses import dataclass, field

from anops_policy.collectors.rust.tokens import IDENT, NUM, PUNCT, STR, Token, positions, rust_tokens, token_keys
from anops_policy.collectors.rust.uses import use_aliases

from anops_policy.syntax.trees import Tree

_OPEN: dict[str | None, str] = {"(": ")", "[": "]", "{": "}"}
_CLOSE: dict[str | None, str] = {")": "(", "]": "[", "}": "{"}
_FN_MODIFIERS = {"pub", "async", "unsafe", "const", "extern", "default"}
# attribute paths that make a function a test (besides any path ending in `test`: #[test],
# #[tokio::test], #[test_log::test], #[sqlx::test], …)
_TEST_ATTRS = {"rstest", "test_case", "wasm_bindgen_test", "quickcheck", "test_with"}
_KEYED = frozenset((IDENT, PUNCT))
_SKIPPED = frozenset(("(", "["))
_ITEM_END = frozenset(("{", ";"))
_RET_END = frozenset(("{", ";", "where"))


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
    keys: list[str | None]  # per token: its text for an identifier or punctuation, else None (``tokens.token_keys``)
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


def scan(src: str, tree: Tree | None = None) -> Scan:
    """``src`` scanned from its tree (``tree``: the run's parse of it, else parsed here)."""
    lexed = rust_tokens(src, tree)
    toks = lexed.tokens
    keys = token_keys(toks)
    match = _match_brackets(keys)
    hashes = positions(keys, "#")
    whole = _has_inner_cfg_test(toks, keys, match, hashes)
    test_ranges, cfg_mods, external = _cfg_test_items(toks, keys, match, hashes)
    fns = _functions(toks, keys, match, test_ranges)
    if whole:
        for fn in fns:
            fn.in_cfg_test = True
    return Scan(
        tokens=toks,
        keys=keys,
        match=match,
        fns=fns,
        test_ranges=test_ranges,
        whole_file_test=whole,
        cfg_test_modules=cfg_mods,
        external_test_mods=external,
        mods=_mod_decls(toks, keys),
        uses=use_aliases(toks, keys),
        problems=list(lexed.problems),
    )


def _match_brackets(keys: list[str | None]) -> dict[int, int]:
    match: dict[int, int] = {}
    stack: list[int] = []
    push = stack.append
    for i, k in enumerate(keys):
        if k in _OPEN:
            push(i)
        elif k in _CLOSE:
            opening = _CLOSE[k]
            if stack and keys[stack[-1]] == opening:  # balanced input: the innermost opener
                opener = stack.pop()
                match[opener] = i
                match[i] = opener
                continue
            # tolerate unbalanced input: pop to the nearest opener of the same kind, if any
            for depth in range(len(stack) - 1, -1, -1):
                if keys[stack[depth]] == opening:
                    opener = stack[depth]
                    del stack[depth:]
                    match[opener] = i
                    match[i] = opener
                    break
    return match


def _attr_at(
    toks: list[Token], keys: list[str | None], match: dict[int, int], close: int
) -> tuple[int, list[Token]] | None:
    """If ``toks[close]`` ends an outer attribute ``#[…]``, its start index and inner tokens."""
    if keys[close] != "]" or close not in match:
        return None
    open_ = match[close]
    if open_ >= 1 and keys[open_ - 1] == "#":
        return open_ - 1, toks[open_ + 1 : close]
    return None


def _attrs_before(toks: list[Token], keys: list[str | None], match: dict[int, int], index: int) -> list[list[Token]]:
    """Outer attributes of the item whose first keyword (after visibility/modifiers) is at ``index``."""
    j = index - 1
    while j >= 0:
        k = keys[j]
        if k in _FN_MODIFIERS or toks[j].kind == STR:
            j -= 1
        elif k == ")" and j in match and match[j] >= 1 and keys[match[j] - 1] == "pub":
            j = match[j] - 1
        else:
            break
    attrs: list[list[Token]] = []
    while j >= 0:
        found = _attr_at(toks, keys, match, j)
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


def _has_inner_cfg_test(toks: list[Token], keys: list[str | None], match: dict[int, int], hashes: list[int]) -> bool:
    last = len(toks) - 3
    for i in hashes:
        if i <= last and keys[i + 1] == "!" and keys[i + 2] == "[":
            close = match.get(i + 2)
            if close is not None and _is_cfg_test(toks[i + 3 : close]):
                return True
    return False


def _item_end(keys: list[str | None], match: dict[int, int], start: int) -> int:
    """Index of the last token of the item starting at ``start`` (its closing ``}`` or ``;``)."""
    j = start
    n = len(keys)
    while j < n:
        k = keys[j]
        if k in _SKIPPED and j in match:
            j = match[j] + 1
            continue
        if k == "{":
            return match.get(j, n - 1)
        if k == ";":
            return j
        j += 1
    return n - 1


def _cfg_test_items(
    toks: list[Token], keys: list[str | None], match: dict[int, int], hashes: list[int]
) -> tuple[list[tuple[int, int]], int, list[str]]:
    ranges: list[tuple[int, int]] = []
    modules = 0
    external: list[str] = []
    n = len(toks)
    i = 0  # the attributes and items before ``i`` are done
    for h in hashes:
        if h < i or not (h + 1 < n and keys[h + 1] == "[" and (h + 1) in match):
            continue
        close = match[h + 1]
        if not _is_cfg_test(toks[h + 2 : close]):
            i = close + 1
            continue
        # skip further attributes and the visibility, then take the whole item
        j = close + 1
        while j + 1 < n and keys[j] == "#" and keys[j + 1] == "[" and (j + 1) in match:
            j = match[j + 1] + 1
        k = j
        if k < n and keys[k] == "pub":
            k += 1
            if k < n and keys[k] == "(" and k in match:
                k = match[k] + 1
        end = _item_end(keys, match, j)
        if k + 1 < n and keys[k] == "mod" and toks[k + 1].kind == IDENT:
            modules += 1
            if k + 2 < n and keys[k + 2] == ";":
                external.append(toks[k + 1].text)
        ranges.append((h, end))
        i = end + 1
    return ranges, modules, external


def _mod_decls(toks: list[Token], keys: list[str | None]) -> list[str]:
    last = len(toks) - 3
    return [
        toks[i + 1].text
        for i in positions(keys, "mod")
        if i <= last and toks[i + 1].kind == IDENT and keys[i + 2] == ";"
    ]


def _functions(
    toks: list[Token], keys: list[str | None], match: dict[int, int], test_ranges: list[tuple[int, int]]
) -> list[FnItem]:
    fns: list[FnItem] = []
    n = len(toks)
    for i in positions(keys, "fn"):
        if not (i + 1 < n and toks[i + 1].kind == IDENT):
            continue
        t = toks[i]
        name = toks[i + 1].text
        j = i + 2
        if j < n and keys[j] == "<":  # generics: skip to the parameter list
            depth = 0
            while j < n:
                key = keys[j]
                if key == "<":
                    depth += 1
                elif key == ">":
                    depth -= 1
                    if depth == 0:
                        j += 1
                        break
                elif key == "(":
                    break
                j += 1
        if j >= n or keys[j] != "(" or j not in match:
            continue
        params = _param_names(toks[j + 1 : match[j]])
        k = match[j] + 1
        ret: list[Token] = []
        if k < n and keys[k] == "->":
            k += 1
            while k < n and keys[k] not in _RET_END:
                ret.append(toks[k])
                k += 1
        while k < n and keys[k] not in _ITEM_END:
            k += 1
        body = (k, match[k]) if k < n and keys[k] == "{" and k in match else None
        attrs = _attrs_before(toks, keys, match, i)
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
        if t.kind == PUNCT:
            text = t.text
            if text in "([{<":
                depth += 1
            elif text in ")]}>":
                depth -= 1
            elif text == "," and depth == 0:
                head = [x for x in current if x.kind != "lifetime" and _param_key(x) not in ("&", "mut")]
                if head and _param_key(head[0]) != "self":
                    colon = next((n for n, x in enumerate(head) if x.kind == PUNCT and x.text == ":"), None)
                    names.append(head[0].text if colon == 1 and head[0].kind == IDENT else "_")
                current = []
                continue
        current.append(t)
    return names


def _param_key(t: Token) -> str | None:
    return t.text if t.kind in _KEYED else None


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
