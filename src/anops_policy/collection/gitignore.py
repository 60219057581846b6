"""Path patterns as git matches them: ``pathspec`` for pattern sets (excludes, globs), and git's own
gitignore(5)/wildmatch rules for reading ``.gitignore`` files when there is no git."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pathspec


def pattern_spec(patterns: Iterable[str]) -> pathspec.GitIgnoreSpec:
    """``patterns`` matched by git's own wildmatch/gitignore rules (``**``, anchoring, directory-only patterns)."""
    lines = list(patterns)
    try:
        spec = pathspec.GitIgnoreSpec.from_lines(lines)
        spec.match_file("probe")
    except ValueError:  # a malformed pattern: the caller reports it
        raise
    except Exception:  # google-re2, when installed, refuses sets past its memory budget (~2,500 globs)
        spec = pathspec.GitIgnoreSpec.from_lines(lines, backend="simple")
    return spec


_POSIX_CLASSES = {
    "alnum": "a-zA-Z0-9",
    "alpha": "a-zA-Z",
    "blank": " \\t",
    "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": "!-/:-@\\[-`{-~",
    "space": " \\t\\n\\r\\f\\v",
    "upper": "A-Z",
    "xdigit": "0-9A-Fa-f",
}


def _wild_class(pattern: str, start: int) -> tuple[str, int] | None:
    """The regex for the wildmatch bracket expression at ``pattern[start] == "["`` and the index after
    it; None when it is malformed (git then matches nothing with the whole pattern)."""
    i = start + 1
    negated = i < len(pattern) and pattern[i] in "!^"
    if negated:
        i += 1
    members: list[str] = []
    previous: str | None = None  # the last single character (a range's low end)
    first = True
    while True:
        if i >= len(pattern):
            return None
        char = pattern[i]
        if char == "]" and not first:
            break
        first = False
        if char == "\\":
            i += 1
            if i >= len(pattern):
                return None
            previous = pattern[i]
            members.append(re.escape(previous))
            i += 1
        elif char == "-" and previous is not None and i + 1 < len(pattern) and pattern[i + 1] != "]":
            i += 1
            high = pattern[i]
            if high == "\\":
                i += 1
                if i >= len(pattern):
                    return None
                high = pattern[i]
            if previous <= high:
                members.append(f"{re.escape(previous)}-{re.escape(high)}")
            previous = None
            i += 1
        elif char == "[" and pattern.startswith(":", i + 1):
            close = pattern.find("]", i + 2)
            if close == -1:
                return None
            if pattern[close - 1] != ":" or close - 1 < i + 2:  # not a [:class:]: a literal "["
                previous = char
                members.append(re.escape(char))
                i += 1
                continue
            name = pattern[i + 2 : close - 1]
            if name not in _POSIX_CLASSES:
                return None
            members.append(_POSIX_CLASSES[name])
            previous = None
            i = close + 1
        else:
            previous = char
            members.append(re.escape(char))
            i += 1
    chars = "".join(members)
    return (f"[^/{chars}]" if negated else f"(?!/)[{chars}]"), i + 1


def _wildmatch_regex(pattern: str) -> re.Pattern[str]:
    """git's wildmatch with WM_PATHNAME as a regex: ``*``, ``?`` and classes stay inside a directory,
    ``**`` between slashes (or at an end) spans directories, a backslash quotes the next character."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            if i + 1 >= len(pattern):
                return re.compile("(?!)")  # a trailing backslash: the pattern is invalid, matches nothing
            out.append(re.escape(pattern[i + 1]))
            i += 2
        elif char == "*":
            end = i
            while end < len(pattern) and pattern[end] == "*":
                end += 1
            spans = end - i >= 2 and (i == 0 or pattern[i - 1] == "/") and (end == len(pattern) or pattern[end] == "/")
            if spans and end == len(pattern):
                out.append(".*")
                i = end
            elif spans:
                out.append("(?:.*/)?")  # `**/`: zero or more directories
                i = end + 1
            else:
                out.append("[^/]*")
                i = end
        elif char == "?":
            out.append("[^/]")
            i += 1
        elif char == "[":
            bracket = _wild_class(pattern, i)
            if bracket is None:
                return re.compile("(?!)")
            out.append(bracket[0])
            i = bracket[1]
        else:
            out.append(re.escape(char))
            i += 1
    return re.compile("(?s:" + "".join(out) + r")\Z")


def _strip_trailing_spaces(line: str) -> str:
    """Trailing spaces are dropped unless quoted with a backslash (gitignore(5))."""
    end = len(line)
    while end > 0 and line[end - 1] == " ":
        backslashes = 0
        while end - 2 - backslashes >= 0 and line[end - 2 - backslashes] == "\\":
            backslashes += 1
        if backslashes % 2:
            break
        end -= 1
    return line[:end]


@dataclass(frozen=True)
class _IgnoreRule:
    regex: re.Pattern[str]
    negated: bool
    directory_only: bool
    basename_only: bool  # no slash in the pattern: it matches a name at any depth


class GitIgnoreFile:
    """The patterns of one ``.gitignore``; paths are relative to the directory that holds it."""

    def __init__(self, lines: Iterable[str]) -> None:
        self.rules: list[_IgnoreRule] = []
        for raw in lines:
            line = _strip_trailing_spaces(raw)
            if not line or line.startswith("#"):
                continue
            negated = line.startswith("!")
            if negated:
                line = line[1:]
            directory_only = line.endswith("/")
            if directory_only:
                line = line.rstrip("/")
            if not line:
                continue
            basename_only = "/" not in line
            self.rules.append(_IgnoreRule(_wildmatch_regex(line.lstrip("/")), negated, directory_only, basename_only))

    def decide(self, rel: str, is_dir: bool) -> bool | None:
        """True: ignored, False: re-included by a negation, None: no pattern matches. The last
        matching pattern wins."""
        for rule in reversed(self.rules):
            if rule.directory_only and not is_dir:
                continue
            if rule.regex.match(rel.rsplit("/", 1)[-1] if rule.basename_only else rel):
                return not rule.negated
        return None


def gitignored(rel: str, is_dir: bool, ignores: Mapping[str, GitIgnoreFile]) -> bool:
    """Whether ``.gitignore`` files (by the directory holding them, "" for the root) ignore ``rel``: the
    deepest file with a matching pattern decides. The caller checks the parent directories first: git
    never re-includes anything inside an ignored directory."""
    parts = rel.split("/")
    for depth in range(len(parts) - 1, -1, -1):
        spec = ignores.get("/".join(parts[:depth]))
        if spec is not None:
            decision = spec.decide("/".join(parts[depth:]), is_dir)
            if decision is not None:
                return decision
    return False
