"""``todos``: TODO/FIXME/XXX/HACK markers in comments (never in string literals), with owner, ticket and
age (from ``git blame``), pre-aggregated per path, tag and language.

How it stays fast on big trees: a native searcher (ripgrep when it is on ``PATH``, else ``git grep``,
else a byte search in Python) lists the files that contain a tag at all; only those are read and parsed
(``comment_lexer``: tree-sitter through the syntax layer, a hand lexer for TOML and Dockerfiles), and a
marker counts only when it lies inside a comment span. Blame runs once per
file that has markers, only for the marker lines (``-L n,n`` ranges), in a few threads, under an
overall time budget: when the budget runs out the remaining files keep no age and the section says
``blame.status: partial`` with the reason, instead of hanging on a huge history.

Options (``collect.options.todos`` in anops-policy.yaml):
  exclude: [globs]          files not to scan (on top of ``collect.exclude``)
  search: auto|rg|git|python  how candidate files are found (auto: rg, then git grep, then Python)
  blame: true|false         compute ages with git blame (default true)
  blame_budget_s: 20        overall time budget for blame, in seconds
  ticket_pattern: REGEX     what a tracker reference looks like (default: ABC-123 style keys)
"""

from __future__ import annotations

import bisect
import os
import re
import shutil
import stat
import subprocess
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pathspec
from anops_policy.collectors.source.blame import add_ages, chunks
from anops_policy.collectors.source.comment_lexer import comment_spans, may_be_in_comment
from anops_policy.collectors.source.languages import language_for, language_from_shebang, name_has_dot

from anops_policy.collection.collector import CollectContext
from anops_policy.collection.fanout import fan_out
from anops_policy.collection.git import GitError
from anops_policy.errors import CollectorFailed
from anops_policy.validation import suggest

TAGS = ("TODO", "FIXME", "XXX", "HACK")
MARKER = re.compile(r"\b(TODO|FIXME|XXX|HACK)\b")
_MARKER_BYTES = re.compile(rb"TODO|FIXME|XXX|HACK")
DEFAULT_TICKET = r"\b[A-Z][A-Z0-9]{1,9}-[0-9]+\b"
# `UTF-8` and `SHA-256` look like tracker keys but are not
NOT_TICKET_KEYS = frozenset({
    "UTF", "UCS", "ISO", "SHA", "MD", "AES", "DES", "RSA", "CRC", "TLS", "SSL", "HTTP", "IPV", "TCP", "UDP",
    "ECMA", "ES", "PEP", "RFC", "UTC", "GMT", "CVE", "CWE",
})
_URL = re.compile(r"https?://[^\s)\]>\"'`]+")
_ISSUE_NUMBER = re.compile(r"(?:[\w.-]+/[\w.-]+#|(?<![\w&])#)[0-9]+\b")
_LEADING_HANDLE = re.compile(r"@([\w.-]+)\b[:,]?\s*")
_TEXT_TRAILER = re.compile(r"\s*(?:\*+/|-->|#\}|%\}|\\)\s*$")
MAX_TEXT = 300
SEARCH_CHUNK_BYTES = 512 * 1024  # of path arguments per ripgrep run (well under ARG_MAX)
SEARCH_TIMEOUT_S = 300.0
DEFAULT_BLAME_BUDGET_S = 20.0
SHEBANG_PROBE_BYTES = 256
# Below this much text to parse, one process is faster than forking children to share the parses.
FAN_OUT_CHARS = 1024 * 1024
SCAN_CHUNKS = 8


@dataclass
class _Options:
    exclude: pathspec.PathSpec[Any] | None
    search: str
    blame: bool
    blame_budget_s: float
    ticket: re.Pattern[str]


@dataclass(frozen=True)
class FileMarkers:
    """One file's markers as the summary cache keeps them (``language`` None: nothing to report)."""

    language: str | None
    items: list[dict[str, Any]]


