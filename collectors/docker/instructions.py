"""Dockerfile instructions into the ``Analysis``: the walk over them (``analyse``), the stage each FROM
opens, what every instruction other than RUN (see ``runs``) records, and each instruction's one-line entry.
"""

from __future__ import annotations

import posixpath
import re
from typing import Any

from anops_policy.collectors.docker.analysis import Analysis, Stage
from anops_policy.collectors.docker.runs import HEREDOC_MARK, run_instruction
from anops_policy.collectors.docker.secrets import looks_secret, redact_text, redact_value
from anops_policy.collectors.docker.stages import base_tools, expand, parse_image_ref
from anops_policy.collectors.docker.syntax import INSTRUCTIONS, Instruction

MAX_SUMMARY = 200
_URL = re.compile(r"^(?:https?|ftp)://|^git@|\.git(?:#.*)?$", re.IGNORECASE)
_WHOLE_CONTEXT = frozenset({".", "./", "*", "./*", "/", "./."})


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
    match = HEREDOC_MARK.fullmatch(source)
    return match.group(2) if match else None


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
    "RUN": run_instruction,
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
