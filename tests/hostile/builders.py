"""Builders create each hostile case's inputs at test time (huge sparse files, symlinks and odd names are
never committed). A case names one builder and its arguments; every builder writes into a ``Workspace``:
``repo/`` (the evaluated directory), ``outside/`` (files the run must never read), ``pack/`` and loose
files at the top (fact documents, configs)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from anops_policy.facts import digest_of

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "anops"
# Content that must never reach any output: it lives outside the evaluated directory, and it carries a
# TODO marker so the todos collector would report it (with this text) if it ever read the file.
SECRET = "OUTSIDE-SECRET-7f3a"

SANE_POLICY = """\
id: sane
title: The marker count is known
checklist: "h.1"
severity: low
enforcement: soft
requires: [todos]
rule: facts.todos.counts.total >= 0
message: "{facts.todos.counts.total} markers"
remediation: None needed.
examples:
  - {name: zero, facts: {todos: {counts: {total: 0}}}, expect: pass}
"""


@dataclass(frozen=True)
class Workspace:
    root: Path

    @property
    def repo(self) -> Path:
        return self.root / "repo"

    @property
    def outside(self) -> Path:
        return self.root / "outside"

    @property
    def pack(self) -> Path:
        return self.root / "pack"

    def write(self, rel: str, data: str | bytes, *, under: Path | None = None) -> Path:
        path = (under or self.repo) / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            with path.open("w", encoding="utf-8", newline="") as fh:  # newlines exactly as given
                fh.write(data)
        return path


def _git(repo: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "Hostile", "GIT_AUTHOR_EMAIL": "h@example.com",
           "GIT_COMMITTER_NAME": "Hostile", "GIT_COMMITTER_EMAIL": "h@example.com",
           "GIT_AUTHOR_DATE": "2026-11-20T10:00:00Z", "GIT_COMMITTER_DATE": "2026-11-20T10:00:00Z"}
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env)


def prepare(ws: Workspace, base: str) -> None:
    """``example``: the bundled example repository, committed to git; ``plain``: the same without git;
    ``empty``: an empty folder. ``outside/`` always holds the secret and ``pack/`` a one-policy pack."""
    ws.write("secret.txt", f"TODO(mallory): {SECRET}\n", under=ws.outside)
    ws.write("secret.md", f"# {SECRET}\nTODO: {SECRET}\n", under=ws.outside)
    ws.write("pack.yaml", PACK_YAML, under=ws.pack)
    ws.write("sane.yaml", SANE_POLICY, under=ws.pack)
    if base == "empty":
        ws.repo.mkdir(parents=True)
        return
    shutil.copytree(EXAMPLE, ws.repo, ignore=shutil.ignore_patterns(".anops-policy"))
    if base == "example":
        _git(ws.repo, "init", "-q", "-b", "main")
        _git(ws.repo, "add", "-A")
        _git(ws.repo, "commit", "-q", "-m", "example")


PACK_YAML = """\
id: hostile
version: 1.0.0
title: Hostile inputs
sections: [Hostile]
items:
  - {id: "h.1", title: a sane policy, section: Hostile}
  - {id: "h.2", title: the hostile policy, section: Hostile}