class TodosCollector:
    name = "todos"
    version = "1"
    depends_on: tuple[str, ...] = ()

    def collect(self, ctx: CollectContext) -> dict[str, Any]:
        opts = _options(ctx.options("todos"))
        candidates = self._candidates(ctx, opts)
        hits = _files_with_tags(ctx, [p for p, (_, link) in candidates.items() if not link], opts.search)
        store = ctx.summaries(self)
        scanned: dict[str, int] = {}
        found: list[FileMarkers] = []
        todo: list[tuple[str, str | None, str]] = []  # (path, language, text) of the files no summary covers
        keys: list[str] = []
        for path, (language, link) in candidates.items():
            if not link and path not in hits:
                if language is not None:
                    scanned[language] = scanned.get(language, 0) + 1
                continue
            text = ctx.read_text(path)
            if text is None:
                continue  # recorded by the context (binary, too large, not UTF-8)
            key = store.key(path, text, language or "") if store.enabled else ""
            hit = store.get(key, FileMarkers)
            if hit is None:
                todo.append((path, language, text))
                keys.append(key)
            else:
                found.append(hit)
        for key, new in zip(keys, _scan_all(ctx, todo, opts.ticket), strict=True):
            store.put(key, new, FileMarkers)
            found.append(new)
        items: list[dict[str, Any]] = []
        for markers in found:
            if markers.language is not None:
                scanned[markers.language] = scanned.get(markers.language, 0) + 1
                items.extend(markers.items)
        items.sort(key=lambda it: (it["path"], it["line"]))
        blame = add_ages(ctx, items, enabled=opts.blame, budget_s=opts.blame_budget_s)
        return _section(items, scanned, blame)

    # ---- which files ------------------------------------------------------------------------------
    @staticmethod
    def _candidates(ctx: CollectContext, opts: _Options) -> dict[str, tuple[str | None, bool]]:
        """path -> (language or None when only a #! line can tell, is_symlink). Oversized files are
        recorded as skipped here, without reading them."""
        out: dict[str, tuple[str | None, bool]] = {}
        root = ctx.repo.root
        base = str(root) + os.sep
        limit = ctx.repo.max_file_bytes
        listed = set(ctx.files())
        for path in ctx.files():
            if opts.exclude is not None and opts.exclude.match_file(path):
                continue
            language = language_for(path)
            if language is None and name_has_dot(path.rsplit("/", 1)[-1]):
                continue  # a known non-code extension (Markdown, JSON, text, images…)
            try:
                st = os.lstat(base + path)
            except OSError as exc:
                ctx.skip(path, f"unreadable: {exc.strerror or exc}")
                continue
            link = stat.S_ISLNK(st.st_mode)
            if link:
                target = ctx.repo.resolve(path)
                if not isinstance(target, Path):
                    ctx.skip(target.path, target.reason)
                    continue
                if target.relative_to(root).as_posix() in listed:
                    continue  # the target is scanned under its own path; don't count it twice
            elif st.st_size > limit:
                ctx.skip(path, f"larger than {limit} bytes ({st.st_size} bytes)")
                continue
            if language is None:
                language = _shebang_language(root / path)
                if language is None:
                    continue
            out[path] = (language, link)
        return out


# ---- the files' markers -----------------------------------------------------------------------------


def _scan_all(
    ctx: CollectContext, files: Sequence[tuple[str, str | None, str]], ticket: re.Pattern[str]
) -> list[FileMarkers]:
    """Each file's markers, in the order of ``files``: in forked children beside this process when there
    is enough source to parse (a parse is native code under the GIL, so threads would not help), else here,
    where the trees join the run's shared parses."""
    if sum(len(text) for _, _, text in files) < FAN_OUT_CHARS:
        return [_scan_text(path, language, text, ticket, ctx.memo) for path, language, text in files]
    order = sorted(range(len(files)), key=lambda i: -len(files[i][2]))  # the biggest first, dealt round
    chunks = [order[k::SCAN_CHUNKS] for k in range(SCAN_CHUNKS)]
    shares = fan_out(
        [c for c in chunks if c],
        lambda chunk: [_scan_text(*files[i], ticket, None) for i in chunk],
    )
    out: dict[int, FileMarkers] = {}
    for chunk, share in zip([c for c in chunks if c], shares, strict=True):
        out.update(zip(chunk, share, strict=True))
    return [out[i] for i in range(len(files))]


def _scan_text(
    path: str, language: str | None, text: str, ticket: re.Pattern[str], memo: MutableMapping[str, Any] | None
) -> FileMarkers:
    if language is None:
        language = language_from_shebang(text[:SHEBANG_PROBE_BYTES].split("\n", 1)[0])
        if language is None:
            return FileMarkers(None, [])
    matches = [m for m in find_tags(text) if may_be_in_comment(text, m[0], language)]
    if not matches:  # no tag can lie in a comment: no parse needed
        return FileMarkers(language, [])
    spans = comment_spans(text, language, limit=matches[-1][0], path=path, memo=memo)
    return FileMarkers(language, _markers(text, matches, spans, path, language, ticket))


# ---- options ----------------------------------------------------------------------------------------


