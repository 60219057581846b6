"""What documents refer to and whether it exists: backticked repository paths, ``<binary> <subcommand>``
uses, and relative links."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from urllib.parse import unquote

from anops_policy.collectors.docs.clis import Cli
from anops_policy.collectors.docs.commands import block_commands
from anops_policy.collectors.docs.markdown import Document
from anops_policy.collectors.docs.tree import Tree

PATHLIKE = re.compile(r"^(?:\./)?\.?[\w+-][\w.+-]*(?:/[\w.+-]+)*/?$")
FILE_EXTENSIONS = frozenset({
    "md", "markdown", "rst", "txt", "adoc", "rs", "py", "pyi", "toml", "json", "yaml", "yml", "proto", "cfg",
    "ini", "lock", "sh", "bash", "go", "js", "mjs", "cjs", "ts", "tsx", "jsx", "c", "h", "cc", "cpp", "hpp",
    "java", "kt", "rb", "php", "cs", "swift", "sql", "html", "css", "scss", "xml", "csv", "env", "conf", "tf",
    "hcl", "mk",
})
BARE_FILE_NAMES = frozenset({"Dockerfile", "Containerfile", "Makefile", "Justfile", "Procfile", "Vagrantfile"})
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
MAX_ITEMS = 500


def reference_facts(path: str, doc: Document, clis: Sequence[Cli], tree: Tree) -> dict[str, Any]:
    """Backticked repository paths and ``<binary> <subcommand>`` uses in inline code and code blocks."""
    base = posixpath.dirname(path)
    paths: list[dict[str, Any]] = []
    for line, code in doc.inline_code:
        target = code.strip()
        if not _looks_like_path(target, tree, base):
            continue
        exists = any(tree.exists(p) for p in _candidates(target, base)) or (
            "/" not in target.strip("/") and target in tree.basenames
        ) or ("/" in target.strip("/") and tree.ends_with(target))
        paths.append({"path": path, "line": line, "target": target, "exists": exists})
    commands: list[dict[str, Any]] = []
    binaries = frozenset(b for cli in clis for b in cli.binaries)
    snippets = [*doc.inline_code, *(c for block in doc.code_blocks for c in block_commands(block, binaries))]
    for cli in clis:
        for binary in cli.binaries:
            rx = re.compile(r"(?:^|[\s;&|(`$])(?:\./)?(?:target/\w+/)?" + re.escape(binary) + r"\s+([a-z][\w-]*)")
            for line, text in snippets:
                for m in rx.finditer(text):
                    command = m.group(1)
                    commands.append({
                        "path": path, "line": line, "text": text.strip()[:200], "component": cli.component,
                        "binary": binary, "command": command, "known": command in cli.commands,
                    })
    paths.sort(key=lambda r: (r["line"], r["target"]))
    commands.sort(key=lambda r: (r["line"], r["binary"], r["command"]))
    return {
        "paths": paths[:MAX_ITEMS],
        "missing_paths": [r for r in paths if not r["exists"]][:MAX_ITEMS],
        "commands": commands[:MAX_ITEMS],
        "unknown_commands": [r for r in commands if not r["known"]][:MAX_ITEMS],
    }


def _looks_like_path(text: str, tree: Tree, base: str) -> bool:
    """A code span is taken for a repository path when it has no spaces or scheme and either ends in
    a file extension we know / is a well-known file name, or contains a slash and ends in some
    extension or ``/``, or starts with a directory that exists (so ``text/plain`` and image names like
    ``anops/api-service`` are not paths, ``ao-cli/src/deploy.rs`` is)."""
    if not PATHLIKE.match(text) or text.startswith("-") or "://" in text:
        return False
    stripped = text.removeprefix("./").strip("/")
    name = stripped.rsplit("/", 1)[-1]
    ext = name.rsplit(".", 1)[1] if "." in name.lstrip(".") else ""
    if "/" not in stripped:
        return ext.lower() in FILE_EXTENSIONS or name in BARE_FILE_NAMES or (
            text.endswith("/") and tree.exists(stripped))
    if text.endswith("/") or re.fullmatch(r"[A-Za-z][\w-]{0,9}", ext or "-"):
        return True
    first = stripped.split("/", 1)[0]
    return tree.exists(first) or tree.exists(posixpath.join(base, first))


def _candidates(target: str, base: str) -> list[str]:
    target = target.removeprefix("./")
    out = [posixpath.normpath(posixpath.join(base, target))] if base else []
    out.append(posixpath.normpath(target))
    return [p for p in out if not p.startswith("..")]


def link_facts(paths: Iterable[str], load: Callable[[str], Document | None], tree: Tree) -> dict[str, Any]:
    broken: list[dict[str, Any]] = []
    checked = outside = files = 0
    for path in paths:
        doc = load(path)
        if doc is None:
            continue
        files += 1
        base = posixpath.dirname(path)
        for link in doc.links:
            target = link.target.strip().strip("<>")
            if not target or target.startswith(("#", "//")) or SCHEME.match(target):
                continue
            local = unquote(re.split(r"[#?]", target, maxsplit=1)[0])
            if not local:
                continue
            resolved = posixpath.normpath(local.lstrip("/") if local.startswith("/") else posixpath.join(base, local))
            if resolved == ".." or resolved.startswith("../"):
                outside += 1
                continue
            checked += 1
            if not tree.exists("" if resolved == "." else resolved):
                broken.append({"path": path, "line": link.line, "target": link.target, "resolved": resolved,
                               "image": link.image})
    broken.sort(key=lambda b: (b["path"], b["line"], b["target"]))
    by_path: dict[str, list[dict[str, Any]]] = {}
    for item in broken:
        by_path.setdefault(item["path"], []).append(item)
    return {"files_checked": files, "checked": checked, "outside": outside, "broken": broken[:MAX_ITEMS],
            "broken_by_path": by_path}
