"""``ini``: INI files (setup.cfg, tox.ini, .editorconfig-like configs) read by the standard library's
``configparser`` without interpolation, keys case preserved, strict (a repeated section or key is an error).

Data model: ``{section: {key: value}}``. Values are the raw strings (a continued value joined with
``\\n``, as ``configparser`` joins it); a key with no ``=`` or ``:`` is ``null``. There is no inheritance:
``[DEFAULT]`` is a section like any other, present only when it has keys, and its keys are not copied into
the other sections. Lines: each section header (``/section``) and each key (``/section/key``), found by a
second pass that follows ``configparser``'s own line rules (comments, continuation by indentation).
"""

from __future__ import annotations

import configparser
import re

from anops_policy.collectors.files.parsers.model import Document, ParseFailure, token

_NO_DEFAULT = "\0no default section"  # a name no header can have: [DEFAULT] becomes an ordinary section
_DEFAULT = "DEFAULT"
_PARSER = configparser.RawConfigParser
_COMMENTS = ("#", ";")
_LINE = re.compile(r"line\s+(\d+)")


def _parser() -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(
        interpolation=None, default_section=_NO_DEFAULT, allow_no_value=True, strict=True
    )
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keep the keys' case
    return parser


def parse_ini(text: str) -> list[Document]:
    """One document: all sections."""
    text = text.removeprefix("\ufeff")
    parser = _parser()
    try:
        parser.read_string(text)
    except configparser.MissingSectionHeaderError as exc:
        raise ParseFailure("a key before any [section] header", exc.lineno) from None
    except configparser.ParsingError as exc:
        line, what = exc.errors[0] if exc.errors else (None, "")
        raise ParseFailure(f"not a section header, key or value: {what}".strip(), line) from None
    except (configparser.DuplicateSectionError, configparser.DuplicateOptionError) as exc:
        reason = exc.message.split("]: ", 1)[-1] if hasattr(exc, "message") else str(exc)
        raise ParseFailure(reason, exc.lineno) from None
    except configparser.Error as exc:
        found = _LINE.search(str(exc))
        raise ParseFailure(str(exc), int(found.group(1)) if found else None) from None
    except AttributeError:  # configparser appends a continuation line to a key's None value
        raise ParseFailure("an indented line continues a key that has no value", _lines(text)[1]) from None
    data: dict[str, dict[str, str | None]] = {}
    for section in parser.sections():
        values: dict[str, str | None] = dict(parser.items(section, raw=True))
        if section == _DEFAULT and not values:
            continue
        data[section] = values
    lines = _lines(text)[0]
    if _DEFAULT not in data:
        lines = {p: n for p, n in lines.items() if p != "/DEFAULT" and not p.startswith("/DEFAULT/")}
    return [Document(data=data, lines=lines, line=1)]


def _lines(text: str) -> tuple[dict[str, int], int | None]:
    """configparser's ``_read`` loop, keeping only where each section and key starts; and the first line
    that continues a key without a value (which configparser fails on)."""
    lines: dict[str, int] = {"": 1}
    section: str | None = None
    option: str | None = None
    valueless, orphan = False, None
    indent_level = 0
    for number, raw in enumerate(text.split("\n"), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith(_COMMENTS):
            continue
        first = _PARSER.NONSPACECRE.search(raw)
        indent = first.start() if first else 0
        if section is not None and option and indent > indent_level:
            if valueless and orphan is None:
                orphan = number
            continue  # a continuation line of the current value
        indent_level = indent
        header = _PARSER.SECTCRE.match(stripped)
        if header:
            section, option = header.group("header"), None
            lines.setdefault(f"/{token(section)}", number)
            continue
        found = _PARSER.OPTCRE_NV.match(stripped)
        if section is None or not found or not found.group("option"):
            option = None
            continue
        option, valueless = found.group("option").rstrip(), found.group("vi") is None
        lines[f"/{token(section)}/{token(option)}"] = number
    return lines, orphan

