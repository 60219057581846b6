"""Layer contents: which files in one layer tar should not ship in a runtime image.

Categories (each finding is a folder or file *root* with the files and bytes under it in that layer):

* ``apt-lists`` ``/var/lib/apt/lists`` (index files left by ``apt-get update``), ``apt-cache``
  ``/var/cache/apt`` (downloaded .deb and package caches), ``apk-cache`` ``/var/cache/apk``,
  ``rpm-cache`` ``/var/cache/{yum,dnf}``, ``pip-cache`` ``~/.cache/pip``, ``npm-cache`` ``~/.npm``
* ``git`` a ``.git`` folder (anywhere)
* ``tests`` a ``test``/``tests`` folder outside language runtimes and installed packages
  (``site-packages``, ``node_modules``, ``/usr/lib``, ``/usr/share``…, where tests come with the package)
* ``env-file`` ``.env`` / ``.env.*`` (not ``.example``/``.sample``/``.template``)
* ``private-key`` by name (``id_rsa``, ``id_ed25519``…, ``*.key``) or by a ``-----BEGIN … PRIVATE KEY-----``
  header in the first bytes of a small file; the contents are never stored
* ``compiler`` compiler executables (``gcc``, ``g++``, ``cc1``, ``rustc``, ``go``, ``clang``…)

Whiteouts (``.wh.<name>``, ``.wh..wh..opq``) are recorded so a finding deleted by a later layer can be
marked: its bytes still ship in the layer that added them.
"""

from __future__ import annotations

import re
import tarfile
from dataclasses import dataclass, field
from typing import IO

PEM_SNIFF_BYTES = 1024
PEM_MAX_FILE_BYTES = 64 * 1024
MAX_WHITEOUTS = 10_000
CATEGORIES = (
    "apt-lists", "apt-cache", "apk-cache", "rpm-cache", "pip-cache", "npm-cache",
    "git", "tests", "env-file", "private-key", "compiler",
)  # fmt: skip

_CACHE_ROOTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("apt-lists", re.compile(r"^(var/lib/apt/lists)/(?!lock$)")),
    ("apt-cache", re.compile(r"^(var/cache/apt)/")),
    ("apk-cache", re.compile(r"^(var/cache/apk|etc/apk/cache)/")),
    ("rpm-cache", re.compile(r"^(var/cache/(?:yum|dnf|libdnf5))/")),
    ("pip-cache", re.compile(r"^((?:root|home/[^/]+)/\.cache/pip)/")),
    ("npm-cache", re.compile(r"^((?:root|home/[^/]+)/\.npm)/")),
)
_GIT = re.compile(r"^((?:.*/)?\.git)(?:/|$)")
_TESTS = re.compile(r"^((?:.*/)?tests?)/")
# Where test folders belong to an installed package or a language runtime, not to the application.
_PACKAGED = re.compile(
    r"(?:^|/)(?:site-packages|dist-packages|node_modules|vendor|\.cargo|\.rustup|go/pkg)/"
    r"|^(?:usr/(?:lib|lib32|lib64|libexec|share|include|local/lib|local/share|local/include|local/go)|lib|lib64"
    r"|opt/[^/]+/lib|root/go|usr/src/linux)/"
)
_ENV_FILE = re.compile(r"^\.env(?:\.(?!example$|sample$|template$|dist$|defaults$)[\w.-]+)?$")
_KEY_NAMES = re.compile(r"^(?:id_(?:rsa|dsa|ecdsa|ed25519)(?:_sk)?|.+\.key)$")
_PEM_PRIVATE = re.compile(rb"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----")
_COMPILER_BIN = re.compile(
    r"^(?:.*/)?bin/(?:(?:[\w.]+-)*(?:gcc|g\+\+|c\+\+|clang|clang\+\+|gfortran)(?:-\d+(?:\.\d+)*)?|rustc|go|tcc)$"
)
_COMPILER_LIBEXEC = re.compile(r"^(?:usr/)?(?:lib|libexec)/gcc/.+/(?:cc1|cc1plus|cc1obj|f951|lto1)$")


@dataclass
class Finding:
    category: str
    root: str
    files: int = 0
    bytes: int = 0


@dataclass
class LayerScan:
    files: int = 0  # entries that are not directories or whiteouts
    bytes: int = 0  # sum of regular file sizes
    findings: dict[tuple[str, str], Finding] = field(default_factory=dict)
    whiteouts: set[str] = field(default_factory=set)  # deleted paths (lower layers)
    opaque: set[str] = field(default_factory=set)  # folders whose lower-layer contents are hidden
    error: str | None = None


def normalize(name: str) -> str:
    name = name.replace("\\", "/")
    while name.startswith(("./", "/")):
        name = name[2:] if name.startswith("./") else name[1:]
    return name.rstrip("/")


def classify(path: str, is_regular: bool) -> list[tuple[str, str]]:
    """``[(category, root)]`` for one path in a layer (by name only; PEM headers are checked apart)."""
    out: list[tuple[str, str]] = []
    for category, pattern in _CACHE_ROOTS:
        match = pattern.match(path)
        if match:
            out.append((category, match.group(1)))
    git = _GIT.match(path)
    if git:
        out.append(("git", git.group(1)))
    tests = _TESTS.match(path)
    if tests and not _PACKAGED.search(path) and not git:
        out.append(("tests", tests.group(1)))
    base = path.rsplit("/", 1)[-1]
    if _ENV_FILE.match(base) and is_regular:
        out.append(("env-file", path))
    if _KEY_NAMES.match(base) and is_regular and not git:
        out.append(("private-key", path))
    if _COMPILER_BIN.match(path) or _COMPILER_LIBEXEC.match(path):
        out.append(("compiler", path))
    return out


def scan_layer(fileobj: IO[bytes]) -> LayerScan:
    """Scan one layer tar (plain or compressed) read as a stream; a broken tar ends the scan with an error."""
    scan = LayerScan()
    try:
        with tarfile.open(fileobj=fileobj, mode="r|*") as layer:
            for member in layer:
                _member(scan, layer, member)
    except (tarfile.TarError, EOFError, OSError, ValueError) as exc:
        scan.error = f"unreadable layer: {exc}"
    return scan


def _member(scan: LayerScan, layer: tarfile.TarFile, member: tarfile.TarInfo) -> None:
    path = normalize(member.name)
    if not path or member.isdir():
        return
    folder, _, base = path.rpartition("/")
    if base.startswith(".wh."):
        if len(scan.whiteouts) + len(scan.opaque) < MAX_WHITEOUTS:
            if base == ".wh..wh..opq":
                scan.opaque.add(folder)
            else:
                scan.whiteouts.add(f"{folder}/{base[4:]}" if folder else base[4:])
        return
    regular = member.isreg()
    size = member.size if regular else 0
    scan.files += 1
    scan.bytes += size
    hits = classify(path, regular)
    if regular and 0 < size <= PEM_MAX_FILE_BYTES and not any(c == "private-key" for c, _ in hits):
        handle = layer.extractfile(member)
        head = handle.read(PEM_SNIFF_BYTES) if handle is not None else b""
        if _PEM_PRIVATE.search(head):
            hits.append(("private-key", path))
    for category, root in hits:
        finding = scan.findings.setdefault((category, root), Finding(category, root))
        finding.files += 1
        finding.bytes += size


def removed_later(root: str, later: list[LayerScan]) -> bool:
    """A later layer deletes ``root`` (a whiteout of it or of a folder above it, or an opaque folder)."""
    for scan in later:
        for gone in (*scan.whiteouts, *scan.opaque):
            if root == gone or root.startswith(gone + "/"):
                return True
    return False
