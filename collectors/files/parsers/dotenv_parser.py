"""``dotenv``: ``.env`` files (``.env.example``, compose ``env_file``) read by ``python-dotenv``, never loaded
into ``os.environ`` and never interpolated (``${OTHER}`` stays as written).

Data model: ``{KEY: value}`` in file order; a key without ``=`` is ``null``; ``export KEY=…`` is ``KEY``;
a repeated key keeps its last value and line. Lines: each key (the line where its statement starts; a
quoted value may run over several lines). ``python-dotenv`` skips a line it cannot parse with a warning:
here that line is a ParseFailure instead.
"""

from __future__ import annotations

import io

from anops_policy.collectors.files.parsers.model import Document, ParseFailure, token


def parse_dotenv(text: str) -> list[Document]:
    """One document: all keys."""
    from dotenv import dotenv_values  # noqa: PLC0415  # on first use, as every optional engine here
    from dotenv.parser import parse_stream  # noqa: PLC0415

    text = text.removeprefix("\ufeff")
    lines: dict[str, int] = {"": 1}
    for binding in parse_stream(io.StringIO(text)):
        if binding.error:
            statement = binding.original.string.strip().splitlines()[0] if binding.original.string.strip() else ""
            raise ParseFailure(f"not a KEY=value statement: {statement[:80]!r}", binding.original.line)
        if binding.key is not None:
            lines[f"/{token(binding.key)}"] = binding.original.line  # a repeated key: the last one wins
    data = dict(dotenv_values(stream=io.StringIO(text), interpolate=False))
    return [Document(data=data, lines=lines, line=1)]
