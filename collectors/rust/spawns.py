"""The external programs a crate's non-test code runs, each with ``path:line``.

A spawn is ``std::process::Command::new(…)`` (also tokio's, async-std's and ``Command`` imported from
them), duct's ``cmd!``/``cmd(…)``, xshell's ``cmd!(sh, "…")``, the subprocess crate's ``Exec::cmd``/
``Popen::create``, and the ``edit`` crate (which runs ``$VISUAL``/``$EDITOR``). The program is the
literal when there is one, or the environment variable that chooses it: ``Command::new(env::var("PAGER")…)``,
``let editor = env::var("EDITOR")…; Command::new(&editor)``, ``Command::new(docker_bin())`` where
``docker_bin`` reads ``DOCKER``. A function that runs a program given as its parameter (``fn run_tool(program:
&str, …)``) is a wrapper: each call of it names a spawn of its own (``run_tool("docker", …)``).

clap's ``Command::new("app")`` builds a command-line parser, not a process: a file whose ``Command`` is
clap's (``use clap::Command``) or whose ``Command::new`` chain calls only parser methods is left out."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from anops_policy.collectors.rust.scan import FnItem, Scan
from anops_policy.collectors.rust.tokens import IDENT, STR, Token, positions, positions_of

PROCESS_METHODS = frozenset({"spawn", "output", "status", "exec", "stdin", "stdout", "stderr", "current_dir"})
CLAP_METHODS = frozenset(
    {
        "about",
        "version",
        "subcommand",
        "subcommands",
        "author",
        "long_about",
        "propagate_version",
        "bin_name",
        "subcommand_required",
        "arg_required_else_help",
        "after_help",
        "get_matches",
        "try_get_matches",
    }
)
ENV_READS = frozenset({"var", "var_os"})
EDITOR_CALLS = frozenset({"edit", "edit_file", "edit_bytes", "edit_with_builder"})


@dataclass(frozen=True)
class Spawn:
    path: str
    line: int
    program: str | None  # the literal program, when one is named
    env_var: str | None  # the environment variable that chooses the program
    via: str  # std::process::Command | duct | xshell | subprocess | edit | a wrapper function's name

    def fact(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "program": self.program, "env_var": self.env_var, "via": self.via}


def _env_vars(toks: list[Token]) -> list[str]:
    """Names read by ``env::var("X")``/``var_os("X")``/``env!("X")`` in a token slice."""
    out = []
    for i, t in enumerate(toks[:-2]):
        if t.kind == IDENT and t.text in ENV_READS and toks[i + 1].is_punct("(") and toks[i + 2].kind == STR:
            out.append(toks[i + 2].text)
    return out


def _command_kind(sc: Scan) -> str:
    """What ``Command`` means in the file: ``process``, ``clap`` or ``unknown`` (decided per chain)."""
    full = sc.uses.get("Command", "")
    if full.endswith("process::Command"):
        return "process"
    if full.startswith("clap"):
        return "clap"
    return "unknown"


def _chain_methods(toks: list[Token], match: dict[int, int], close: int, end: int) -> set[str]:
    """The ``.method`` names called on a value from token ``close`` on, to the end of its statement."""
    out: set[str] = set()
    i = close + 1
    while i < end and not toks[i].is_punct(";"):
        if toks[i].is_punct(".") and i + 1 < end and toks[i + 1].kind == IDENT:
            out.add(toks[i + 1].text)
        i = match.get(i, i) + 1 if toks[i].kind == "punct" and toks[i].text in "([{" else i + 1
    return out


class _File:
    def __init__(self, path: str, sc: Scan) -> None:
        self.path = path
        self.sc = sc
        self.kind = _command_kind(sc)
        # a function reading an environment variable and returning it: fn docker_bin() -> String { env::var("DOCKER")… }
        self.env_fns: dict[str, str] = {}
        for fn in sc.fns:
            if fn.body is not None and not fn.params:
                found = _env_vars(sc.tokens[fn.body[0] : fn.body[1]])
                if found:
                    self.env_fns[fn.name] = found[0]

    def program_of(self, args: list[Token], fn: FnItem | None, at: int) -> tuple[str | None, str | None, int | None]:
        """(literal, environment variable, parameter index) naming the program in a call's first argument."""
        toks = self.sc.tokens
        stripped = [t for t in args if not (t.is_punct("&") or t.is_ident("mut"))]
        if stripped and stripped[0].kind == STR:
            return stripped[0].text, None, None
        env = _env_vars(args)
        if env:
            return self._default(args), env[0], None
        for i, t in enumerate(args[:-1]):
            if t.kind == IDENT and t.text in self.env_fns and args[i + 1].is_punct("("):
                return None, self.env_fns[t.text], None
        name = stripped[0].text if stripped and stripped[0].kind == IDENT else None
        if name is None or fn is None or fn.body is None:
            return None, None, None
        # let NAME = …env::var("X")…; before the call
        start = fn.body[0]
        for j in range(at - 1, start, -1):
            if (
                toks[j].is_ident("let")
                and j + 1 < at
                and (toks[j + 1].text == name or (toks[j + 1].is_ident("mut") and toks[j + 2].text == name))
            ):
                k = j
                while k < at and not toks[k].is_punct(";"):
                    k = self.sc.match.get(k, k) + 1 if toks[k].kind == "punct" and toks[k].text in "([{" else k + 1
                bound = toks[j:k]
                env = _env_vars(bound)
                fns = [self.env_fns[b.text] for b in bound if b.kind == IDENT and b.text in self.env_fns]
                literal = next((b.text for b in bound if b.kind == STR and b.text not in env), None)
                chosen = [*env, *fns]
                return literal, chosen[0] if chosen else None, None
        if name in fn.params:
            return None, None, fn.params.index(name)
        return None, None, None

    @staticmethod
    def _default(args: list[Token]) -> str | None:
        """``env::var("EDITOR").unwrap_or_else(|_| "vi".into())`` → vi."""
        literals = [t.text for t in args if t.kind == STR]
        return literals[1] if len(literals) > 1 else None