"""


# ---- builders -------------------------------------------------------------------------------------------

def files(ws: Workspace, files: Mapping[str, str], where: str = "repo") -> None:
    """Files given inline in the case (text exactly as written)."""
    under = {"repo": ws.repo, "pack": ws.pack, "root": ws.root}[where]
    for rel, text in files.items():
        ws.write(rel, text, under=under)


def yaml_bomb(ws: Workspace, path: str, where: str = "repo", prefix: str = "", key: str = "bomb") -> None:
    """Billion laughs: nine levels of nine aliases each (9^9 nodes when expanded)."""
    lines = [prefix.rstrip("\n")] if prefix else []
    lines.append(f'{key}0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]')
    for i in range(1, 10):
        lines.append(f"{key}{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    files(ws, {path: "\n".join(lines) + "\n"}, where)


def yaml_nested(
    ws: Workspace, path: str, depth: int, where: str = "repo", prefix: str = "", style: str = "flow"
) -> None:
    """A value nested ``depth`` levels deep (flow ``[[[…]]]`` or block mappings)."""
    if style == "flow":
        body = "deep: " + "[" * depth + "1" + "]" * depth + "\n"
    else:
        body = "".join(f"{'  ' * i}k{i}:\n" for i in range(depth)) + "  " * depth + "leaf: 1\n"
    files(ws, {path: prefix + body}, where)


def json_nested(ws: Workspace, path: str, depth: int, where: str = "repo") -> None:
    files(ws, {path: '{"a":' * depth + "1" + "}" * depth}, where)


def sparse(ws: Workspace, paths: list[str], size: int, head: str = "") -> None:
    """Sparse files of ``size`` bytes (no disk used) starting with ``head``."""
    for rel in paths:
        path = ws.write(rel, head)
        with path.open("r+b") as fh:
            fh.truncate(size)


def binary(ws: Workspace, paths: list[str]) -> None:
    """Bytes that are no text at all (NULs, every byte value) under source-file names."""
    blob = bytes(range(256)) * 64 + b"\x00TODO: not text\x00"
    for rel in paths:
        ws.write(rel, blob)


def encoded(ws: Workspace, files: Mapping[str, str], encoding: str) -> None:
    """Text files in another encoding (``utf-16`` writes a BOM), or ``latin-1`` / raw invalid UTF-8."""
    for rel, text in files.items():
        ws.write(rel, text.encode(encoding))


def raw_bytes(ws: Workspace, files: Mapping[str, str]) -> None:
    """Files given as Python bytes literals' escapes (``\\xff``), for invalid UTF-8 inside text."""
    for rel, text in files.items():
        ws.write(rel, text.encode("latin-1").decode("unicode_escape").encode("latin-1"))


def symlinks(ws: Workspace, links: Mapping[str, str]) -> None:
    """Symlinks: ``{link: target}``, targets relative to the link's folder or absolute (``{outside}``)."""
    for rel, target in links.items():
        link = ws.repo / rel
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(target.format(outside=ws.outside, repo=ws.repo))


def fifo(ws: Workspace, paths: list[str]) -> None:
    """Named pipes under source names: opening one would block forever."""
    for rel in paths:
        (ws.repo / rel).parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(ws.repo / rel)


def odd_names(ws: Workspace, names: list[str], commit: bool = False) -> None:
    """Files whose names hold newlines, tabs, quotes, globs, ANSI escapes…; each carries a marker."""
    for name in names:
        ws.write(name, f"# TODO: marker in {name!r}\n")
    if commit:
        _git(ws.repo, "add", "-A")
        _git(ws.repo, "commit", "-q", "-m", "odd names")


def undecodable_name(ws: Workspace, folder: str) -> None:
    (ws.repo / folder).mkdir(parents=True, exist_ok=True)
    name = os.fsencode(ws.repo / folder) + b"/bad-\xff-name.py"  # bytes: no str path can spell it
    fd = os.open(name, os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, b"# TODO: invisible\n")
    os.close(fd)


def xml_entity(ws: Workspace, path: str, kind: str) -> None:
    """JUnit XML with an external entity (reading the secret), a parameter entity, or billion laughs."""
    secret = ws.outside / "secret.txt"
    if kind == "external":
        doctype = f'<!DOCTYPE testsuites [<!ENTITY xxe SYSTEM "file://{secret}">]>'
        body = ('<testsuites><testsuite name="s" tests="1"><testcase classname="c" name="&xxe;"/>'
                "</testsuite></testsuites>")
    elif kind == "parameter":
        doctype = f'<!DOCTYPE testsuites [<!ENTITY % p SYSTEM "file://{secret}"> %p;]>'
        body = '<testsuites><testsuite name="s" tests="1"><testcase classname="c" name="x"/></testsuite></testsuites>'
    else:
        ents = ['<!ENTITY l0 "lol">'] + [f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10)]
        doctype = f"<!DOCTYPE testsuites [{''.join(ents)}]>"
        body = ('<testsuites><testsuite name="&l9;" tests="1"><testcase classname="c" name="x"/>'
                "</testsuite></testsuites>")
    files(ws, {path: f'<?xml version="1.0"?>{doctype}{body}'})


def xml_nested(ws: Workspace, path: str, depth: int) -> None:
    files(ws, {path: '<?xml version="1.0"?><testsuites>' + "<testsuite>" * depth + "</testsuite>" * depth
               + "</testsuites>"})


def big_text(ws: Workspace, path: str, line: str, count: int, head: str = "", tail: str = "") -> None:
    """``head`` + ``count`` copies of ``line`` (``{n}`` numbered) + ``tail``."""
    body = "".join(line.replace("{n}", str(n)) for n in range(count)) if "{n}" in line else line * count
    files(ws, {path: head + body + tail})


