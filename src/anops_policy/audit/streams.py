"""Which stream (chain) of a central store an evaluation belongs to: the repository's identity.

In order: ``--stream``; the CI's repository id (``GITHUB_REPOSITORY`` on GitHub's server,
``CI_PROJECT_PATH`` on GitLab's); the normalised URL of the git remote ``origin``; the folder's name.
CI ids and remote URLs normalise to the same ``host/owner/name`` form, so a repository's CI runs and a
developer's local runs land in one stream. Credentials in a remote URL are never part of it.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

STREAM_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,254}$")
SCP_REMOTE = re.compile(r"^(?:[^@/]+@)?(?P<host>[^:/]+):(?P<path>(?!/).+)$")  # git@github.com:org/repo.git


def normalise_remote(url: str) -> str | None:
    """``host/path`` of a git remote URL without user, password, port, ``.git`` or trailing slashes."""
    text = url.strip()
    if not text:
        return None
    if "://" in text:
        try:
            parts = urlsplit(text)
            host = parts.hostname or ""
        except ValueError:
            return None
        if parts.scheme == "file" or not host:
            return None
        path = parts.path
    else:
        match = SCP_REMOTE.match(text)
        if not match:
            return None
        host, path = match["host"], match["path"]
    path = path.strip("/").removesuffix(".git").strip("/")
    return f"{host.lower()}/{path}" if path else None


def ci_stream(environ: Mapping[str, str]) -> str | None:
    if environ.get("GITHUB_REPOSITORY"):
        host = urlsplit(environ.get("GITHUB_SERVER_URL") or "https://github.com").hostname or "github.com"
        return f"{host}/{environ['GITHUB_REPOSITORY']}"
    if environ.get("CI_PROJECT_PATH"):
        return f"{environ.get('CI_SERVER_HOST') or 'gitlab.com'}/{environ['CI_PROJECT_PATH']}"
    return None


def remote_stream(root: Path) -> str | None:
    try:
        out = subprocess.run(["git", "-C", str(root), "remote", "get-url", "origin"], capture_output=True, text=True,
                             timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return normalise_remote(out.stdout) if out.returncode == 0 else None


def check_stream(stream: str, source: str = "--stream") -> str:
    from anops_policy.errors import ConfigError  # noqa: PLC0415

    if not STREAM_PATTERN.match(stream):
        raise ConfigError(f"{source} {stream!r}: a stream is 1-255 characters of letters, digits and ._:/@+- "
                          "(for example github.com/acme/payments)")
    return stream


def detect_stream(root: Path, explicit: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The stream an evaluation of ``root`` is recorded in (see the module's docstring)."""
    if explicit:
        return check_stream(explicit)
    env = os.environ if environ is None else environ
    found = ci_stream(env) or remote_stream(root) or root.resolve().name or "root"
    return check_stream(found, "the detected stream")


def file_log_stream(log: Path) -> str:
    """The stream a file log stands for in a report or export of several logs: its repository's remote
    (``host/owner/name``) or folder name. CI variables are not consulted: they name the repository of
    the job that reads the logs, not of each log."""
    folder = log.resolve().parent
    root = folder.parent if folder.name == ".anops-policy" else folder
    return remote_stream(root) or root.name or str(log)
