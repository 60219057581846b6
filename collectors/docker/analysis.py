"""One Dockerfile → its facts: stages, instructions, package installs, copies, secrets, runtime settings
and build tools of the final image. ``dockerfile_problems`` then judges them.

"The final image" is the last stage plus the stages it is built ``FROM`` (a stage named in another
stage's ``FROM`` passes its filesystem, USER, ENV, HEALTHCHECK, CMD and ENTRYPOINT on); files copied
with ``COPY --from`` are the only thing other stages contribute.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from anops_policy.collectors.docker.secrets import (
    has_url_credentials,
    looks_secret,
    redact_text,
    redact_value,
)
from anops_policy.collectors.docker.shell import (
    SHELLS,
    RunAnalyzer,
    RunFacts,
    cache_cleared,
    cleanup_for,
    family,
    program,
)
from anops_policy.collectors.docker.stages import base_tools, expand, parse_image_ref, user_is_root
from anops_policy.collectors.docker.syntax import INSTRUCTIONS, Instruction
from anops_policy.collectors.docker.tools import tool_kind

MAX_SUMMARY = 200
_HEREDOC_MARK = re.compile(r"<<-?\s*([\"']?)([A-Za-z_][A-Za-z0-9_]*)\1")
_URL = re.compile(r"^(?:https?|ftp)://|^git@|\.git(?:#.*)?$", re.IGNORECASE)
_WHOLE_CONTEXT = frozenset({".", "./", "*", "./*", "/", "./."})


@dataclass
class Stage:
    index: int
    name: str | None
    line: int
    base: str
    base_resolved: str | None
    platform: str | None
    from_stage: int | None
    facts: dict[str, Any]
    env: dict[str, str] = field(default_factory=dict)
    args: dict[str, str | None] = field(default_factory=dict)
    user: tuple[str, int] | None = None  # (user, line) of the last USER in this stage
    workdir: str = "/"
    healthcheck: dict[str, Any] | None = None
    cmd: dict[str, Any] | None = None
    entrypoint: dict[str, Any] | None = None
    copies: list[dict[str, Any]] = field(default_factory=list)
    runs: list[tuple[int, RunFacts, list[str]]] = field(default_factory=list)
    instruction_count: int = 0


@dataclass
class Analysis:
    path: str
    lines: list[str]
    directives: dict[str, str]
    global_args: dict[str, str | None] = field(default_factory=dict)
    stages: list[Stage] = field(default_factory=list)
    instructions: list[dict[str, Any]] = field(default_factory=list)
    args_before_from: list[dict[str, Any]] = field(default_factory=list)
    env: list[dict[str, Any]] = field(default_factory=list)
    args: list[dict[str, Any]] = field(default_factory=list)
    secrets: list[dict[str, Any]] = field(default_factory=list)
    expose: list[dict[str, Any]] = field(default_factory=list)
    installs: list[dict[str, Any]] = field(default_factory=list)
    copies: list[dict[str, Any]] = field(default_factory=list)
    add_urls: list[dict[str, Any]] = field(default_factory=list)
    pipe_to_shell: list[dict[str, Any]] = field(default_factory=list)
    unknown: list[dict[str, Any]] = field(default_factory=list)
    orphans: list[dict[str, Any]] = field(default_factory=list)  # instructions before the first FROM

    # ---- locating a word on a physical line ------------------------------------------------------
    def locator(self, start: int, end: int) -> Callable[[str], int | None]:
        """``locate(word)``: the physical line of the next occurrence of ``word`` in lines start..end, so
        commands of a multi-line RUN are reported on their own line (in order of appearance)."""
        block = "\n".join(self.lines[start - 1 : end])
        cursor = [0]

        def locate(word: str) -> int | None:
            found = block.find(word, cursor[0])
            if found < 0:
                return None
            cursor[0] = found + len(word)
            return start + block.count("\n", 0, found)

        return locate

    def key_line(self, inst: Instruction, key: str) -> int:
        pattern = re.compile(r"(?:^|[\s])" + re.escape(key) + r"(?:[=\s]|$)")
        for number in range(inst.line, min(inst.end_line, len(self.lines)) + 1):
            if pattern.search(self.lines[number - 1]):
                return number
        return inst.line


def analyse(path: str, text: str, directives: dict[str, str], instructions: list[Instruction]) -> Analysis:
    a = Analysis(path=path, lines=text.lstrip("\ufeff").splitlines(), directives=directives)
    for inst in instructions:
        stage = a.stages[-1] if a.stages else None
        if inst.cmd == "FROM":
            stage = _from(a, inst)
        a.instructions.append(_instruction_entry(a, inst, stage))
        if stage is not None:
            stage.instruction_count += 1
        if inst.cmd not in INSTRUCTIONS:
            a.unknown.append({"line": inst.line, "instruction": inst.cmd})
            continue
        if stage is None:
            if inst.cmd == "ARG":
                _arg(a, inst, None)
            else:
                a.orphans.append({"line": inst.line, "instruction": inst.cmd})
            continue
        handler = _HANDLERS.get(inst.cmd)
        if handler is not None:
            handler(a, inst, stage)
    return a


# ---- FROM ----------------------------------------------------------------------------------------
def _from(a: Analysis, inst: Instruction) -> Stage:
    base = inst.values[0] if inst.values else ""
    name = inst.values[2] if len(inst.values) >= 3 and inst.values[1].upper() == "AS" else None
    platform = next((f.split("=", 1)[1] for f in inst.flags if f.startswith("--platform=")), None)
    resolved = expand(base, a.global_args)
    target = (resolved if resolved is not None else base).lower()
    from_stage = next((s.index for s in a.stages if s.name is not None and s.name.lower() == target), None)
    scratch = target == "scratch"
    facts: dict[str, Any] = {
        "index": len(a.stages),
        "name": name,
        "line": inst.line,
        "base": base,
        "base_resolved": resolved,
        "uses_arg": "$" in base,
        "platform": platform,
        "from_stage": from_stage,
        "scratch": scratch,
        "image": None,
        "tag": None,
        "digest": None,
        "digest_pinned": False,
        "latest": False,
        "untagged": False,
        "full_language_base": False,
        "base_build_tools": [],
    }
    if from_stage is None and not scratch and resolved is not None and resolved:
        ref = parse_image_ref(resolved)
        full, tools = base_tools(ref)
        facts.update(
            image=ref.repository,
            tag=ref.tag,
            digest=ref.digest,
            digest_pinned=ref.digest is not None,
            latest=ref.digest is None and ref.tag in (None, "latest"),
            untagged=ref.tag is None and ref.digest is None,
            full_language_base=full,
            base_build_tools=list(tools),
        )
    stage = Stage(len(a.stages), name, inst.line, base, resolved, platform, from_stage, facts)
    if from_stage is not None:
        parent = a.stages[from_stage]
        stage.env = dict(parent.env)
        stage.workdir = parent.workdir
    a.stages.append(stage)
    return stage


# ---- instruction handlers --------------------------------------------------------------------------
def _pairs(values: tuple[str, ...]) -> list[tuple[str, str]]:
    return [
        (values[i], _unquote(values[i + 1]) if i + 1 < len(values) else "") for i in range(0, len(values), 2)
    ]


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def _env(a: Analysis, inst: Instruction, stage: Stage) -> None:
    for key, value in _pairs(inst.values):
        line = a.key_line(inst, key)
        shown = redact_value(key, value)
        a.env.append({"line": line, "stage": stage.index, "key": key, "value": shown})
        stage.env[key] = expand(value, {**stage.args, **stage.env}) or value
        _secret(a, "ENV", key, value, line)


def _arg(a: Analysis, inst: Instruction, stage: Stage | None) -> None:
    for item in inst.values:
        key, eq, default = item.partition("=")
        default_value = _unquote(default) if eq else None
        line = a.key_line(inst, key)
        entry = {
            "line": line,
            "stage": None if stage is None else stage.index,
            "key": key,
            "default": redact_value(key, default_value),
        }
        a.args.append(entry)
        if stage is None:
            resolved = expand(default_value, a.global_args) if default_value is not None else None
            a.global_args[key] = resolved
            a.args_before_from.append({k: entry[k] for k in ("line", "key", "default")})
        else:
            inherited = a.global_args.get(key) if default_value is None else expand(default_value, stage.args)
            stage.args[key] = inherited
        _secret(a, "ARG", key, default_value, line)


def _secret(a: Analysis, instruction: str, key: str, value: str | None, line: int) -> None:
    url = bool(value) and redact_value("", value) != value
    if looks_secret(key) or url:
        a.secrets.append(
            {
                "line": line,
                "instruction": instruction,
                "key": key,
                "reason": "url-credentials" if url and not looks_secret(key) else "secret-name",
                "has_value": bool(value),
            }
        )


def _user(a: Analysis, inst: Instruction, stage: Stage) -> None:
    raw = inst.values[0] if inst.values else ""
    resolved = expand(raw, {**stage.args, **stage.env})
    stage.user = (resolved if resolved is not None else raw, inst.line)


def _workdir(a: Analysis, inst: Instruction, stage: Stage) -> None:
    raw = expand(inst.values[0], {**stage.args, **stage.env}) if inst.values else None
    if raw:
        stage.workdir = posixpath.normpath(posixpath.join(stage.workdir, raw))


def _expose(a: Analysis, inst: Instruction, stage: Stage) -> None:
    for item in inst.values:
        port, _, proto = item.partition("/")
        a.expose.append(
            {"line": inst.line, "stage": stage.index, "port": port, "protocol": (proto or "tcp").lower()}
        )


def _healthcheck(a: Analysis, inst: Instruction, stage: Stage) -> None:
    disabled = bool(inst.values) and inst.values[0].upper() == "NONE"
    stage.healthcheck = {"line": inst.line, "disabled": disabled, "form": None if disabled else _form(inst)}


def _cmd(a: Analysis, inst: Instruction, stage: Stage) -> None:
    stage.cmd = {"line": inst.line, "form": _form(inst)}


def _entrypoint(a: Analysis, inst: Instruction, stage: Stage) -> None:
    stage.entrypoint = {"line": inst.line, "form": _form(inst)}


def _form(inst: Instruction) -> str:
    return "exec" if inst.json else "shell"


def _copy(a: Analysis, inst: Instruction, stage: Stage) -> None:
    flags = dict(f.lstrip("-").partition("=")[::2] for f in inst.flags)
    values = list(inst.values)
    sources, dest = (values[:-1], values[-1]) if len(values) >= 2 else (values, "")
    inline = {h.name for h in inst.heredocs}
    sources = [s for s in sources if _heredoc_name(s) not in inline]
    from_ref = flags.get("from")
    dest_abs = (
        posixpath.normpath(posixpath.join(stage.workdir, expand(dest, stage.env) or dest)) if dest else ""
    )
    whole = from_ref is None and any(s in _WHOLE_CONTEXT for s in sources)
    entry = {
        "line": inst.line,
        "stage": stage.index,
        "instruction": inst.cmd,
        "sources": sources,
        "dest": dest,
        "from": from_ref,
        "chown": flags.get("chown"),
        "whole_context": whole,
        "heredoc": bool(inst.heredocs),
    }
    a.copies.append(entry)
    stage.copies.append({**entry, "dest_abs": dest_abs})
    if inst.cmd == "ADD":
        for src in sources:
            if _URL.search(src):
                a.add_urls.append(
                    {
                        "line": inst.line,
                        "stage": stage.index,
                        "url": redact_text(src),
                        "checksum": "checksum" in flags,
                    }
                )


def _heredoc_name(source: str) -> str | None:
    match = _HEREDOC_MARK.fullmatch(source)
    return match.group(2) if match else None


def _run(a: Analysis, inst: Instruction, stage: Stage) -> None:
    mounts = []
    for flag in inst.flags:
        if flag.startswith("--mount="):
            opts = dict(part.partition("=")[::2] for part in flag[len("--mount=") :].split(","))
            if opts.get("type") in {"cache", "tmpfs"} and (
                opts.get("target") or opts.get("dst") or opts.get("destination")
            ):
                mounts.append(opts.get("target") or opts.get("dst") or opts.get("destination") or "")
    analyzer = RunAnalyzer(inst.line, a.locator(inst.line, inst.end_line), {**stage.args, **stage.env})
    for script in _scripts(inst):
        analyzer.analyse(script)
    facts = analyzer.facts
    stage.runs.append((inst.line, facts, mounts))
    _run_secrets(a, inst, facts)
    for line, text in facts.pipe_to_shell:
        a.pipe_to_shell.append({"line": line, "stage": stage.index, "command": redact_text(text)})
    for inst_facts in facts.installs:
        fam = family(inst_facts.manager)
        no_cache_env = "PIP_NO_CACHE_DIR" in stage.env or "PIP_NO_CACHE_DIR" in facts.inline_env
        cleaned = inst_facts.no_cache or cache_cleared(fam, facts, mounts) or (fam == "pip" and no_cache_env)
        removed = sorted(p.name for p in inst_facts.packages if p.name in facts.removed)
        if inst_facts.virtual and inst_facts.virtual in facts.removed:
            removed = sorted(p.name for p in inst_facts.packages)
        a.installs.append(
            {
                "line": inst_facts.line,
                "run_line": inst.line,
                "stage": stage.index,
                "manager": inst_facts.manager,
                "packages": [
                    {"name": p.name, "version": p.version, "pinned": p.pinned} for p in inst_facts.packages
                ],
                "package_count": len(inst_facts.packages),
                "unpinned": sorted({p.name for p in inst_facts.packages if not p.pinned}),
                "requirements": inst_facts.requirements,
                "local_sources": inst_facts.local_sources,
                "options": inst_facts.options,
                "no_install_recommends": inst_facts.no_install_recommends,
                "cache_cleaned": cleaned,
                "cleanup": sorted(
                    set(cleanup_for(fam, facts, mounts))
                    | ({"--no-cache-dir"} if "--no-cache-dir" in inst_facts.options else set())
                    | ({"PIP_NO_CACHE_DIR"} if fam == "pip" and no_cache_env else set())
                    | ({"apk --no-cache"} if fam == "apk" and inst_facts.no_cache else set())
                ),
                "removed_in_same_run": removed,
                "apt_update_in_same_run": facts.apt_update_line is not None if fam == "apt" else None,
                "lockfile": inst_facts.lockfile,
                "in_final_image": False,  # set once the final stage is known
            }
        )


def _run_secrets(a: Analysis, inst: Instruction, facts: RunFacts) -> None:
    """A RUN's command line is stored in the image history: credentials written into it leak."""
    for key, value in sorted(facts.inline_env.items()):
        if looks_secret(key) and value and not value.startswith("$"):
            a.secrets.append(
                {
                    "line": a.key_line(inst, key),
                    "instruction": "RUN",
                    "key": key,
                    "reason": "secret-name",
                    "has_value": True,
                }
            )
    if any(has_url_credentials(text) for text in (inst.original, *(h.content for h in inst.heredocs))):
        a.secrets.append(
            {
                "line": inst.line,
                "instruction": "RUN",
                "key": None,
                "reason": "url-credentials",
                "has_value": True,
            }
        )


