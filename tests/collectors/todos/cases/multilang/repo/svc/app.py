"""Relay service.

TODO: this docstring mentions a TODO, but a docstring is documentation (a string literal).
"""

from __future__ import annotations

import logging
import os

log = logging.getLogger(__name__)

PLACEHOLDER = "TODO: set RELAY_TOKEN"  # FIXME(@bo): read this from the environment
HASH_IN_STRING = "# TODO not a comment"
SQL = '''
SELECT id FROM events -- TODO: not a comment either
# XXX still inside the triple-quoted string
'''


def forward(event: dict[str, str]) -> str:
    # TODO: retry with backoff (RELAY-12)
    target = os.environ.get("RELAY_TARGET", "localhost:9000")
    label = f"{event['kind']} -> {target} # TODO inside an f-string"
    nested = f"{'#' if event else ''} HACK inside the literal part"
    width = f"{target:>{len(label)}} TODO"
    log.info("forwarding %s", label)  # HACK: logging instead of metrics until RELAY-40
    return label + nested + width


def is_placeholder(value: str) -> bool:
    """Values still to be filled in.

    XXX: docstrings of functions are string literals too.
    """
    return value.startswith("TODO") or value == "FIXME"  # noqa: PLR2004


class Retry:
    # TODOS and todo are not markers: the tag must be a whole, upper-case word
    attempts = 3  # XXX why three? see https://example.com/runbooks/relay#retries
