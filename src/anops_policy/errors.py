"""One base error for everything a user can cause, and the exit codes they map to.

The CLI has a single handler (``cli.main``) that turns these into a one-line message and an exit code;
anything that is not an ``AnopsError`` is an internal error (exit 3), never a traceback for user input.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_BLOCKING = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130


class AnopsError(Exception):
    """Base of every expected error. ``str(err)`` is the message shown to the user."""

    exit_code = EXIT_USAGE


class ConfigError(AnopsError):
    """Bad policy, pack, config or input file: the message names the file and, where known, line:column."""


class PolicyLoadError(ConfigError):
    """A policy or pack that fails to load or fails the static check."""


class InputError(ConfigError):
    """An input file (fact document, baseline, result file given on the command line) is unusable."""


class LogWriteError(AnopsError):
    """The decision log cannot be written: evaluation fails closed."""

    exit_code = EXIT_INTERNAL


class CollectorFailed(Exception):
    """Raised by a collector that is configured but cannot produce facts (status ``error``)."""


class NotConfigured(Exception):
    """Raised by a collector with nothing to collect because the repository config does not ask for it."""

    def __init__(self, reason: str, how_to_enable: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.how_to_enable = how_to_enable


def location(path: str, line: int | None = None, column: int | None = None) -> str:
    """``path:line:column`` with the parts that are known."""
    out = path
    if line is not None:
        out += f":{line}"
        if column is not None:
            out += f":{column}"
    return out
