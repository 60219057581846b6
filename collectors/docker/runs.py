"""RUN instructions into the analysis: the shell scripts a RUN executes (its command line and heredoc
bodies), the package installs they make and whether their caches are cleaned, piped installers, and
credentials written on the command line."""

from __future__ import annotations

import re
import shlex

from anops_policy.collectors.docker.analysis import Analysis, Stage
from anops_policy.collectors.docker.secrets import has_url_credentials, looks_secret, redact_text
from anops_policy.collectors.docker.shell import (
    SHELLS,
    RunAnalyzer,
    RunFacts,
    cache_cleared,
    cleanup_for,
    family,
    program,
)
from anops_policy.collectors.docker.syntax import Instruction

HEREDOC_MARK = re.compile(r"<<-?\s*([\"']?)([A-Za-z_][A-Za-z0-9_]*)\1")


def run_instruction(a: Analysis, inst: Instruction, stage: Stage) -> None:
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
    command = HEREDOC_MARK.sub(" ", text).strip()
    scripts = [command] if command else []
    words = command.split()
    if not words or program(words) in SHELLS:
        for doc in inst.heredocs:
            scripts.append(re.sub(r"\\\n", " ", doc.content))
    return scripts
