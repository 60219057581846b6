"""A failed test's message as one short line: the first non-blank line, or a Rust panic's location and
message; shared by the JUnit and cargo readers."""

from __future__ import annotations

import re
from collections.abc import Sequence

MAX_MESSAGE_CHARS = 500
PANIC = re.compile(r"^thread '(?P<name>[^']*)'(?: \(\d+\))? panicked at (?P<rest>.*)$")


def first_line(text: str | None, limit: int = MAX_MESSAGE_CHARS) -> str:
    for raw in (text or "").splitlines():
        line = raw.strip()
        if line:
            return line[:limit]
    return ""


def rust_panic_summary(lines: Sequence[str]) -> str:
    """``thread 'x' panicked at src/lib.rs:16:18:`` + the next line (Rust >= 1.73), or the one-line
    ``panicked at 'msg', src/lib.rs:16:5`` of older Rust, as ``panicked at <where>: <message>``."""
    stripped = [line.strip() for line in lines]
    for index, line in enumerate(stripped):
        m = PANIC.match(line)
        if m is None:
            continue
        rest = m["rest"].strip()
        if rest.endswith(":"):
            follow = next((nxt for nxt in stripped[index + 1:] if nxt), "")
            return f"panicked at {rest} {follow}".strip()[:MAX_MESSAGE_CHARS]
        return f"panicked at {rest}"[:MAX_MESSAGE_CHARS]
    return ""
