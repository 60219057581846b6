"""A linear pre-scan of CEL source for string literals that would make cel-python's lexer backtrack
exponentially.

cel-python's string and bytes literal patterns (``(?:\\\\[abfnrtv"'\\\\]|\\\\\\d{3}|...|.)*?"``) can match
an escape either as one escape or as two ordinary characters. When a literal has no closing quote, the
regular expression tries every split before it gives up: 2^k steps for k escapes (36 backslashes took
50 s; found by fuzzing). A closed literal matches on the first path, so only an unclosed one with many
escapes is refused here; anything else is left to the parser and its own messages.
"""

from __future__ import annotations

# An unclosed literal with this many backslashes costs cel-python's lexer ~20 ms; each one more ~1.6x.
MAX_ESCAPES_UNCLOSED = 12


def runaway_literal(source: str) -> tuple[int, int] | None:
    """(line, column) of an unclosed string literal with more than ``MAX_ESCAPES_UNCLOSED`` backslashes,
    or None. Literals are found as the lexer finds them: ``//`` comments skipped, a backslash escapes
    the next character, a one-line literal (``"`` or ``'``) ends at the end of its line, a triple-quoted
    one at the end of the source."""
    i, n = 0, len(source)
    while i < n:
        if source.startswith("//", i):
            end = source.find("\n", i)
            i = n if end < 0 else end
            continue
        if source[i] not in "\"'":
            i += 1
            continue
        quote = source[i : i + 3] if source[i : i + 3] in ('"""', "'''") else source[i]
        j, escapes = i + len(quote), 0
        while True:
            if j >= n or (len(quote) == 1 and source[j] == "\n"):
                if escapes > MAX_ESCAPES_UNCLOSED:
                    line = source.count("\n", 0, i) + 1
                    return line, i - (source.rfind("\n", 0, i) + 1) + 1
                return None  # unclosed but cheap: the parser reports it
            if source[j] == "\\":
                escapes += 1
                # a backslash does not carry a one-line literal over its line end
                j += 1 if len(quote) == 1 and source[j + 1 : j + 2] == "\n" else 2
                continue
            if source.startswith(quote, j):
                j += len(quote)
                break
            j += 1
        i = j
    return None
