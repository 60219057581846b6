"""The per-file summary cache: what a collector derives from one file, kept between runs and keyed by the
file's content, so a re-run pays only for the files that changed.

A collector asks its context for a store (``CollectContext.summaries``) and, per file, ``get`` before it
reads the file's syntax and ``put`` after. An entry's key covers the file's path and bytes, the store's
*context* (this format, the anops-policy version, the Python version — ``ast`` differs between them —,
the collector's name, ``version`` and options, the source of every built-in collector and of the
``syntax`` layer, and what else the collector names) and anything the collector says the summary
depends on (``extra``: e.g. whether the file is an end-to-end test by the config). So a changed
collector, option, engine or Python never reads an old entry.

Storage: one file per collector and context, ``<cache dir>/summaries-v1/<collector>-<context>.json``:
a JSON header line (format, collector, full context digest, SHA-256 of the payload) and the payload,
``{key: encoded summary}``. It is read once, on the collector's first ``get``, and written once, after
the collector ran (``save``), only when it gained entries, atomically (temporary file, then
``os.replace``). Each collector runs in exactly one process per run (in process or in one forked
worker, ``parallel.py``), so a store file has one writer per run; a store is never saved from a
process it was not opened in (a ``fanout`` child returns its results to the collector instead).
Two runs at once on one cache folder: the last to finish wins, and every file either saw is whole.

Bounds: a store keeps the entries this run used first, then older ones (another branch's files) up to
``MAX_ENTRIES`` and ``MAX_BYTES``; the folder keeps ``MAX_STORES`` store files and ``MAX_FOLDER_BYTES``,
least recently used first out. Untrusted input: a store whose header, checksum or context does not
match, or that does not parse, is empty; an entry that does not decode to the declared type
(``summary_codec``) is a miss, and the file is summarised again. Nothing in an entry is ever run or
imported. What no unkeyed cache can tell is a *well-formed* forgery (a line number changed, a value
inside a summary's plain-JSON part): whoever can write the cache folder can change the facts, so a
release gate runs with ``--no-cache`` or a cache only trusted jobs write (docs/ci.md). Off with
``--no-cache`` or ``ANOPS_POLICY_CACHE=off`` (``cache_home``), and when no cache folder can be made.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from anops_policy import __version__, cache_home
from anops_policy.collection.summary_codec import CodecError, decode, encode

T = TypeVar("T")
FORMAT = 1
SUBDIR = f"summaries-v{FORMAT}"
MAX_ENTRIES = 200_000  # per store; a 20,000-file tree's python store holds ~20,000
MAX_BYTES = 256 * 1024 * 1024  # per store file
MAX_STORES = 64
MAX_FOLDER_BYTES = 1024 * 1024 * 1024
# the packages whose code decides what a built-in collector derives from a file
SOURCE_PACKAGES = ("anops_policy.collectors", "anops_policy.syntax")

_SOURCES: dict[str, bytes] = {}
_SOURCES_SHARED: dict[str, Any] = {}  # "" -> the running digest over SOURCE_PACKAGES
_ABSENT = object()


def _add(digest: Any, label: str, data: bytes) -> None:
    """Length-prefixed, so no two different sequences of parts hash alike."""
    head = label.encode("utf-8", "surrogateescape")
    digest.update(b"%d:%s%d:" % (len(head), head, len(data)))
    digest.update(data)


def _source_digest(module: str) -> bytes:
    """SHA-256 over the ``.py`` files of the built-in collectors, the syntax layer and ``module``'s own
    file (a plugin's), memoised per process: the shared packages are read and hashed once (~10 ms), then
    each module's file on top."""
    found = _SOURCES.get(module)
    if found is not None:
        return found
    digest = _packages_digest().copy()
    owner = sys.modules.get(module)
    origin = getattr(owner, "__file__", None)
    if origin:
        _add_file(digest, Path(origin))
    _SOURCES[module] = digest.digest()
    return _SOURCES[module]


def _packages_digest() -> Any:
    """The running SHA-256 over the files of ``SOURCE_PACKAGES`` (made once per process)."""
    found = _SOURCES_SHARED.get("")
    if found is not None:
        return found
    digest = hashlib.sha256()
    for package in SOURCE_PACKAGES:
        try:
            root = Path(str(resources.files(package)))
        except (ModuleNotFoundError, TypeError):
            continue
        for file in sorted(root.rglob("*.py")):
            _add_file(digest, file)
    _SOURCES_SHARED[""] = digest
    return digest


def _add_file(digest: Any, file: Path) -> None:
    try:
        _add(digest, file.as_posix(), file.read_bytes())
    except OSError:
        _add(digest, file.as_posix(), b"<unreadable>")


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=repr).encode()


