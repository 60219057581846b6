"""Commands in documentation code blocks (prompts, output lines, continuations, trailing comments) and
the test tool a command runs."""

from __future__ import annotations

import re

from anops_policy.collectors.docs.markdown import CodeBlock
from anops_policy.collectors.source.comment_lexer import comment_spans

SHELL_LANGUAGES = frozenset({"sh", "bash", "shell", "zsh", "ksh", "fish", "powershell", "pwsh", "ps1", "cmd",
                             "bat", "console", "shell-session", "sh-session", "shellsession", "terminal"})
CONSOLE_LANGUAGES = frozenset({"console", "shell-session", "sh-session", "shellsession", "terminal"})
PROMPT = re.compile(r"^\s*(?:\([\w.-]+\)\s*)?(?:[\w@.-]+(?::[~\w/.-]*)?)?(?:\$|%|>|PS>|PS [^>]*>)\s+(.*)$")
# in a code block without a language a line is a command when it is prompted or starts like one
COMMAND_START = re.compile(
    r"^(?:sudo\s+|[A-Z_][A-Z0-9_]*=\S*\s+)*(?:\./\S+|pytest|py\.test|python3?|pip3?|pipx|uv|poetry|pdm|hatch|"
    r"tox|nox|cargo|rustup|go|npm|npx|yarn|pnpm|bun|deno|node|make|just|cmake|ctest|bazel|mvn|gradle|"
    r"\./gradlew|dotnet|docker|podman|kubectl|helm|git|curl|cd|export|source|bash|sh|bundle|rspec|"
    r"mix|jest|vitest|mocha|phpunit|bats)\b"
)
TEST_TOOLS = (
    ("pytest", re.compile(r"\b(?:py\.test|pytest)\b")),
    ("unittest", re.compile(r"\bpython3?\s+-m\s+unittest\b")),
    ("tox", re.compile(r"\btox\b")),
    ("nox", re.compile(r"\bnox\b")),
    ("cargo test", re.compile(r"\bcargo\s+(?:\+\S+\s+)?(?:test|nextest)\b")),
    ("go test", re.compile(r"\bgo\s+test\b")),
    ("npm test", re.compile(r"\b(?:npm|pnpm|yarn|bun)\s+(?:run\s+)?(?:test|t)\b")),
    ("make test", re.compile(r"\bmake\s+(?:-\S+\s+)*(?:test|tests|check|unit|e2e|integration)[\w-]*\b")),
    ("just test", re.compile(r"\bjust\s+test")),
    ("ctest", re.compile(r"\bctest\b")),
    ("mvn test", re.compile(r"\bmvnw?\s+(?:\S+\s+)*?(?:test|verify)\b")),
    ("gradle test", re.compile(r"\bgradlew?\s+(?:\S+\s+)*?(?:test|check)\b")),
    ("dotnet test", re.compile(r"\bdotnet\s+test\b")),
    ("bazel test", re.compile(r"\bbazel\s+test\b")),
    ("deno test", re.compile(r"\bdeno\s+test\b")),
    ("mix test", re.compile(r"\bmix\s+test\b")),
    ("hatch test", re.compile(r"\bhatch\s+(?:test|run\s+\S*test)")),
    ("jest", re.compile(r"\b(?:jest|vitest|mocha)\b")),
    ("rspec", re.compile(r"\brspec\b")),
    ("phpunit", re.compile(r"\bphpunit\b")),
    ("bats", re.compile(r"\bbats\b")),
)
INSTALLER = re.compile(
    r"^\s*(?:sudo\s+)?(?:python3?\s+-m\s+)?(?:pip3?|pipx|apt(?:-get)?|brew|conda|mamba|uv\s+(?:pip|add|tool)|"
    r"poetry\s+add|pdm\s+add|npm\s+(?:i|install|ci)|yarn\s+add|pnpm\s+(?:add|install)|cargo\s+install|"
    r"go\s+install|gem\s+install|dnf|yum|apk)\b"
)


def block_commands(block: CodeBlock, binaries: frozenset[str] = frozenset()) -> list[tuple[int, str]]:
    """Commands of a code block: lines of a shell block (prompts ``$ ``/``% ``/``> `` stripped; in a
    block that uses prompts, or a console block, unprompted lines are output), prompted or
    command-looking lines of a block without a language (a known tool or one of the components'
    binaries first); backslash continuations joined."""
    language = block.language
    if language and language not in SHELL_LANGUAGES:
        return []
    rows = list(block.lines)
    prompted = any(PROMPT.match(text) for _, text in rows)
    out: list[tuple[int, str]] = []
    pending: tuple[int, str] | None = None
    for line, raw in rows:
        if pending is not None:
            text = pending[1] + " " + raw.strip()
            if text.endswith("\\"):
                pending = (pending[0], text[:-1].rstrip())
            else:
                out.append((pending[0], _strip_comment(text)))
                pending = None
            continue
        m = PROMPT.match(raw)
        if m:
            text = m.group(1).strip()
        elif prompted or language in CONSOLE_LANGUAGES:
            continue  # output
        else:
            text = raw.strip()
            # a blank line of an unlabelled block has no first word: it is skipped below
            if not language and text and not COMMAND_START.match(text) and text.split(maxsplit=1)[0] not in binaries:
                continue
        if not text or text.startswith("#"):
            continue
        if text.endswith("\\"):
            pending = (line, text[:-1].rstrip())
            continue
        out.append((line, _strip_comment(text)))
    if pending is not None:
        out.append((pending[0], _strip_comment(pending[1])))
    return [(line, text) for line, text in out if text]


def _strip_comment(command: str) -> str:
    spans = comment_spans(command, "shell")
    return command[: spans[0][0]].rstrip() if spans else command


def test_tool(command: str) -> str | None:
    for segment in re.split(r"&&|\|\||;|\|", command):
        if INSTALLER.match(segment):
            continue
        for tool, rx in TEST_TOOLS:
            if rx.search(segment):
                return tool
    return None