def _scripts(inst: Instruction) -> list[str]:
    """The shell text a RUN executes: its command line, plus heredoc bodies that a shell runs."""
    if inst.json:
        values = list(inst.values)
        if len(values) >= 3 and program(values) in SHELLS and values[1] == "-c":
            return [values[2]]
        return [shlex.join(values)]
    text = inst.values[0] if inst.values else ""
    if not inst.heredocs:
        return [text]
    command = _HEREDOC_MARK.sub(" ", text).strip()
    scripts = [command] if command else []
    words = command.split()
    if not words or program(words) in SHELLS:
        for doc in inst.heredocs:
            scripts.append(re.sub(r"\\\n", " ", doc.content))
    return scripts


_HANDLERS = {
    "ENV": _env,
    "ARG": _arg,
    "USER": _user,
    "WORKDIR": _workdir,
    "EXPOSE": _expose,
    "HEALTHCHECK": _healthcheck,
    "CMD": _cmd,
    "ENTRYPOINT": _entrypoint,
    "COPY": _copy,
    "ADD": _copy,
    "RUN": _run,
}


# ---- instruction entries ---------------------------------------------------------------------------
def _instruction_entry(a: Analysis, inst: Instruction, stage: Stage | None) -> dict[str, Any]:
    if inst.cmd in {"ENV", "LABEL"}:
        summary = " ".join(f"{k}={redact_value(k, v)}" for k, v in _pairs(inst.values))
    elif inst.cmd == "ARG":
        parts = []
        for item in inst.values:
            key, eq, value = item.partition("=")
            parts.append(f"{key}={redact_value(key, _unquote(value))}" if eq else key)
        summary = " ".join(parts)
    else:
        first = inst.original.split("\n", 1)[0]
        body = first.split(None, 1)[1] if len(first.split(None, 1)) > 1 else ""
        for flag in inst.flags:
            body = body.replace(flag, "", 1)
        summary = redact_text(" ".join(body.split()))
    if len(summary) > MAX_SUMMARY:
        summary = summary[: MAX_SUMMARY - 1] + "…"
    form = _form(inst) if inst.cmd in {"RUN", "CMD", "ENTRYPOINT", "SHELL", "HEALTHCHECK"} else None
    if inst.cmd == "HEALTHCHECK" and inst.values and inst.values[0].upper() == "NONE":
        form = None
    return {
        "line": inst.line,
        "end_line": inst.end_line,
        "instruction": inst.cmd,
        "flags": [redact_text(f) for f in inst.flags],
        "value": summary,
        "stage": None if stage is None else stage.index,
        "form": form,
        "heredoc": bool(inst.heredocs),
        "onbuild": inst.sub_cmd,
    }


