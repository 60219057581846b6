"""Where the comments are: the character spans of every comment in a file, as the ``todos`` collector (a
marker counts only inside a comment) and the docs collector (a command's trailing comment) need them.

Through tree-sitter (``anops_policy.syntax.comments``, one parse per file per run shared with the other
users of the syntax layer) for every language ast-grep bundles a grammar for: Python, Rust, Go,
JavaScript, TypeScript (TSX for ``.tsx`` files), C, C++, shell (the Bash grammar) and YAML. What is a
comment is what the grammar says; the decisions that follow, per language (documented in the todos
schema and in docs/todos.md, with the few places where tree-sitter and the earlier hand lexers differ):

* Python: ``#`` comments only; docstrings are string literals (documentation, not comments).
* Rust: ``//`` (incl. doc comments) and nested ``/* */``; ``#`` or ``//`` inside raw strings is string.
* Go: ``//`` and ``/* */``; raw strings and runes are literals.
* JavaScript/TypeScript: ``//`` and ``/* */``; template literals (with their ``${…}`` code) and
  regular-expression literals are not comments; the ``#!`` line is no comment.
* C/C++: ``//`` (continued by a trailing backslash) and ``/* */``, also after a macro's value (the
  grammar keeps that value opaque; ``syntax.comments`` parses it again); raw strings are literals,
  digit separators (``1'000``) are no char literals. A ``.h`` header is read with the C++ grammar (it is
  as often C++ as C, and C reads as C++ as far as comments go).
* Shell: ``#`` starting a word, outside quotes and here-document bodies.
* YAML: ``#`` comments; quoted and block scalars (``run: |``) are data.

Two languages keep a small hand lexer because ast-grep has no grammar for them (and aborts on a language
name it does not know, so they are never handed to it):

* TOML (``lex_toml``): ``#`` outside basic, literal and multi-line strings.
* Dockerfile (``lex_dockerfile``): lines whose first non-blank character is ``#``, plus shell comments
  (``#`` after whitespace, outside quotes) in shell-form ``RUN`` instructions; here-document bodies are
  data. A Dockerfile's structure (instructions, continuation lines, here-documents) is what decides which
  text is shell at all, so the Bash grammar alone cannot tell; the line lexer does both in one pass.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from typing import Any

from anops_policy.collectors.source.lex_dockerfile import lex_dockerfile
from anops_policy.collectors.source.lex_scan import Span
from anops_policy.collectors.source.lex_toml import lex_toml

from anops_policy.syntax import comments
from anops_policy.syntax.languages import LANGUAGES
from anops_policy.syntax.trees import source_trees

GRAMMARS = {
    "c": "c", "cpp": "cpp", "go": "go", "javascript": "javascript", "python": "python", "rust": "rust",
    "shell": "bash", "typescript": "typescript", "yaml": "yaml",
}
"""The todos collector's language → the tree-sitter grammar that reads it."""

LEXERS: dict[str, Callable[[str, int], list[Span]]] = {"dockerfile": lex_dockerfile, "toml": lex_toml}
"""The languages without a bundled grammar → their hand lexer."""


_HASH_COMMENTS = frozenset({"dockerfile", "python", "shell", "toml", "yaml"})
# A parse takes ~150 bytes of memory per byte of dense source. A file larger than this is parsed only up to
# the end of the line holding ``limit`` (the last position the caller asks about: what follows cannot turn
# earlier text into a comment or out of one), privately, so its tree never joins the run's shared parses.
PREFIX_FROM_CHARS = 512 * 1024


def may_be_in_comment(text: str, offset: int, language: str) -> bool:
    """False when no comment of ``language`` can hold ``offset``: a comment opener must come before it —
    a ``#`` on the same line in the ``#`` languages (their comments end at the line end), ``//`` or
    ``/*`` anywhere before it in the others (a C ``//`` comment may continue over backslash-newlines).
    A cheap test that spares a parse of a file whose tags all sit in code or strings."""
    if language in _HASH_COMMENTS:
        return text.rfind("#", 0, offset) > text.rfind("\n", 0, offset)
    return text.rfind("//", 0, offset) >= 0 or text.rfind("/*", 0, offset) >= 0


def grammar_for(language: str, path: str | None = None) -> str | None:
    """The grammar of a file in ``language`` (``path`` tells TSX from TypeScript, and a header from a C
    source file); None: a hand lexer's."""
    grammar = GRAMMARS.get(language)
    name = "" if path is None else path.lower()
    if grammar == "typescript" and name.endswith(".tsx"):
        return "tsx"
    if grammar == "c" and name.endswith(".h"):
        return "cpp"  # a .h is as often C++ (raw strings, templates) as C, and C reads as C++ for comments
    return grammar


def comment_spans(
    text: str,
    language: str,
    limit: int | None = None,
    path: str | None = None,
    memo: MutableMapping[str, Any] | None = None,
) -> list[Span]:
    """Sorted, non-overlapping ``(start, end)`` character offsets of the comments in ``text``. With
    ``limit``, comments that start after that offset may be left out (a caller that only asks about
    positions before it loses nothing). With ``memo`` (a run's ``CollectContext.memo``) and ``path`` the
    file's tree comes from, and stays in, the run's shared parses."""
    grammar = grammar_for(language, path)
    if grammar is None:
        return LEXERS[language](text, len(text) if limit is None else limit)
    if len(text) > PREFIX_FROM_CHARS:
        end = len(text) if limit is None else text.find("\n", limit)
        prefix = text if end < 0 else text[: end + 1]
        return comments.comment_spans(prefix, grammar, limit)  # a block comment open at the cut ends there
    if memo is None or path is None:
        return comments.comment_spans(text, grammar, limit)
    tree = source_trees(memo).tree(path, text, LANGUAGES[grammar])
    return comments.comment_spans_of(tree.root, text, grammar, limit)
