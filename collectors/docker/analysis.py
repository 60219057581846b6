"""The facts of one Dockerfile as its instructions are read (``Analysis``, one ``Stage`` per FROM), and what
they say about the final image: its stage chain, effective settings, user and build tools.

"The final image" is the last stage plus the stages it is built ``FROM`` (a stage named in another
stage's ``FROM`` passes its filesystem, USER, ENV, HEALTHCHECK, CMD and ENTRYPOINT on); files copied
with ``COPY --from`` are the only thing other stages contribute.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from anops_policy.collectors.docker.shell import RunFacts
from anops_policy.collectors.docker.stages import user_is_root
from anops_policy.collectors.docker.syntax import Instruction
from anops_policy.collectors.docker.tools import tool_kind


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
