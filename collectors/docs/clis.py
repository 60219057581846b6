"""The components' command-line programs: binaries from the config and the manifests (Cargo, pyproject),
subcommands from the config and from the sources (clap in Rust, argparse in Python)."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from anops_policy.collectors.docs.tree import Tree
from anops_policy.collectors.source.comment_lexer import comment_spans

from anops_policy.collection.collector import CollectContext


@dataclass
class Cli:
    component: str
    binaries: list[str]
    commands: dict[str, str] = field(default_factory=dict)  # command -> "config" | "source"


def find_clis(ctx: CollectContext, components: Sequence[Mapping[str, Any]], tree: Tree) -> list[Cli]:
    """Per component: the executables it builds (config ``binary``, Cargo ``[[bin]]``/package name,
    pyproject ``[project.scripts]``) and its known subcommands (config ``commands``, plus those declared
    in Rust sources: clap ``#[derive(Subcommand)]`` variants, ``Command::new("x")``; Python
    ``add_parser("x")``)."""
    out: list[Cli] = []
    for comp in components:
        base = str(comp.get("path", "")).strip("/")
        prefix = base + "/" if base else ""
        binaries: list[str] = []
        declared = comp.get("binary") or comp.get("binaries")
        if isinstance(declared, str):
            binaries.append(declared)
        elif isinstance(declared, list):
            binaries.extend(str(b) for b in declared)
        binaries.extend(_manifest_binaries(ctx, prefix, tree))
        if not binaries:
            continue
        cli = Cli(str(comp.get("name")), sorted(set(binaries)))
        for command in _source_commands(ctx, prefix, tree):
            cli.commands[command] = "source"
        for command in comp.get("commands") or []:
            cli.commands[str(command)] = "config"
        cli.commands.setdefault("help", "source")
        out.append(cli)
    return sorted(out, key=lambda c: c.component)


def _manifest_binaries(ctx: CollectContext, prefix: str, tree: Tree) -> list[str]:
    found: list[str] = []
    cargo = prefix + "Cargo.toml"
    if tree.is_file(cargo):
        data = _toml(ctx, cargo)
        bins = [str(b.get("name")) for b in data.get("bin", []) if isinstance(b, dict) and b.get("name")]
        package = data.get("package", {}).get("name") if isinstance(data.get("package"), dict) else None
        if not bins and package and tree.is_file(prefix + "src/main.rs"):
            bins = [str(package)]
        found.extend(bins)
    pyproject = prefix + "pyproject.toml"
    if tree.is_file(pyproject):
        scripts = _toml(ctx, pyproject).get("project", {}).get("scripts", {})
        if isinstance(scripts, dict):
            found.extend(str(k) for k in scripts)
    return found


def _toml(ctx: CollectContext, path: str) -> dict[str, Any]:
    text = ctx.read_text(path)
    if text is None:
        return {}
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        ctx.skip(path, f"invalid TOML: {exc}"[:300])
        return {}
    except RecursionError:  # tomllib recurses per nesting level
        ctx.skip(path, "TOML nested too deeply to read")
        return {}


_DERIVE_SUBCOMMAND = re.compile(r"#\[derive\([^)]*\bSubcommand\b[^)]*\)\]")
_ENUM = re.compile(r"\benum\s+\w+\s*(?:<[^>]*>)?\s*\{")
_NAMED = re.compile(r"\b(?:Command::new|SubCommand::with_name|add_parser)\(\s*[\"']([\w-]+)[\"']")
_RENAME = re.compile(r"\bname\s*=\s*\"([\w-]+)\"")


def _source_commands(ctx: CollectContext, prefix: str, tree: Tree) -> set[str]:
    commands: set[str] = set()
    for path in sorted(tree.files):
        if not path.startswith(prefix) or not path.endswith((".rs", ".py")) or "/tests/" in "/" + path[len(prefix):]:
            continue
        text = ctx.read_text(path)
        if text is None or ("Subcommand" not in text and "Command::new" not in text and "add_parser" not in text):
            continue
        language = "rust" if path.endswith(".rs") else "python"
        blanked = _blank_comments(text, language)
        commands.update(m.group(1) for m in _NAMED.finditer(blanked))
        if language == "rust":
            for derive in _DERIVE_SUBCOMMAND.finditer(blanked):
                enum = _ENUM.search(blanked, derive.end())
                if enum is not None:
                    commands.update(_variants(blanked, enum.end()))
    return commands


def _blank_comments(text: str, language: str) -> str:
    chars = list(text)
    for s, e in comment_spans(text, language):
        for i in range(s, e):
            if chars[i] != "\n":
                chars[i] = " "
    return "".join(chars)


def _variants(text: str, i: int) -> list[str]:
    """Variant names of the enum body starting at ``i`` as clap names them (kebab-case, or a
    ``#[command(name = "…")]`` rename)."""
    names: list[str] = []
    depth = 0
    rename: str | None = None
    expect_variant = True
    n = len(text)
    while i < n:
        c = text[i]
        if c == "#" and text.startswith("#[", i):
            j, level = i + 2, 1
            while j < n and level:
                level += {"[": 1, "]": -1}.get(text[j], 0)
                j += 1
            if depth == 0:
                m = _RENAME.search(text[i:j])
                rename = m.group(1) if m and "command" in text[i:j] else rename
            i = j
            continue
        if c in "{(":
            depth += 1
        elif c in "})":
            if depth == 0:
                break
            depth -= 1
        elif c == "," and depth == 0:
            expect_variant = True
        elif depth == 0 and expect_variant and (c.isalpha() or c == "_"):
            m = re.match(r"\w+", text[i:])
            assert m is not None
            word = m.group()
            names.append(rename or re.sub(r"(?<!^)(?=[A-Z])", "-", word).lower())
            rename = None
            expect_variant = False
            i += len(word)
            continue
        i += 1
    return names