def nested_text(ws: Workspace, path: str, depth: int, open_: str = "(", close: str = ")", head: str = "",
                middle: str = "", tail: str = "") -> None:
    """``head`` + ``depth`` × ``open_`` + ``middle`` + ``depth`` × ``close`` + ``tail`` (deeply nested source)."""
    files(ws, {path: head + open_ * depth + middle + close * depth + tail})


def workflow_jobs(ws: Workspace, path: str, jobs: int) -> None:
    out = ["name: many\non: [push]\njobs:\n"]
    job = "  job{n}:\n    runs-on: ubuntu-latest\n    steps:\n      - run: pytest tests/t{n}.py\n"
    out += [job.format(n=n) for n in range(jobs)]
    files(ws, {path: "".join(out)})


def policy(ws: Workspace, rule: str, name: str = "hostile", requires: str = "[todos]", extra: str = "") -> None:
    """A policy in ``pack/`` whose rule is built in Python (``rule`` is an expression template:
    ``nest:N`` N nested parentheses, ``chain:N`` N operands of ``&&``, ``negate:N`` N ``!``, ``lists:N``
    N nested list literals; ``{list300}``/``{list1000}`` in a literal rule: a list of that many integers)."""
    kind, _, count = rule.partition(":")
    if kind == "nest":
        rule = "(" * int(count) + "true" + ")" * int(count)
    elif kind == "chain":
        rule = " && ".join(["true"] * int(count))
    elif kind == "negate":
        rule = "!" * int(count) + "true"
    elif kind == "lists":
        rule = "[" * int(count) + "]" * int(count) + " != []"
    for size in (300, 1000):
        rule = rule.replace(f"{{list{size}}}", "[" + ", ".join(str(i) for i in range(size)) + "]")
    text = (f"id: {name}\ntitle: Hostile rule\nchecklist: \"h.2\"\nseverity: low\nenforcement: soft\n"
            f"requires: {requires}\n{extra}rule: {json.dumps(rule)}\nmessage: hostile\nremediation: None.\n"
            "examples:\n  - {name: none, facts: {todos: {counts: {total: 0}}}, expect: pass}\n")
    files(ws, {f"{name}.yaml": text}, "pack")


def facts_document(ws: Workspace, path: str, items: int = 0, sparse_size: int = 0, depth: int = 0) -> None:
    """A fact document: sparse of ``sparse_size`` bytes, nested ``depth`` deep, or a valid one with
    ``items`` TODO markers (from a real ``facts`` run of the example, so only its size is hostile)."""
    target = ws.root / path
    if sparse_size:
        target.write_bytes(b'{"apiVersion": "anops.dev/facts/v1", "pad": "')
        with target.open("r+b") as fh:
            fh.truncate(sparse_size)
        return
    if depth:
        target.write_text('{"apiVersion": "anops.dev/facts/v1", "meta": ' + "[" * depth + "]" * depth + "}")
        return
    raise ValueError("facts_document needs sparse_size or depth")


def facts_subjects(ws: Workspace, path: str, release_files: int) -> None:
    """A genuine fact document of the example (collected with the CLI, digest recomputed) whose layout
    names ``release_files`` files: a policy's for_each then yields that many subjects."""
    target = ws.root / path
    subprocess.run([sys.executable, "-m", "anops_policy", "facts", str(ws.repo), "-o", str(target)],
                   check=True, capture_output=True)
    document = json.loads(target.read_text())
    document["layout"]["release_files"] = [f"src/generated/file{n}.rs" for n in range(release_files)]
    document["meta"]["digest"] = digest_of(document)
    target.write_text(json.dumps(document))


def many_files(ws: Workspace, folder: str, files: int, per_folder: int) -> None:
    for n in range(files):
        ws.write(f"{folder}/d{n // per_folder}/f{n}.py", f"# TODO: generated marker {n}\n")


def many(ws: Workspace, steps: list[Mapping[str, Any]]) -> None:
    """Several builders in order: ``[{builder: name, args: {...}}, ...]``."""
    for step in steps:
        BUILDERS[str(step["builder"])](ws, **dict(step.get("args", {})))


BUILDERS: dict[str, Callable[..., None]] = {
    f.__name__: f
    for f in (files, yaml_bomb, yaml_nested, json_nested, sparse, binary, encoded, raw_bytes, symlinks, fifo,
              odd_names, undecodable_name, xml_entity, xml_nested, big_text, nested_text, workflow_jobs, policy,
              facts_document, facts_subjects, many_files, many)
}
