"""Build stages: ``FROM`` lines, image references, ``ARG`` substitution, and what a base image brings.

An image reference is ``[registry/]repository[:tag][@digest]``; the first path component is a registry
when it has a ``.`` or ``:`` or is ``localhost`` (Docker's rule). ``latest`` covers both an explicit
``:latest`` and no tag at all without a digest: both float.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

_VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))")

# Official images whose default ("full") variant is built on buildpack-deps, which ships a C toolchain,
# make, git, curl and wget; each also has a slim or alpine variant without them.
FULL_LANGUAGE_IMAGES = frozenset({"python", "node", "ruby", "perl", "buildpack-deps"})
_BUILDPACK_TOOLS = ("curl", "g++", "gcc", "git", "make", "wget")
# Images that are a toolchain in every variant.
_TOOLCHAIN_IMAGES: dict[str, tuple[str, ...]] = {
    "golang": ("go",),
    "rust": ("cargo", "rustc"),
    "gcc": ("g++", "gcc", "make"),
}
_LEAN_TAG = re.compile(r"slim|alpine|distroless|minimal|busybox|nanoserver|windowsservercore")


@dataclass(frozen=True)
class ImageRef:
    repository: str  # registry/path as written (no tag, no digest)
    name: str  # the last path component ("python" for docker.io/library/python)
    official: bool  # a Docker Hub library image (no registry, no namespace, or library/)
    tag: str | None
    digest: str | None


def parse_image_ref(ref: str) -> ImageRef:
    rest, _, digest = ref.partition("@")
    slash = rest.rfind("/")
    colon = rest.rfind(":")
    tag = None
    if colon > slash:
        rest, tag = rest[:colon], rest[colon + 1 :]
    parts = rest.split("/")
    has_registry = len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost")
    path = parts[1:] if has_registry else parts
    official = (
        not has_registry or parts[0] in {"docker.io", "index.docker.io", "registry-1.docker.io"}
    ) and (len(path) == 1 or (len(path) == 2 and path[0] == "library"))
    return ImageRef(rest, path[-1] if path else rest, official, tag or None, digest or None)


def expand(text: str, variables: Mapping[str, str | None]) -> str | None:
    """``$VAR``, ``${VAR}``, ``${VAR:-default}`` and ``${VAR:+alt}`` substituted; None when a variable
    has no value."""
    unresolved = False

    def sub(match: re.Match[str]) -> str:
        nonlocal unresolved
        name = match.group(1) or match.group(4)
        op, word = match.group(2), match.group(3) or ""
        value = variables.get(name)
        if op in (":-", "-"):
            return value if value not in (None, "") or (op == "-" and value is not None) else word
        if op in (":+", "+"):
            return word if value not in (None, "") or (op == "+" and value is not None) else ""
        if value is None:
            unresolved = True
            return ""
        return value

    out = _VAR.sub(sub, text)
    return None if unresolved else out


def base_tools(ref: ImageRef) -> tuple[bool, tuple[str, ...]]:
    """(is a full language image, build tools it ships) for an external base image."""
    if not ref.official:
        return False, ()
    tag = (ref.tag or "latest").lower()
    if ref.name in _TOOLCHAIN_IMAGES:
        return False, _TOOLCHAIN_IMAGES[ref.name]
    if ref.name in FULL_LANGUAGE_IMAGES and not _LEAN_TAG.search(tag):
        if ref.name == "buildpack-deps" and tag.endswith("-curl"):
            return True, ("curl", "wget")
        if ref.name == "buildpack-deps" and tag.endswith("-scm"):
            return True, ("curl", "git", "wget")
        return True, _BUILDPACK_TOOLS
    return False, ()


def user_is_root(user: str | None) -> bool:
    """USER ``root``, ``0``, ``root:group`` or ``0:group`` (and no USER at all) run as root."""
    if user is None:
        return True
    name = user.split(":", 1)[0].strip()
    return name in {"root", "0", ""}