@dataclass
class SummaryStore:
    """One collector's summaries for one run (see the module's docstring). ``folder`` None: off."""

    collector: str
    context: str  # hex digest of everything but the file
    folder: Path | None
    entries: dict[str, Any] | None = None  # loaded lazily: key -> encoded summary
    used: dict[str, Any] = field(default_factory=dict)  # hits and puts of this run, in order
    added: int = 0
    hits: int = 0
    misses: int = 0
    pid: int = field(default_factory=os.getpid)

    @property
    def enabled(self) -> bool:
        return self.folder is not None

    @property
    def path(self) -> Path | None:
        if self.folder is None:
            return None
        return self.folder / SUBDIR / f"{self.collector}-{self.context[:32]}.json"

    def key(self, path: str, data: str | bytes, *extra: str) -> str:
        """The entry key of one file: its path, its content, and what else its summary depends on."""
        digest = hashlib.blake2b(digest_size=20)
        _add(digest, "path", path.encode("utf-8", "surrogateescape"))
        for part in extra:
            _add(digest, "extra", part.encode("utf-8", "surrogateescape"))
        content = data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass")
        _add(digest, "content", content)
        return digest.hexdigest()

    def get(self, key: str, kind: type[T] | Any) -> T | None:
        """The summary stored under ``key`` as a ``kind``, or None (off, absent, or not decodable)."""
        if self.folder is None:
            return None
        if self.entries is None:
            self.entries = self._load()
        data = self.entries.get(key, _ABSENT)
        if data is _ABSENT:
            self.misses += 1
            return None
        try:
            value: T = decode(data, kind)
        except CodecError:
            self.misses += 1
            return None
        self.hits += 1
        self.used[key] = data
        return value

    def put(self, key: str, value: Any, kind: Any) -> None:
        """Remember ``value`` (a ``kind``) under ``key``; a value the codec cannot store is not kept."""
        if self.folder is None:
            return
        try:
            data = encode(value, kind)
        except (CodecError, RecursionError):
            return
        self.used[key] = data
        self.added += 1

    # ---- the store file ---------------------------------------------------------------------------
    def _load(self) -> dict[str, Any]:
        path = self.path
        if path is None:
            return {}
        try:
            raw = path.read_bytes()
        except OSError:
            return {}
        head, _, payload = raw.partition(b"\n")
        try:
            header = json.loads(head)
            if not (
                isinstance(header, dict)
                and header.get("format") == FORMAT
                and header.get("collector") == self.collector
                and header.get("context") == self.context
                and header.get("sha256") == hashlib.sha256(payload).hexdigest()
            ):
                return {}
            entries = json.loads(payload)
        except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
            return {}
        if not isinstance(entries, dict):
            return {}
        cache_home.touch(path)
        return entries

    def save(self) -> None:
        """Write the store when this run added entries: this run's entries first, then older ones within
        the bounds. Only from the process that opened it."""
        path = self.path
        if path is None or not self.added or os.getpid() != self.pid:
            return
        if self.entries is None:
            self.entries = self._load()
        kept = dict(itertools.islice(self.used.items(), MAX_ENTRIES))
        for key, data in self.entries.items():
            if len(kept) >= MAX_ENTRIES:
                break
            kept.setdefault(key, data)
        try:
            payload = json.dumps(kept, separators=(",", ":")).encode()
            if len(payload) > MAX_BYTES:  # older entries out first, then this run's beyond the share that fits
                kept = dict(itertools.islice(self.used.items(), MAX_ENTRIES))
                payload = json.dumps(kept, separators=(",", ":")).encode()
            while len(payload) > MAX_BYTES and kept:
                share = int(len(kept) * MAX_BYTES / len(payload) * 0.9)
                kept = dict(itertools.islice(kept.items(), share))
                payload = json.dumps(kept, separators=(",", ":")).encode()
        except (TypeError, ValueError, RecursionError):
            return
        header = {
            "format": FORMAT,
            "collector": self.collector,
            "context": self.context,
            "sha256": hashlib.sha256(payload).hexdigest(),
            "entries": len(kept),
            "anops_policy": __version__,  # for a human reading the folder
        }
        if cache_home.write_atomic(path, json.dumps(header).encode() + b"\n" + payload):
            cache_home.prune(path.parent, MAX_STORES, MAX_FOLDER_BYTES)
        self.entries, self.added = kept, 0


def open_store(
    collector: str,
    version: str,
    options: Mapping[str, Any],
    *,
    module: str = "",
    extra: Iterable[str] = (),
) -> SummaryStore:
    """The store of one collector for this run (``enabled`` False when caching is off)."""
    folder = cache_home.cache_dir()
    digest = hashlib.sha256()
    _add(digest, "format", str(FORMAT).encode())
    _add(digest, "anops-policy", __version__.encode())
    _add(digest, "python", sys.version.encode())
    _add(digest, "collector", collector.encode())
    _add(digest, "version", version.encode())
    _add(digest, "options", _canonical(dict(options)))
    _add(digest, "source", _source_digest(module) if folder is not None else b"")
    for part in extra:
        _add(digest, "extra", part.encode("utf-8", "surrogateescape"))
    return SummaryStore(collector, digest.hexdigest(), folder)
