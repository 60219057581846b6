"""Where the comments are: per-language lexers that return the character spans of every comment in a file.

Each lexer knows just enough of its language to tell a comment from a string literal — which is what a
TODO scanner needs and what a regex over lines cannot do (``"TODO:"`` in a string, ``#`` inside a Rust raw
string, a FIXME after an inner ``*/`` of a nested Rust block comment). They are not parsers: on malformed
input they stop a literal at the end of its line (single-line literals) or at the end of the file, and
never raise. Each scan jumps between "interesting" characters with one compiled regex, so the cost is
proportional to the number of quotes and comment openers, not to the file size.
This module dispatches by language; the lexers live in ``lex_c_family``, ``lex_js``, ``lex_python``,
``lex_shell`` and ``lex_config``, built on the primitives of ``lex_scan``.

Decisions, per language (documented in the todos schema too):

* Python: ``#`` comments only; docstrings are string literals (documentation, not comments).
  f-string replacement fields are lexed as code (nested strings inside them are strings).
* Rust: ``//`` (incl. doc comments) and nested ``/* */``; strings, byte strings, raw strings
  ``r#"…"#``; ``'"'`` is a char literal, ``'a`` a lifetime.
* Go: ``//`` and ``/* */``; ``"…"``, raw ``` `…` ``` and rune literals.
* JavaScript/TypeScript: ``//`` and ``/* */``; quotes, template literals with ``${…}`` nesting, and
  regular-expression literals (recognised from the preceding token).
* C/C++: ``//`` (continued by a trailing backslash) and ``/* */``; quotes and raw strings ``R"d(…)d"``.
* Shell: ``#`` at the start of a word, outside quotes, ``$(…)``/``${…}`` and here-document bodies.
* YAML: ``#`` at the start of a line or after whitespace, outside quoted scalars and block scalars
  (``|``/``>`` content is data — a ``# TODO`` inside a CI ``run: |`` script is not a YAML comment).
* TOML: ``#`` outside basic, literal and multi-line strings.
* Dockerfile: lines whose first non-blank character is ``#``, plus shell comments (``#`` after
  whitespace, outside quotes) in shell-form ``RUN`` instructions; here-document bodies are data.
"""

from __future__ import annotations

from collections.abc import Callable

from anops_policy.collectors.source.lex_c_family import lex_c, lex_go, lex_rust
from anops_policy.collectors.source.lex_config import lex_toml, lex_yaml
from anops_policy.collectors.source.lex_js import lex_js
from anops_policy.collectors.source.lex_python import lex_python
from anops_policy.collectors.source.lex_scan import Span
from anops_policy.collectors.source.lex_shell import lex_dockerfile, lex_shell


def comment_spans(text: str, language: str, limit: int | None = None, path: str | None = None) -> list[Span]:
    """Sorted, non-overlapping ``(start, end)`` character offsets of the comments in ``text``. With
    ``limit``, lexing may stop at the first comment or literal that starts after that offset (a caller
    that only asks about positions before it loses nothing). ``path`` (the file's name) is not needed by
    these lexers."""
    return LEXERS[language](text, len(text) if limit is None else limit)


LEXERS: dict[str, Callable[[str, int], list[Span]]] = {
    "c": lex_c,
    "cpp": lex_c,
    "dockerfile": lex_dockerfile,
    "go": lex_go,
    "javascript": lex_js,
    "python": lex_python,
    "rust": lex_rust,
    "shell": lex_shell,
    "toml": lex_toml,
    "typescript": lex_js,
    "yaml": lex_yaml,
}
