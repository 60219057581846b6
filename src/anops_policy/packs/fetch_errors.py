"""The one fetch failure that is not the user's input: a source that cannot be reached right now."""

from __future__ import annotations

from anops_policy.errors import EXIT_INTERNAL, AnopsError


class Unreachable(AnopsError):
    """A registry, git remote or web server that does not answer (and no cached copy): exit 3, like an
    unwritable decision log — the run cannot be judged, and nothing is judged on a guess."""

    exit_code = EXIT_INTERNAL
