"""Walking one script's syntax tree with the shell's state (``cd``, ``set``, ``sh -c``, substitutions):
the test commands and invocations it runs, the reports they write, and the reasons their failure is hidden."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from anops_policy.collectors.ci.command_words import ASSIGN, SHELLS, flag_value
from anops_policy.collectors.ci.indirection import Invocation, detect_invocation
from anops_policy.collectors.ci.masking import Reason, ShellState, mask_reasons
from anops_policy.collectors.ci.shell_modes import Mode
from anops_policy.collectors.ci.tool_table import Detection, detect_test

from anops_policy.syntax.shell import MAX_NESTING, Cmd, Group, Pipeline, Script, parse, parse_text


@dataclass(frozen=True)
class Found:
    """One test command (or invocation) found in a script, with the reasons its failure would be hidden."""

    line: int
    text: str
    detection: Detection | None
    invocation: Invocation | None
    cwd: str  # repository-relative directory it runs in ("." for the root)
    reasons: tuple[Reason, ...]
    report_path: str | None = None
    report_format: str | None = None
    chunk: int = 0


@dataclass
class ScriptReport:
    found: list[Found] = field(default_factory=list)
    summary_lines: list[int] = field(default_factory=list)  # lines that write $GITHUB_STEP_SUMMARY
    commands: int = 0


_REPORT_CONVERTERS = {"go-junit-report", "cargo2junit", "tap-junit", "tap-xunit", "junit-report"}
_WORKSPACE_PREFIX = re.compile(r"^(\$\{\{\s*github\.workspace\s*\}\}|\$\{?GITHUB_WORKSPACE\}?|\$\{?CI_PROJECT_DIR\}?"
                               r"|\$\{?CIRCLE_WORKING_DIRECTORY\}?|\$\{?BUILD_SOURCESDIRECTORY\}?|\$\{?WORKSPACE\}?"
                               r"|\$\(\s*pwd\s*\)|\$PWD|\$\{PWD\})(/|$)")


def join_path(cwd: str, target: str) -> str | None:
    """``target`` (as written in a script running in ``cwd``) as a repository-relative path, or None when
    it is not a literal path inside the repository."""
    t = _WORKSPACE_PREFIX.sub("/", target.strip()) if _WORKSPACE_PREFIX.match(target.strip()) else target.strip()
    if _WORKSPACE_PREFIX.match(target.strip()):
        t = t.lstrip("/") or "."
        cwd = "."
    if not t or "$" in t or t.startswith(("/", "~")) or "`" in t:
        return None
    joined = posixpath.normpath(posixpath.join(cwd or ".", t))
    if joined == ".." or joined.startswith("../"):
        return None
    return joined


class Analyzer:
    """Walk one script's syntax tree, tracking ``cd``/``set`` state, and collect test commands with the
    reasons their failure would not fail the script."""

    def __init__(self, mode: Mode, cwd: str, hints: Sequence[str] = ()) -> None:
        self.mode = mode
        self.hints = tuple(hints)
        self.cwd0 = cwd or "."
        self.report = ScriptReport()
        self.unparsed: list[Reason] = []  # a syntax error makes every exit status of the script undecidable

    def run(self, chunks: Sequence[tuple[str, int, bool]], outer: Sequence[Reason] = ()) -> ScriptReport:
        parsed = parse(chunks)
        script = parsed.script
        self._syntax_errors(parsed.errors)
        reason = None if self.mode.errexit else Reason(f"{self.mode.label} does not stop at a failing command",
                                                       chunks[0][1] if chunks else 0)
        state = ShellState(self.mode.errexit, self.mode.pipefail, reason, self.cwd0, [])
        self._walk(script, state, list(outer), 0)
        return self.report

    def _walk(self, script: Script, state: ShellState, outer: list[Reason], depth: int) -> None:
        for k, lst in enumerate(script.lists):
            for p_idx, pipe in enumerate(lst.pipelines):
                for c_idx, item in enumerate(pipe.items):
                    reasons = outer + mask_reasons(script, k, p_idx, c_idx, state)
                    if isinstance(item, Group):
                        if any(op in (">", ">>", ">|", "&>", "&>>") and "GITHUB_STEP_SUMMARY" in target
                               for op, target in item.redirects):
                            self.report.summary_lines.append(item.line)
                        if depth >= MAX_NESTING:
                            continue
                        if item.subshell:
                            inner = ShellState(state.errexit, state.pipefail, state.errexit_reason, state.cwd,
                                               list(state.dirs))
                            self._walk(item.body, inner, reasons, depth + 1)
                        else:
                            self._walk(item.body, state, reasons, depth + 1)
                    else:
                        self._command(item, pipe, c_idx, state, reasons, depth)

    def _command(self, cmd: Cmd, pipe: Pipeline, c_idx: int, state: ShellState, reasons: list[Reason],
                 depth: int) -> None:
        self.report.commands += 1
        w = cmd.words
        for op, target in cmd.redirects:
            if op in (">", ">>", ">|", "&>", "&>>") and "GITHUB_STEP_SUMMARY" in target:
                self.report.summary_lines.append(cmd.line)
        if w and w[0] == "tee" and any("GITHUB_STEP_SUMMARY" in a for a in w[1:]):
            self.report.summary_lines.append(cmd.line)
        if not w:
            self._substitutions(cmd, state, reasons, depth)
            return
        head = w[0]
        if head in ("cd", "pushd", "popd"):
            self._chdir(w, state)
            return
        if head == "set":
            self._set(w[1:], state, cmd.line, cmd.chunk)
            return
        if head in SHELLS and "-c" in w:
            idx = w.index("-c")
            if idx + 1 < len(w) and depth < MAX_NESTING:
                inner = ShellState(state.errexit and "-e" in w, "pipefail" in w, state.errexit_reason, state.cwd, [])
                if not inner.errexit:
                    inner.errexit_reason = Reason(f"{head} -c does not stop at a failing command", cmd.line, cmd.chunk)
                parsed = parse_text(w[idx + 1], cmd.line, cmd.chunk)
                self._syntax_errors(parsed.errors)
                self._walk(parsed.script, inner, reasons, depth + 1)
            return
        self._substitutions(cmd, state, reasons, depth)
        det = detect_test(w, self.hints)
        inv = detect_invocation(w)
        if det is None and inv is None:
            return
        report_path, report_format = (det.report_path, det.report_format) if det else (None, None)
        for later in pipe.items[c_idx + 1:]:
            if isinstance(later, Cmd) and later.words:
                name = later.words[0].rsplit("/", 1)[-1]
                dest = next((t for op, t in later.redirects if op in (">", ">>")), None)
                if name in _REPORT_CONVERTERS:
                    report_path = dest or flag_value(later.words, "-out", "--out") or report_path
                    report_format = "junit"
                elif name == "tee" and len(later.words) > 1 and report_path is None:
                    files = [a for a in later.words[1:] if not a.startswith("-")]
                    if files and "GITHUB_STEP_SUMMARY" not in files[0]:
                        report_path, report_format = files[0], "text"
        if report_path is None and det is not None:
            dest = next((t for op, t in cmd.redirects if op in (">", ">>", "&>", "&>>")), None)
            if dest and "/dev/null" not in dest and "GITHUB_STEP_SUMMARY" not in dest:
                report_path, report_format = dest, det.report_format or "text"
        resolved_report = join_path(state.cwd, report_path) if report_path else None
        self.report.found.append(Found(cmd.line, " ".join(w), det, inv, state.cwd, (*reasons, *self.unparsed),
                                       resolved_report or report_path, report_format, cmd.chunk))

    def _syntax_errors(self, errors: Sequence[tuple[int, int]]) -> None:
        """Fail closed on shell the grammar cannot parse: a POSIX script with a syntax error may stop, or
        not, anywhere, so its test commands are reported as masked by it (never as "not masking")."""
        if self.mode.posix:
            self.unparsed.extend(Reason("a syntax error in the shell text on this line: whether a failure "
                                        "fails the script cannot be decided", line, chunk) for line, chunk in errors)

    def _substitutions(self, cmd: Cmd, state: ShellState, reasons: list[Reason], depth: int) -> None:
        if not cmd.substs or depth >= MAX_NESTING:
            return
        pure_assignment = all(ASSIGN.match(x) for x in cmd.words)
        for sub in cmd.substs:
            extra = [] if pure_assignment else [Reason("inside a command substitution", cmd.line, cmd.chunk)]
            inner = ShellState(False, state.pipefail, Reason("command substitution", cmd.line, cmd.chunk), state.cwd,
                               [])
            self._walk(sub.script, inner, reasons + extra, depth + 1)

    @staticmethod
    def _chdir(w: list[str], state: ShellState) -> None:
        if w[0] == "popd":
            state.cwd = state.dirs.pop() if state.dirs else state.cwd
            return
        args = [a for a in w[1:] if not a.startswith("-")]
        if w[0] == "pushd":
            state.dirs.append(state.cwd)
        if not args:
            return
        target = join_path(state.cwd, args[0])
        state.cwd = target if target is not None else state.cwd

    @staticmethod
    def _set(args: list[str], state: ShellState, line: int, chunk: int) -> None:
        i = 0
        while i < len(args):
            a = args[i]
            if a[:1] in ("-", "+") and len(a) > 1 and a not in ("--", "-"):
                on = a[0] == "-"
                letters = a[1:]
                if "e" in letters:
                    state.errexit = on
                    state.errexit_reason = None if on else Reason(f"set {a}", line, chunk)
                if "o" in letters and i + 1 < len(args):
                    i += 1
                    opt = args[i]
                    if opt == "errexit":
                        state.errexit = on
                        state.errexit_reason = None if on else Reason(f"set {a} errexit", line, chunk)
                    elif opt == "pipefail":
                        state.pipefail = on
            i += 1


def analyze(
    chunks: Sequence[tuple[str, int, bool]], mode: Mode, *, cwd: str = ".", hints: Sequence[str] = (),
    outer: Sequence[Reason] = (),
) -> ScriptReport:
    """Test commands, invocations and step-summary writes of one script.

    ``chunks`` are ``(text, first_line, literal)``: lines inside a chunk are numbered from
    ``first_line`` when ``literal`` (otherwise every command gets ``first_line``). ``outer`` are
    reasons that already mask every command (``continue-on-error``, ``allow_failure``).
    """
    return Analyzer(mode, cwd, hints).run(chunks, outer)
