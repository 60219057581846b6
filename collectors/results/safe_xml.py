"""Untrusted XML in: parsing with no entity expansion or external fetches, tag names without their
namespace, and numeric attribute values as producers write them."""

from __future__ import annotations

import math
import re
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from anops_policy.collectors.results.model import ResultFileError


def parse_xml(data: bytes) -> Element:
    """Parse untrusted XML: no entity declarations (billion laughs), no external entities or DTD
    fetches. A DOCTYPE without entities (old Cobertura, JaCoCo) is allowed."""
    import defusedxml.ElementTree as SafeET  # noqa: PLC0415 - start-up: only a run that reads XML needs it
    from defusedxml import DefusedXmlException  # noqa: PLC0415

    try:
        root: Element = SafeET.fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        name = getattr(exc, "name", None) or getattr(exc, "value", None) or "?"
        raise ResultFileError(
            f"XML declares entity '{name}' ({type(exc).__name__}): refused, nothing expanded or fetched"
        ) from None
    except ParseError as exc:
        line, column = getattr(exc, "position", (None, None))
        reason = _strip_position(str(exc))
        raise ResultFileError(f"malformed XML at line {line}, column {column}: {reason}") from None
    except (ValueError, LookupError, RecursionError) as exc:  # an unknown encoding declaration is a LookupError
        raise ResultFileError(f"unreadable XML: {exc}") from None
    return root


def _strip_position(message: str) -> str:
    return re.sub(r":? line \d+, column \d+$", "", message)


def local(tag: Any) -> str:
    """Tag without its ``{namespace}``; comments and processing instructions have no string tag."""
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def parse_float(value: str | None) -> float | None:
    """``time`` attributes: plain floats, but old Surefire wrote locale thousands separators (1,234.5)."""
    if value is None:
        return None
    try:
        out = float(value.replace(",", "").strip())
    except ValueError:
        return None
    return out if math.isfinite(out) else None


def parse_int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        number = parse_float(value)
        return int(number) if number is not None and number.is_integer() else None
