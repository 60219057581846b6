"""``hcl2``: HCL2 (Terraform ``.tf``, Packer, Nomad) read by ``python-hcl2``; lines per block and attribute
from ``hcl2_positions``.

Data model, as ``python-hcl2`` returns it with quotes stripped and no markers: a body is a map; an attribute
is ``name: value``; blocks of a type are a list under that type, one entry per block in file order, its
labels nested maps around its body: ``resource "aws_s3_bucket" "logs" { bucket = "x" }`` is
``{"resource": [{"aws_s3_bucket": {"logs": {"bucket": "x"}}}]}``. Literal strings, numbers, booleans and
null are values; any other expression is its source text in ``${…}`` (``"${var.region}"``,
``"${length(var.zones) > 1}"``; a template string keeps its ``${…}`` parts); heredocs are their text.

``python-hcl2``'s parser (lark, pure Python) reads ~70 KB per second, so files over ``MAX_BYTES`` are
refused rather than parsed for minutes (real Terraform files are a few KB).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from anops_policy.collectors.files.parsers.hcl2_positions import hcl2_lines
from anops_policy.collectors.files.parsers.model import Document, ParseFailure, json_shaped, resolvable

MAX_BYTES = 256 * 1024


@cache
def _loads() -> Callable[[str], Any]:
    """``hcl2.loads`` with this module's options. Imported on first use: python-hcl2 loads its lark grammar
    at import (~90 ms), which every command would otherwise pay at start-up."""
    import hcl2  # noqa: PLC0415
    from hcl2.utils import SerializationOptions  # noqa: PLC0415

    options = SerializationOptions(
        with_comments=False,
        with_meta=False,
        explicit_blocks=False,  # no "__is_block__" markers
        strip_string_quotes=True,  # "eu-west-1", not "\"eu-west-1\""
        preserve_heredocs=False,  # the heredoc's text, not "<<EOT\n…\nEOT"
        preserve_scientific_notation=False,  # 1e3 is the number 1000.0
    )
    return lambda text: hcl2.loads(text, serialization_options=options)


def parse_hcl2(text: str) -> list[Document]:
    """One document: the file's top-level body."""
    text = text.removeprefix("\ufeff")
    size = len(text.encode("utf-8", "replace"))
    if size > MAX_BYTES:
        raise ParseFailure(f"{size} bytes: larger than the {MAX_BYTES} bytes an HCL2 file may have here")
    try:
        data: Any = _loads()(text)
    except RecursionError:
        raise
    except Exception as exc:  # lark's UnexpectedInput family (lark is cel/'s to import), or the transformer's
        raise _failure(exc) from None
    lines = hcl2_lines(text)
    shaped = json_shaped(data, lines)
    return [Document(data=shaped, lines=resolvable(shaped, lines), line=1)]


def _failure(exc: Exception) -> ParseFailure:
    line, column = getattr(exc, "line", None), getattr(exc, "column", None)
    line = line if isinstance(line, int) and line > 0 else None
    column = column if isinstance(column, int) and column > 0 else None
    token = getattr(exc, "token", None)
    if token is not None and getattr(token, "type", None) == "$END":
        reason = "unexpected end of file"
    elif token is not None:
        reason = f"unexpected {getattr(token, 'type', 'token')} {str(token)!r}"
    elif hasattr(exc, "char"):
        reason = f"unexpected character {exc.char!r}"
    else:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return ParseFailure(f"invalid HCL2: {reason}", line, column)
