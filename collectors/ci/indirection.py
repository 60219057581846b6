"""Commands whose body is in the repository (a local script, a make target, an npm script) and reading
those bodies: Makefile rules and variables, ``package.json`` scripts."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from anops_policy.collectors.ci.command_words import (
    ASSIGN,
    NPM_BUILTINS,
    SHELLS,
    flag_value,
    positional,
    strip_wrappers,
)


@dataclass(frozen=True)
class Invocation:
    """A command whose own commands can be read from the repository (a script, make target, npm script)."""

    kind: str  # script | make | npm
    name: str  # script path, make targets joined by space, or npm script name
    chdir: str | None
    makefile: str | None = None


def detect_invocation(words: Sequence[str]) -> Invocation | None:
    """A command whose body is in the repository: a local script, a make target or an npm script."""
    w = strip_wrappers(list(words))
    if not w:
        return None
    head = w[0]
    base = head.rsplit("/", 1)[-1]
    args = w[1:]
    if base in ("make", "gmake"):
        chdir = flag_value(args, "-C", "--directory")
        makefile = flag_value(args, "-f", "--file", "--makefile")
        goals = [a for a in positional(args, {"-C", "--directory", "-f", "--file", "--makefile", "-j", "--jobs",
                                              "-o", "-W", "-l", "-I"}) if not ASSIGN.match(a)]
        return Invocation("make", " ".join(goals), chdir, makefile)
    if base in ("npm", "yarn", "pnpm"):
        chdir = flag_value(args, "--prefix", "--cwd", "--dir", "-C")
        rest = positional(args, {"--prefix", "--cwd", "--dir", "-C", "--filter", "-F", "-w", "--workspace"})
        if rest[:1] in (["test"], ["t"], ["tst"]):
            return Invocation("npm", "test", chdir)
        if rest[:1] in (["run"], ["run-script"]) and len(rest) > 1:
            return Invocation("npm", rest[1], chdir)
        if base != "npm" and rest and rest[0] not in NPM_BUILTINS:
            return Invocation("npm", rest[0], chdir)
        return None
    if base in SHELLS and args and not args[0].startswith("-"):
        return Invocation("script", args[0], None)
    if base in ("source", ".") and args:
        return Invocation("script", args[0], None)
    if "/" in head and not head.startswith(("/", "$", "~")) and not base.startswith(("gradlew", "mvnw")):
        return Invocation("script", head, None)
    return None


_MAKE_RULE = re.compile(r"^([^\s:#=][^:#=]*?)\s*(::?)(?![=])\s*([^=;#]*?)\s*(?:;\s*(.*))?$")
_MAKE_VAR = re.compile(r"^(?:export\s+|override\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*(:{0,3}=|\?=|\+=|!=)\s*(.*)$")


@dataclass
class MakeRule:
    line: int
    prereqs: list[str]
    recipe: list[tuple[int, str]]  # (line, text); continuation lines already joined with "\\\n"


def parse_makefile(text: str) -> tuple[dict[str, MakeRule], dict[str, str], str | None]:
    """Rules, simple variables and the default goal of a Makefile (the subset CI test targets use)."""
    rules: dict[str, MakeRule] = {}
    variables: dict[str, str] = {}
    default: str | None = None
    current: list[MakeRule] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        raw = lines[i]
        lineno = i + 1
        i += 1
        if raw.startswith("\t") and current:
            body = raw[1:]
            while body.endswith("\\") and i < len(lines):
                body = body + "\n" + lines[i].lstrip("\t")
                i += 1
            for rule in current:
                rule.recipe.append((lineno, body))
            continue
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        while stripped.endswith("\\") and i < len(lines):
            stripped = stripped[:-1] + " " + lines[i].strip()
            i += 1
        var = _MAKE_VAR.match(stripped)
        if var and ":" not in stripped.split("=", 1)[0].rstrip(":?+!"):
            name, op, value = var.groups()
            variables[name] = (variables.get(name, "") + " " + value).strip() if op == "+=" else value
            current = []
            continue
        rule_m = _MAKE_RULE.match(stripped)
        if rule_m and not stripped.startswith((".PHONY", ".SUFFIXES", ".DEFAULT", ".SILENT", "include", "-include")):
            targets = rule_m.group(1).split()
            prereqs = [p for p in rule_m.group(3).split() if p != "|"]
            current = []
            for t in targets:
                rule = rules.setdefault(t, MakeRule(lineno, [], []))
                rule.prereqs.extend(p for p in prereqs if p not in rule.prereqs)
                if rule_m.group(4):
                    rule.recipe.append((lineno, rule_m.group(4)))
                current.append(rule)
                if default is None and not t.startswith(".") and "%" not in t:
                    default = t
            continue
        current = []
    return rules, variables, default


def expand_make_vars(text: str, variables: dict[str, str]) -> str:
    out = text
    for _ in range(5):
        new = re.sub(r"\$[({]([A-Za-z_][A-Za-z0-9_.-]*)[)}]",
                     lambda m: variables.get(m.group(1), m.group(0)) if m.group(1) != "MAKE" else "make", out)
        if new == out:
            break
        out = new
    return out.replace("$$", "$")


def package_scripts(text: str) -> dict[str, tuple[int, str]]:
    """``scripts`` of a package.json with the line each is defined on."""
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    scripts = data.get("scripts") if isinstance(data, dict) else None
    if not isinstance(scripts, dict):
        return {}
    lines = text.splitlines()
    out: dict[str, tuple[int, str]] = {}
    for name, cmd in scripts.items():
        if not isinstance(cmd, str):
            continue
        needle = json.dumps(name) + ":"
        line = next((i + 1 for i, ln in enumerate(lines) if needle in ln.replace('": ', '":')), 0)
        out[name] = (line, cmd)
    return out
