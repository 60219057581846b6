"""Failure masking, decided the way the shell decides an exit status (errexit and its exemptions, pipefail,
``||``, ``!``, ``&``, ``set +e``, a later ``exit 0``): why a failing command would leave its script green.
So ``pytest; exit 0`` under ``bash -e`` is not masking but ``pytest && echo ok; echo done`` is."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from anops_policy.syntax.shell import AndOr, Cmd, Group, Pipeline, Script


@dataclass(frozen=True)
class Reason:
    text: str
    line: int
    chunk: int = 0
    path: str | None = None  # set for reasons outside the script (continue-on-error, allow_failure)


@dataclass
class ShellState:
    errexit: bool
    pipefail: bool
    errexit_reason: Reason | None
    cwd: str
    dirs: list[str]


def _fails(pipe: Pipeline) -> bool:
    """A pipeline that makes the script fail: ``exit N`` (N != 0), ``exit`` alone, ``false``, ``return N``."""
    for item in pipe.items:
        if isinstance(item, Group):
            if any(_fails(p) for lst in item.body.lists for p in lst.pipelines):
                return True
            continue
        w = item.words
        if not w:
            continue
        if w[0] in ("exit", "return") and (len(w) == 1 or w[1] not in ("0",)):
            return True
        if w[0] == "false":
            return True
    return False


def _text(node: Pipeline | AndOr | Cmd | Group, limit: int = 120) -> str:
    if isinstance(node, Cmd):
        out = " ".join(node.words)
    elif isinstance(node, Group):
        inner = "; ".join(_text(lst) for lst in node.body.lists)
        out = f"( {inner} )" if node.subshell else f"{{ {inner}; }}"
    elif isinstance(node, Pipeline):
        out = ("! " if node.negated else "") + " | ".join(_text(i) for i in node.items)
    else:
        parts = [_text(node.pipelines[0])]
        for op, p in zip(node.ops, node.pipelines[1:], strict=False):
            parts.append(f"{op} {_text(p)}")
        out = " ".join(parts)
    return out if len(out) <= limit else out[: limit - 1] + "…"


def _mentions_status(lst: AndOr) -> bool:
    for p in lst.pipelines:
        for item in p.items:
            text = _text(item, 10_000)
            if "$?" in text or "PIPESTATUS" in text or "${?}" in text:
                # Only printing the status to the log (`echo "tests exited $?"`) does not act on it: the script
                # then ends with echo's 0. Keeping it (`rc=$?`, `echo $? > rc`, `| tee`) or testing it does.
                if isinstance(item, Cmd) and item.words[:1] in (["echo"], ["printf"]) and not item.redirects \
                        and len(p.items) == 1:
                    continue
                return True
    return False


def _first_exit0(lists: Sequence[AndOr]) -> AndOr | None:
    for lst in lists:
        for p in lst.pipelines:
            for item in p.items:
                if isinstance(item, Cmd) and item.words[:2] == ["exit", "0"]:
                    return lst
    return None


def mask_reasons(script: Script, k: int, p_idx: int, c_idx: int, state: ShellState) -> list[Reason]:
    """Why a failure of item ``c_idx`` of pipeline ``p_idx`` of list ``k`` would not fail the script."""
    lst = script.lists[k]
    pipe = lst.pipelines[p_idx]
    out: list[Reason] = []
    if c_idx < len(pipe.items) - 1 and not state.pipefail:
        last = pipe.items[-1]
        name = last.words[0] if isinstance(last, Cmd) and last.words else "another command"
        out.append(Reason(f"piped into {name} without pipefail (the pipeline's status is {name}'s)", pipe.line,
                          pipe.chunk))
    if pipe.negated and not lst.condition:
        out.append(Reason("negated with !", pipe.line, pipe.chunk))
    if lst.background:
        out.append(Reason("run in the background (&)", lst.line, lst.chunk))
    for j in range(p_idx, len(lst.ops)):
        if lst.ops[j] == "||":
            rhs = lst.pipelines[j + 1:]
            if not any(_fails(p) for p in rhs):
                text = " ".join(f"{op} {_text(p)}" for op, p in zip(lst.ops[j:], rhs, strict=False))
                out.append(Reason(text, rhs[0].line, rhs[0].chunk))
            return out
    exempt = p_idx < len(lst.pipelines) - 1
    later = script.lists[k + 1:]
    if lst.condition:
        if not any(_fails(p) for lst2 in later for p in lst2.pipelines):
            out.append(Reason("used as an if/while condition and no later command fails the script", lst.line,
                              lst.chunk))
        return out
    if state.errexit and not exempt and not lst.background and not pipe.negated:
        return out
    if not later or _mentions_status(later[0]):
        return out
    if exempt and state.errexit:
        out.append(Reason(f"followed by `{lst.ops[p_idx]} ...` (errexit ignores a failure there) and the "
                          "script goes on", lst.line, lst.chunk))
    elif not state.errexit and state.errexit_reason is not None:
        out.append(state.errexit_reason)
    exit0 = _first_exit0(later)
    if exit0 is not None:
        out.append(Reason("exit 0 after the test command", exit0.line, exit0.chunk))
    elif exempt or not state.errexit:
        out.append(Reason("later commands decide the script's exit status", later[-1].line, later[-1].chunk))
    return out