_ROOT_NAMES = frozenset({"Command", "cmd", "shell", "create", *EDITOR_CALLS})


def _roots(f: _File) -> list[tuple[int, int, str, list[Token]]]:
    """(token index, line, via, first-argument tokens) of each spawn in the file's non-test code."""
    sc = f.sc
    toks, match = sc.tokens, sc.match
    mask = sc.test_mask()
    out: list[tuple[int, int, str, list[Token]]] = []
    n = len(toks)
    for i in positions_of(sc.keys, _ROOT_NAMES):  # identifiers only: no punctuation is a word
        if mask[i] or i + 1 >= n:
            continue
        t = toks[i]
        prev = toks[i - 1] if i > 0 else None
        if t.text == "Command" and i + 3 < n and toks[i + 1].is_punct("::") and toks[i + 2].is_ident("new"):
            if not toks[i + 3].is_punct("(") or (i + 3) not in match:
                continue
            qualified = i >= 2 and prev is not None and prev.is_punct("::") and toks[i - 2].text == "process"
            close = match[i + 3]
            if not qualified and f.kind != "process":
                around = sc.fn_at(i)
                end = around.body[1] if around is not None and around.body is not None else n
                methods = _chain_methods(toks, match, close, end)
                if f.kind == "clap" or methods & CLAP_METHODS or ("arg" in methods and not methods & PROCESS_METHODS):
                    continue
            out.append((i, t.line, "std::process::Command", toks[i + 4 : close]))
        elif t.text == "cmd" and toks[i + 1].is_punct("!") and i + 2 < n and (i + 2) in match:
            inner = toks[i + 3 : match[i + 2]]
            xshell = len(inner) > 1 and inner[0].kind == IDENT and inner[1].is_punct(",")
            args = inner[2:] if xshell else inner
            if args and args[0].kind == STR and xshell:
                words = args[0].text.split()
                args = [args[0]._replace(text=words[0] if words else "")]
            out.append((i, t.line, "xshell" if xshell else "duct", args))
        elif (
            t.text == "cmd"
            and toks[i + 1].is_punct("(")
            and (i + 1) in match
            and (prev is None or not prev.is_ident("fn"))
            and (
                "duct" in sc.uses.get("cmd", "")
                or (prev is not None and prev.is_punct("::") and toks[i - 2].is_ident("duct"))
            )
        ):
            out.append((i, t.line, "duct", toks[i + 2 : match[i + 1]]))
        elif t.text in ("cmd", "shell", "create") and prev is not None and prev.is_punct("::") and i >= 2:
            owner = toks[i - 2].text
            if owner in ("Exec", "Popen") and toks[i + 1].is_punct("(") and (i + 1) in match:
                inner = toks[i + 2 : match[i + 1]]
                if owner == "Popen" and inner and inner[0].is_punct("&"):
                    inner = inner[1:]
                if inner and inner[0].is_punct("["):
                    inner = inner[1:]
                out.append((i, t.line, "subprocess", inner))
        elif t.text in EDITOR_CALLS and i >= 2 and toks[i - 1].is_punct("::") and toks[i - 2].is_ident("edit"):
            out.append((i, t.line, "edit", []))
    return out