def final_chain(a: Analysis) -> list[Stage]:
    """The last stage and its FROM ancestors, last stage first."""
    chain: list[Stage] = []
    stage = a.stages[-1] if a.stages else None
    while stage is not None and stage not in chain:
        chain.append(stage)
        stage = a.stages[stage.from_stage] if stage.from_stage is not None else None
    return chain


def build_tools(a: Analysis, chain: list[Stage]) -> list[dict[str, Any]]:
    """Build tools in the final image: installed in a stage of the chain (and not removed in the same RUN)
    or shipped by the chain's external base image."""
    indices = {s.index for s in chain}
    found: dict[tuple[str, int], dict[str, Any]] = {}
    for inst in a.installs:
        if inst["stage"] not in indices or inst["manager"] in {"pip", "npm"}:
            continue
        for pkg in inst["packages"]:
            kind = tool_kind(pkg["name"])
            if kind and pkg["name"] not in inst["removed_in_same_run"]:
                found[(pkg["name"], inst["line"])] = {
                    "name": pkg["name"],
                    "kind": kind,
                    "source": "install",
                    "line": inst["line"],
                }
    root = chain[-1] if chain else None
    if root is not None:
        for name in root.facts["base_build_tools"]:
            found[(name, root.line)] = {
                "name": name,
                "kind": tool_kind(name) or "compiler",
                "source": "base",
                "line": root.line,
            }
    return sorted(found.values(), key=lambda t: (t["line"], t["name"]))


def effective(chain: list[Stage], attr: str) -> Any:
    for stage in chain:
        value = getattr(stage, attr)
        if value is not None:
            return value
    return None


def user_facts(chain: list[Stage]) -> dict[str, Any]:
    user = effective(chain, "user")
    name = user[0] if user else None
    return {
        "final_user": name,
        "final_user_line": user[1] if user else None,
        "final_user_source": "instruction" if user else "default",
        "final_user_is_root": user_is_root(name),
    }
