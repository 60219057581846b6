"""Where anops-policy keeps its caches, and the one switch that turns them all off: the compiled-policy
cache (``policy/cache.py``) and the per-file summary cache of collection (``collection/summary_cache.py``).

Location: ``$ANOPS_POLICY_CACHE_DIR``, else ``$XDG_CACHE_HOME/anops-policy``, else ``~/.cache/anops-policy``.
``ANOPS_POLICY_CACHE=off`` (or ``0``, ``false``, ``no``), or ``--no-cache`` on the command line
(``configure(False)``), turns every cache off. Also here: the atomic write and the least-recently-used
pruning both caches use, so an interrupted writer never leaves a half-written entry behind.

A shared leaf: it imports no engine package (collection must not import policy, and both use this)."""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

DIR_ENV = "ANOPS_POLICY_CACHE_DIR"
SWITCH_ENV = "ANOPS_POLICY_CACHE"
OFF_VALUES = frozenset({"off", "0", "false", "no"})
STALE_TEMP_S = 3600  # a temporary file this old was left by a killed writer
TEMP_PREFIX = ".tmp-"


@dataclass
class _Switch:
    enabled: bool | None = None  # False: --no-cache for this command; None: the environment decides


_SWITCH = _Switch()


def configure(enabled: bool | None) -> None:
    """``False`` turns every cache off for this process's command (``--no-cache``); ``None``: environment."""
    _SWITCH.enabled = enabled


def cache_dir() -> Path | None:
    """The caches' root folder, or None when caching is off or there is no home to put it in."""
    if _SWITCH.enabled is False or os.environ.get(SWITCH_ENV, "").strip().lower() in OFF_VALUES:
        return None
    explicit = os.environ.get(DIR_ENV)
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and Path(xdg).is_absolute():  # the XDG spec: a relative value is invalid and ignored
        return Path(xdg) / "anops-policy"
    try:
        return Path.home() / ".cache" / "anops-policy"
    except RuntimeError:  # no HOME and no passwd entry
        return None


def write_atomic(target: Path, data: bytes) -> bool:
    """Write ``data`` to ``target`` through a temporary file in the same folder and ``os.replace``:
    readers see the old file or the new one, never a mix. False when the folder cannot be written
    (an unwritable cache only costs speed)."""
    import tempfile  # noqa: PLC0415 - only a writer needs it (start-up time of every command)

    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=TEMP_PREFIX, suffix=target.suffix)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            Path(temp).replace(target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    except OSError:
        return False
    return True


def touch(path: Path) -> None:
    """Mark an entry as used now (pruning deletes the least recently used first)."""
    with contextlib.suppress(OSError):
        os.utime(path)


def prune(folder: Path, max_entries: int, max_bytes: int, suffix: str = ".json") -> None:
    """Delete the least recently used entries (files ending in ``suffix``) beyond the bounds, down to 80%
    of them, and temporary files left by a killed writer. Races with other processes only cost a miss."""
    entries: list[tuple[float, int, Path]] = []
    try:
        with os.scandir(folder) as it:
            for item in it:
                stat = item.stat(follow_symlinks=False)
                if item.name.startswith(TEMP_PREFIX):
                    if stat.st_mtime < time.time() - STALE_TEMP_S:
                        Path(item.path).unlink(missing_ok=True)
                elif item.name.endswith(suffix):
                    entries.append((stat.st_mtime, stat.st_size, Path(item.path)))
    except OSError:
        return
    total = sum(size for _, size, _ in entries)
    if len(entries) <= max_entries and total <= max_bytes:
        return
    entries.sort()
    while entries and (len(entries) > max_entries * 0.8 or total > max_bytes * 0.8):
        _, size, path = entries.pop(0)
        try:
            path.unlink(missing_ok=True)
        except OSError:
            return
        total -= size