def _options(raw: Mapping[str, Any]) -> _Options:
    known = {"exclude", "search", "blame", "blame_budget_s", "ticket_pattern"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise CollectorFailed(
            f"collect.options.todos: unknown option '{unknown[0]}'{suggest(unknown[0], known)}; "
            f"known: {', '.join(sorted(known))}"
        )
    exclude = raw.get("exclude", [])
    if not isinstance(exclude, list) or not all(isinstance(p, str) for p in exclude):
        raise CollectorFailed("collect.options.todos.exclude must be a list of glob strings")
    search = raw.get("search", "auto")
    if search not in ("auto", "rg", "git", "python"):
        raise CollectorFailed(f"collect.options.todos.search must be auto, rg, git or python, not {search!r}")
    blame = raw.get("blame", True)
    budget = raw.get("blame_budget_s", DEFAULT_BLAME_BUDGET_S)
    if not isinstance(blame, bool):
        raise CollectorFailed("collect.options.todos.blame must be true or false")
    if isinstance(budget, bool) or not isinstance(budget, int | float) or budget <= 0:
        raise CollectorFailed("collect.options.todos.blame_budget_s must be a positive number of seconds")
    pattern = raw.get("ticket_pattern", DEFAULT_TICKET)
    try:
        ticket = re.compile(str(pattern))
    except re.error as exc:
        raise CollectorFailed(f"collect.options.todos.ticket_pattern is not a valid regex: {exc}") from None
    return _Options(
        exclude=pathspec.PathSpec.from_lines("gitignore", exclude) if exclude else None,
        search=str(search),
        blame=blame,
        blame_budget_s=float(budget),
        ticket=ticket,
    )


def _shebang_language(real: Path) -> str | None:
    try:
        with real.open("rb") as fh:
            head = fh.read(SHEBANG_PROBE_BYTES)
    except OSError:
        return None
    if not head.startswith(b"#!"):
        return None
    return language_from_shebang(head.split(b"\n", 1)[0].decode("utf-8", "replace"))


# ---- finding candidate files ------------------------------------------------------------------------


def _files_with_tags(ctx: CollectContext, paths: Sequence[str], how: str) -> set[str]:
    """The subset of ``paths`` whose bytes contain a tag (a superset of the files with markers: the
    word-boundary and comment checks happen later, in Python, on the few files listed)."""
    if not paths:
        return set()
    if how in ("auto", "rg") and shutil.which("rg"):
        found = _search_rg(ctx.repo.root, paths)
        if found is not None:
            return found
    if how in ("auto", "git") and ctx.git is not None:
        found = _search_git(ctx, paths)
        if found is not None:
            return found
    return _search_python(ctx.repo.root, paths)


def _search_rg(root: Path, paths: Sequence[str]) -> set[str] | None:
    found: set[str] = set()
    cmd = ["rg", "--no-config", "--files-with-matches", "--null", "--text", "--fixed-strings",
           "--no-messages", *(arg for tag in TAGS for arg in ("-e", tag)), "--"]
    for chunk in chunks(paths, SEARCH_CHUNK_BYTES):
        try:
            out = subprocess.run(
                [*cmd, *chunk], cwd=root, capture_output=True, timeout=SEARCH_TIMEOUT_S, check=False
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        if out.returncode not in (0, 1, 2):  # 2: some file could not be read; the rest was searched
            return None
        found.update(os.fsdecode(p).removeprefix("./") for p in out.stdout.split(b"\0") if p)
    return found


def _search_git(ctx: CollectContext, paths: Sequence[str]) -> set[str] | None:
    """``git grep`` over exactly ``paths`` (literal pathspecs, in runs under ARG_MAX): never over the whole
    tree, which would read the files the collector leaves out (a 1 GB file, an excluded folder)."""
    git = ctx.git
    assert git is not None
    found: set[str] = set()
    literal = [f":(literal){git.to_top_path(p)}" for p in paths]
    for chunk in chunks(literal, SEARCH_CHUNK_BYTES):
        try:
            out = git.run(
                "grep", "-l", "-z", "--text", "--fixed-strings", "--untracked", "--no-color",
                *(arg for tag in TAGS for arg in ("-e", tag)), "--", *chunk,
                timeout=SEARCH_TIMEOUT_S, check=False,
            )
        except GitError:
            return None
        found.update(rel for top_rel in out.split("\0") if top_rel and (rel := git.to_repo_path(top_rel)))
    # untracked files that .gitignore hides are not in `paths` either, so nothing is lost
    return found & set(paths)


def _search_python(root: Path, paths: Sequence[str]) -> set[str]:
    found = set()
    for path in paths:
        try:
            data = (root / path).read_bytes()
        except OSError:
            found.add(path)  # let the reader record why
            continue
        if _MARKER_BYTES.search(data):
            found.add(path)
    return found


# ---- markers in one file ----------------------------------------------------------------------------


def _is_word_char(c: str) -> bool:
    return c.isalnum() or c == "_"


def find_tags(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, tag)`` of every whole-word tag, in order: the matches of ``MARKER`` (``\\b`` is a
    change between a word character — ``str.isalnum()`` or ``_`` — and anything else), found with
    ``str.find``, which is many times faster than ``re`` on an alternation."""
    found: list[tuple[int, int, str]] = []
    n = len(text)
    for tag in TAGS:
        i = text.find(tag)
        while i >= 0:
            end = i + len(tag)
            if (i == 0 or not _is_word_char(text[i - 1])) and (end == n or not _is_word_char(text[end])):
                found.append((i, end, tag))
            i = text.find(tag, end)
    found.sort()
    return found


def _markers(
    text: str, matches: Sequence[tuple[int, int, str]], spans: Sequence[tuple[int, int]], path: str,
    language: str, ticket: re.Pattern[str],
) -> list[dict[str, Any]]:
    """One item per line: the first tag on that line that lies wholly inside a comment."""
    starts = [s for s, _ in spans]
    seen_lines: set[int] = set()
    items: list[dict[str, Any]] = []
    line, counted_to = 1, 0  # line number of offset `counted_to` (matches come in order)
    for start, stop, tag in matches:
        k = bisect.bisect_right(starts, start) - 1
        if k < 0 or stop > spans[k][1]:
            continue
        line += text.count("\n", counted_to, start)
        counted_to = start
        if line in seen_lines:
            continue
        seen_lines.add(line)
        line_end = text.find("\n", stop)
        end = min(spans[k][1], len(text) if line_end < 0 else line_end)
        items.append(_item(path, line, language, tag, text[stop:end], ticket=ticket))
    return items


def _item(
    path: str, line: int, language: str, tag: str, rest: str, *, ticket: re.Pattern[str]
) -> dict[str, Any]:
    owner: str | None = None
    found_ticket: str | None = None
    rest = _TEXT_TRAILER.sub("", rest.rstrip("\r"))
    paren = re.match(r"\(([^()]*)\)", rest)
    if paren:
        rest = rest[paren.end() :]
        for part in re.split(r"[,;\s]+", paren.group(1).strip()):
            if not part:
                continue
            as_ticket = _find_ticket(part, ticket)
            if as_ticket is not None and found_ticket is None:
                found_ticket = as_ticket
            elif owner is None and as_ticket is None:
                owner = part.lstrip("@")
    text = rest.lstrip(" \t:-–—").strip()
    handle = _LEADING_HANDLE.match(text)
    if owner is None and handle:
        owner = handle.group(1)
    if found_ticket is None:
        found_ticket = _find_ticket(text, ticket)
    item: dict[str, Any] = {
        "path": path, "line": line, "tag": tag, "text": text[:MAX_TEXT], "language": language,
    }
    if owner:
        item["owner"] = owner
    if found_ticket:
        item["ticket"] = found_ticket
    return item


def _find_ticket(text: str, ticket: re.Pattern[str]) -> str | None:
    url = _URL.search(text)
    candidates: list[tuple[int, str]] = []
    if url:
        candidates.append((url.start(), url.group().rstrip(".,;:")))
    for m in ticket.finditer(text):
        key = m.group().split("-", 1)[0]
        if key not in NOT_TICKET_KEYS and not (url and url.start() <= m.start() < url.end()):
            candidates.append((m.start(), m.group()))
            break
    number = _ISSUE_NUMBER.search(text)
    if number and not (url and url.start() <= number.start() < url.end()):
        candidates.append((number.start(), number.group()))
    return min(candidates)[1] if candidates else None


# ---- the section ------------------------------------------------------------------------------------


UNTRACKED_SAMPLE = 50


def _section(
    items: list[dict[str, Any]], scanned: Mapping[str, int], blame: dict[str, str]
) -> dict[str, Any]:
    by_path: dict[str, list[dict[str, Any]]] = {}
    by_tag = dict.fromkeys(TAGS, 0)
    by_language: dict[str, int] = {}
    without = 0
    # the first untracked markers, so a policy cites them without scanning every marker
    untracked: list[dict[str, Any]] = []
    for it in items:
        by_path.setdefault(it["path"], []).append(it)
        by_tag[it["tag"]] += 1
        by_language[it["language"]] = by_language.get(it["language"], 0) + 1
        if "owner" not in it and "ticket" not in it:
            without += 1
            if len(untracked) < UNTRACKED_SAMPLE:
                untracked.append(it)
    return {
        "items": items,
        "by_path": by_path,
        "counts": {
            "total": len(items),
            "by_tag": by_tag,
            "by_language": dict(sorted(by_language.items())),
            "without_owner_or_ticket": without,
            "files_with_markers": len(by_path),
        },
        "untracked": untracked,
        "files_scanned": sum(scanned.values()),
        "files_by_language": dict(sorted(scanned.items())),
        "blame": blame,
    }