@dataclass(frozen=True)
class FileSpawns:
    """What one file contributes to its crate's spawns, alone: the spawns it makes itself, the wrapper
    functions it defines (name, index of the parameter naming the program) and the names it calls in
    non-test code (only a file calling one of the crate's wrappers is read again for those calls)."""

    spawns: list[Spawn]
    wrappers: list[tuple[str, int]]
    calls: list[str]


def file_spawns(path: str, sc: Scan) -> FileSpawns:
    f = _File(path, sc)
    found: list[Spawn] = []
    wrappers: list[tuple[str, int]] = []
    for index, line, via, args in _roots(f):
        if via == "edit":
            found.append(Spawn(f.path, line, None, "EDITOR", via))
            continue
        fn = sc.fn_at(index)
        literal, env, param = f.program_of(args, fn, index)
        if param is not None and fn is not None:
            wrappers.append((fn.name, param))
        found.append(Spawn(f.path, line, literal, env, via))
    toks, mask = sc.tokens, sc.test_mask()
    calls = {toks[i - 1].text for i in positions(sc.keys, "(") if i and toks[i - 1].kind == IDENT and not mask[i - 1]}
    return FileSpawns(found, wrappers, sorted(calls))


def crate_spawns(files: dict[str, Scan]) -> list[Spawn]:
    """Every spawn in the non-test files of one crate (``files``: path → scan), sorted by path and line."""
    return combine_spawns({path: file_spawns(path, sc) for path, sc in files.items()}, files.get)


def combine_spawns(files: Mapping[str, FileSpawns], scan_of: Callable[[str], Scan | None]) -> list[Spawn]:
    """A crate's spawns from its files' own (``files``: path → ``file_spawns``): theirs, plus the calls of
    wrapper functions, for which ``scan_of`` gives the scan of each file that calls one."""
    found: list[Spawn] = []
    wrappers: dict[str, int] = {}  # function name → index of the parameter that names the program
    for path in sorted(files):
        found.extend(files[path].spawns)
        wrappers.update(files[path].wrappers)
    if wrappers:
        parsed = [
            _File(path, sc)
            for path in sorted(files)
            if not wrappers.keys().isdisjoint(files[path].calls) and (sc := scan_of(path)) is not None
        ]
        found.extend(_wrapper_calls(parsed, wrappers))
    unique = {(s.path, s.line, s.program, s.env_var, s.via): s for s in found}
    return sorted(unique.values(), key=lambda s: (s.path, s.line, s.via, s.program or "", s.env_var or ""))


def _wrapper_calls(parsed: list[_File], wrappers: dict[str, int]) -> list[Spawn]:
    """Calls of functions that run the program they are given: ``run_tool("docker", &args)``,
    ``run_tool(&python(), …)`` (``python`` reading ``AO_PYTHON``)."""
    out: list[Spawn] = []
    for f in parsed:
        toks, match = f.sc.tokens, f.sc.match
        mask = f.sc.test_mask()
        for i, t in enumerate(toks[:-1]):
            if t.kind != IDENT or t.text not in wrappers or mask[i] or not toks[i + 1].is_punct("("):
                continue
            if (i > 0 and toks[i - 1].is_ident("fn")) or (i + 1) not in match:
                continue
            args = _split_args(toks[i + 2 : match[i + 1]])
            index = wrappers[t.text]
            if index < len(args):
                literal, env, _ = f.program_of(args[index], f.sc.fn_at(i), i)
                out.append(Spawn(f.path, t.line, literal, env, t.text))
    return out


def _split_args(toks: list[Token]) -> list[list[Token]]:
    parts: list[list[Token]] = [[]]
    depth = 0
    for t in toks:
        if t.kind == "punct" and t.text in "([{":
            depth += 1
        elif t.kind == "punct" and t.text in ")]}":
            depth -= 1
        if depth == 0 and t.is_punct(","):
            parts.append([])
        else:
            parts[-1].append(t)
    return parts
