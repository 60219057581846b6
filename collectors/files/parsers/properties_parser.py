"""``properties``: Java ``.properties`` files (Spring ``application.properties``, Gradle, i18n bundles) read
by ``javaproperties``.

Why ``javaproperties`` rather than ``jproperties``: it follows ``java.util.Properties.load`` to the letter
(escapes, ``\\uXXXX``, continuations, ``=``/``:``/whitespace separators, ``#``/``!`` comments), is typed,
and its ``parse`` yields every logical line with its exact source text, so the lines come from the same
reading as the data instead of a second, imitating pass. (The tests read every case again with
``jproperties`` and compare.)

Data model: ``{key: value}`` (strings), a repeated key keeping its last value and line. Lines: each key,
at the line where its logical line starts (a ``\\`` continuation runs over the following lines). The one
thing Java refuses, a malformed ``\\uXXXX`` escape, is a ParseFailure at its line.
"""

from __future__ import annotations

from anops_policy.collectors.files.parsers.model import Document, ParseFailure, token


def parse_properties(text: str) -> list[Document]:
    """One document: all keys."""
    import javaproperties  # noqa: PLC0415  # on first use: ~35 ms of import every command would pay

    text = text.removeprefix("\ufeff")
    data: dict[str, str] = {}
    lines: dict[str, int] = {"": 1}
    line, consumed = 1, 0
    try:
        for element in javaproperties.parse(text):
            if isinstance(element, javaproperties.KeyValue):
                data[element.key] = element.value
                lines[f"/{token(element.key)}"] = line
            line += element.source.count("\n")
            consumed += len(element.source)
    except javaproperties.InvalidUEscapeError as exc:
        found = text.find(exc.escape, consumed)
        where = text.count("\n", 0, found) + 1 if found >= 0 else line
        raise ParseFailure(f"malformed \\uXXXX escape {exc.escape!r}", where) from None
    return [Document(data=data, lines=lines, line=1)]
