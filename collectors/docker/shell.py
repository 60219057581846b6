"""What a ``RUN`` does, read from its shell text: package installs (apt-get/apt, apk, yum/dnf/microdnf,
pip, npm) with their packages, version pins and cache handling, removals, cache cleanup, and remote
scripts piped into a shell.

The command line is read by the bash grammar (``anops_policy.syntax.shell``): every simple command of its
lists, pipelines, groups and command substitutions, in order, with redirections apart from the words; this
module looks through ``sh -c '…'``, ``sudo``/``env`` and leading ``VAR=value`` assignments. Where the grammar
meets a syntax error, the commands it recovered are still read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from anops_policy.syntax.shell import Group, Script, parse

SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh", "ksh"})
_WRAPPERS = frozenset({"sudo", "env", "command", "exec", "time", "nice", "nohup", "eval"})
_ASSIGN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_PIPE_SUBST = re.compile(r"(?:\$\(|`|<\()\s*(?:curl|wget)\b")
_PIP = re.compile(r"^pip(?:\d+(?:\.\d+)?)?$")
_PYTHON = re.compile(r"^python(?:\d+(?:\.\d+)?)?$")

# option -> takes a separate argument, per manager (flags not listed take none)
_APT_ARG_OPTS = frozenset(
    {"-o", "--option", "-t", "--target-release", "--default-release", "-c", "--config-file"}
)
_APK_ARG_OPTS = frozenset(
    {
        "-X",
        "--repository",
        "-t",
        "--virtual",
        "-p",
        "--root",
        "--arch",
        "--keys-dir",
        "--repositories-file",
        "--cache-dir",
        "--cache-max-age",
    }
)
_RPM_ARG_OPTS = frozenset(
    {
        "-c",
        "--config",
        "--installroot",
        "--releasever",
        "--repo",
        "--repoid",
        "--enablerepo",
        "--disablerepo",
        "-x",
        "--exclude",
        "--setopt",
        "--downloaddir",
        "--destdir",
    }
)
_PIP_ARG_OPTS = frozenset(
    {
        "-r",
        "--requirement",
        "-c",
        "--constraint",
        "-e",
        "--editable",
        "-i",
        "--index-url",
        "--extra-index-url",
        "-f",
        "--find-links",
        "-t",
        "--target",
        "--prefix",
        "--root",
        "--trusted-host",
        "--platform",
        "--python-version",
        "--implementation",
        "--abi",
        "--only-binary",
        "--no-binary",
        "--progress-bar",
        "--src",
        "--upgrade-strategy",
        "--cache-dir",
        "-w",
        "--wheel-dir",
        "-d",
        "--dest",
        "--global-option",
        "--config-settings",
        "-C",
        "--report",
        "--log",
        "--proxy",
        "--retries",
        "--timeout",
        "--exists-action",
        "--cert",
        "--client-cert",
        "--root-user-action",
        "--python",
        "--use-feature",
        "--use-deprecated",
    }
)
_NPM_ARG_OPTS = frozenset(
    {"--cache", "--prefix", "--registry", "--omit", "--only", "--include", "-w", "--workspace"}
)

# Directories each manager leaves its cache in; removing one of them (or mounting a cache/tmpfs there)
# keeps the cache out of the layer.
CACHE_DIRS: dict[str, tuple[str, ...]] = {
    "apt": ("/var/lib/apt/lists", "/var/lib/apt"),
    "apk": ("/var/cache/apk", "/etc/apk/cache"),
    "rpm": ("/var/cache/yum", "/var/cache/dnf", "/var/cache/libdnf5"),
    "pip": (
        "/root/.cache/pip",
        "/root/.cache",
        "~/.cache/pip",
        "~/.cache",
        "$HOME/.cache/pip",
        "$HOME/.cache",
    ),
    "npm": ("/root/.npm", "~/.npm", "$HOME/.npm"),
}
_FAMILY = {
    "apt-get": "apt",
    "apt": "apt",
    "apk": "apk",
    "yum": "rpm",
    "dnf": "rpm",
    "microdnf": "rpm",
    "pip": "pip",
    "npm": "npm",
}


@dataclass
class Package:
    name: str
    version: str | None
    pinned: bool
    spec: str  # as written


@dataclass
class Install:
    manager: str  # apt-get | apt | apk | yum | dnf | microdnf | pip | npm
    line: int
    packages: list[Package] = field(default_factory=list)
    requirements: list[str] = field(default_factory=list)  # pip -r files
    local_sources: list[str] = field(default_factory=list)  # paths/wheels/archives installed from the image
    options: list[str] = field(default_factory=list)
    no_install_recommends: bool | None = None  # apt (and dnf's install_weak_deps=False); None elsewhere
    no_cache: bool = False  # the command itself avoids a cache (--no-cache-dir, apk --no-cache)
    virtual: str | None = None  # apk --virtual NAME
    lockfile: bool = False  # npm ci


@dataclass
class RunFacts:
    installs: list[Install] = field(default_factory=list)
    removed: set[str] = field(default_factory=set)  # packages (or apk virtual names) removed in this RUN
    apt_update_line: int | None = None
    cleanup: list[tuple[str, str]] = field(default_factory=list)  # (family, "rm /var/lib/apt/lists/*"), ...
    cleaned_dirs: set[str] = field(default_factory=set)
    pipe_to_shell: list[tuple[int, str]] = field(default_factory=list)
    inline_env: dict[str, str] = field(default_factory=dict)


def split_commands(script: str) -> list[tuple[list[str], str]]:
    """``[(argv, operator after it)]`` in the order the commands appear: pipelines, and-or lists, groups and
    the commands of substitutions, read by the bash grammar (redirections are not words)."""
    out: list[tuple[list[str], str]] = []
    _flatten(parse([(script, 1, True)]).script, out)
    return out


def _flatten(script: Script, out: list[tuple[list[str], str]]) -> None:
    for lst in script.lists:
        for index, pipe in enumerate(lst.pipelines):
            after = lst.ops[index] if index < len(lst.ops) else ";"
            for position, item in enumerate(pipe.items):
                op = "|" if position < len(pipe.items) - 1 else after
                if isinstance(item, Group):
                    _flatten(item.body, out)
                    continue
                if item.words:
                    out.append((item.words, op))
                for sub in item.substs:
                    _flatten(sub.script, out)


def _strip_prefix(argv: list[str], env: dict[str, str]) -> list[str]:
    """Drop leading VAR=value (recorded in ``env``), sudo/env/… wrappers and their options."""
    i = 0
    while i < len(argv):
        tok = argv[i]
        if _ASSIGN.match(tok):
            key, _, value = tok.partition("=")
            env[key] = value
        elif tok in _WRAPPERS or (tok.startswith("-") and i > 0 and argv[i - 1] in _WRAPPERS):
            pass
        else:
            break
        i += 1
    return argv[i:]


def program(argv: list[str]) -> str:
    return argv[0].rsplit("/", 1)[-1] if argv else ""


class RunAnalyzer:
    """Analyses one RUN's shell text. ``locate(word)`` maps a command word to its physical line."""

    def __init__(
        self,
        line: int,
        locate: Callable[[str], int | None] | None = None,
        stage_env: Mapping[str, str | None] | None = None,
    ) -> None:
        self.line = line
        self._locate = locate
        self.stage_env = {k: v for k, v in (stage_env or {}).items() if v is not None}
        self.facts = RunFacts()

    def line_of(self, word: str) -> int:
        found = self._locate(word) if self._locate is not None else None
        return found if found is not None else self.line

    def analyse(self, script: str, depth: int = 0) -> RunFacts:
        if depth > 3:
            return self.facts
        commands = split_commands(script)
        for index, (raw_argv, op) in enumerate(commands):
            env: dict[str, str] = {}
            argv = _strip_prefix(raw_argv, env)
            self.facts.inline_env.update(env)
            if not argv:
                continue
            prog = program(argv)
            if prog in SHELLS and "-c" in argv[1:]:
                pos = argv.index("-c", 1)
                if pos + 1 < len(argv):
                    inner = argv[pos + 1]
                    if _PIPE_SUBST.search(inner):
                        self.facts.pipe_to_shell.append((self.line_of(prog), inner[:200]))
                    self.analyse(inner, depth + 1)
                continue
            if prog in {"curl", "wget"} and op == "|" and index + 1 < len(commands):
                nxt = _strip_prefix(commands[index + 1][0], {})
                if nxt and (program(nxt) in SHELLS or _PYTHON.match(program(nxt))):
                    self.facts.pipe_to_shell.append((self.line_of(prog), " ".join([*argv, "|", *nxt])[:200]))
            self._command(prog, argv, env)
        if _PIPE_SUBST.search(script) and depth == 0:
            for match in re.finditer(r"(?:bash|sh|zsh)\s+<\(\s*(?:curl|wget)[^)]*\)", script):
                self.facts.pipe_to_shell.append((self.line_of("<("), match.group(0)[:200]))
        return self.facts

    # ---- one command ------------------------------------------------------------------------------
    def _command(self, prog: str, argv: list[str], env: dict[str, str]) -> None:
        args = argv[1:]
        if _PYTHON.match(prog) and len(args) >= 2 and args[0] == "-m" and _PIP.match(args[1]):
            self._pip(args[1], args[2:], env)
        elif _PIP.match(prog):
            self._pip(prog, args, env)
        elif prog in {"apt-get", "apt", "aptitude"}:
            self._apt(prog, args)
        elif prog == "apk":
            self._apk(args)
        elif prog in {"yum", "dnf", "microdnf"}:
            self._rpm(prog, args)
        elif prog == "npm":
            self._npm(args)
        elif prog == "rm":
            for target in (a for a in args if not a.startswith("-")):
                self._cleaned(target, f"rm {target}")

    def _cleaned(self, target: str, label: str) -> None:
        path = target.rstrip("*").rstrip("/") or target
        for fam, dirs in CACHE_DIRS.items():
            if any(_covers(path, d) for d in dirs):
                self.facts.cleaned_dirs.add(path)
                self.facts.cleanup.append((fam, label))

    @staticmethod
    def _operands(args: list[str], arg_opts: frozenset[str]) -> tuple[list[str], list[str], dict[str, str]]:
        """(operands, flags, option values) of a command line."""
        operands: list[str] = []
        flags: list[str] = []
        values: dict[str, str] = {}
        i = 0
        while i < len(args):
            tok = args[i]
            if tok.startswith("-") and tok != "-":
                name, eq, value = tok.partition("=")
                flags.append(name)
                if eq:
                    values[name] = value
                elif name in arg_opts and i + 1 < len(args):
                    values[name] = args[i + 1]
                    i += 1
            else:
                operands.append(tok)
            i += 1
        return operands, flags, values

    def _apt(self, prog: str, args: list[str]) -> None:
        operands, flags, values = self._operands(args, _APT_ARG_OPTS)
        if not operands:
            return
        sub, rest = operands[0], operands[1:]
        line = self.line_of(prog)
        if sub == "update":
            self.facts.apt_update_line = self.facts.apt_update_line or line
        elif sub in {"clean", "autoclean"}:
            self.facts.cleanup.append(("apt", f"{prog} {sub}"))
        elif sub in {"remove", "purge", "autoremove"}:
            self.facts.removed.update(_apt_name(p) for p in rest)
        elif sub in {"install", "reinstall"}:
            options = [f"-o {v}" if f in {"-o", "--option"} else f for f, v in _with_values(flags, values)]
            recommends_off = "--no-install-recommends" in flags or any(
                re.match(r"(?i)APT::Install-Recommends=(false|0|no)$", v) for v in values.values()
            )
            inst = Install(
                manager=prog, line=line, options=sorted(set(options)), no_install_recommends=recommends_off
            )
            for spec in rest:
                if spec.startswith(("./", "/")) or spec.endswith(".deb"):
                    inst.local_sources.append(spec)
                    continue
                name, sep, version = spec.partition("=")
                inst.packages.append(Package(_apt_name(name), version or None, bool(sep and version), spec))
            self.facts.installs.append(inst)

    def _apk(self, args: list[str]) -> None:
        operands, flags, values = self._operands(args, _APK_ARG_OPTS)
        if not operands:
            return
        sub, rest = operands[0], operands[1:]
        if sub == "del":
            self.facts.removed.update(rest)
        elif sub == "cache" and rest[:1] in (["clean"], ["purge"]):
            self.facts.cleanup.append(("apk", f"apk cache {rest[0]}"))
            self.facts.cleaned_dirs.add("/var/cache/apk")
        elif sub == "add":
            inst = Install(manager="apk", line=self.line_of("apk"), options=sorted(set(flags)))
            inst.no_cache = "--no-cache" in flags
            inst.virtual = values.get("--virtual") or values.get("-t")
            for spec in rest:
                match = re.match(r"^([^=<>~]+)(=|~|>=|<=|>|<)?(.*)$", spec)
                name, op, version = (
                    (match.group(1), match.group(2), match.group(3)) if match else (spec, None, "")
                )
                inst.packages.append(Package(name, version or None, op in {"=", "~"} and bool(version), spec))
            self.facts.installs.append(inst)

    def _rpm(self, prog: str, args: list[str]) -> None:
        operands, flags, values = self._operands(args, _RPM_ARG_OPTS)
        if not operands:
            return
        sub, rest = operands[0], operands[1:]
        if sub == "clean":
            self.facts.cleanup.append(("rpm", f"{prog} clean {' '.join(rest)}".strip()))
            if "all" in rest or "packages" in rest or "metadata" in rest:
                self.facts.cleaned_dirs.add(f"/var/cache/{'yum' if prog == 'yum' else 'dnf'}")
        elif sub in {"remove", "erase", "autoremove"}:
            self.facts.removed.update(rest)
        elif sub in {"install", "groupinstall", "group"}:
            if sub == "group":
                if not rest or rest[0] != "install":
                    return
                rest = ["@" + " ".join(rest[1:])]
            elif sub == "groupinstall":
                rest = ["@" + " ".join(rest)]
            setopts = [v for f, v in _with_values(flags, values) if f == "--setopt"]
            weak_off = any(re.match(r"(?i)install_weak_deps=(false|0|no)$", v) for v in setopts)
            inst = Install(
                manager=prog,
                line=self.line_of(prog),
                options=sorted(set(flags)),
                no_install_recommends=weak_off,
            )
            for spec in rest:
                match = re.match(r"^(.+?)-(\d[\w.:+~-]*)$", spec)
                if match:
                    inst.packages.append(Package(match.group(1), match.group(2), True, spec))
                else:
                    inst.packages.append(Package(spec, None, False, spec))
            self.facts.installs.append(inst)

    def _pip(self, prog: str, args: list[str], env: dict[str, str]) -> None:
        operands, flags, values = self._operands(args, _PIP_ARG_OPTS)
        if not operands:
            return
        sub, rest = operands[0], operands[1:]
        if sub == "cache" and rest[:1] in (["purge"], ["remove"]):
            self.facts.cleanup.append(("pip", f"pip cache {rest[0]}"))
            self.facts.cleaned_dirs.add("/root/.cache/pip")
            return
        if sub != "install":
            return
        no_cache_env = "PIP_NO_CACHE_DIR" in env or "PIP_NO_CACHE_DIR" in self.stage_env
        inst = Install(manager="pip", line=self.line_of(prog), options=sorted(set(flags)))
        inst.no_cache = "--no-cache-dir" in flags or no_cache_env
        inst.requirements = sorted(v for f, v in _with_values(flags, values) if f in {"-r", "--requirement"})
        if "-e" in values or "--editable" in values:
            rest = [*rest, values.get("-e") or values.get("--editable") or ""]
        for spec in (s for s in rest if s):
            if (
                spec.startswith((".", "/", "~", "$"))
                or spec.endswith((".whl", ".tar.gz", ".zip"))
                or "*" in spec
            ):
                inst.local_sources.append(spec)
                continue
            if "://" in spec or spec.startswith("git+"):
                inst.packages.append(Package(spec, None, False, spec))
                continue
            match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*(.*)$", spec)
            name, version_spec = (match.group(1), match.group(3)) if match else (spec, "")
            pinned = bool(re.match(r"^===?\s*[^*,;\s]+$", version_spec)) and not version_spec.endswith(".*")
            version = re.sub(r"^===?\s*", "", version_spec) if pinned else (version_spec or None)
            inst.packages.append(Package(name, version, pinned, spec))
        self.facts.installs.append(inst)

    def _npm(self, args: list[str]) -> None:
        operands, flags, _ = self._operands(args, _NPM_ARG_OPTS)
        if not operands:
            return
        sub, rest = operands[0], operands[1:]
        if sub == "cache" and rest[:1] == ["clean"]:
            self.facts.cleanup.append(("npm", "npm cache clean"))
            self.facts.cleaned_dirs.add("/root/.npm")
        elif sub in {"uninstall", "remove", "rm", "un"}:
            self.facts.removed.update(rest)
        elif sub in {"install", "i", "add", "ci", "isntall", "in"}:
            inst = Install(manager="npm", line=self.line_of("npm"), options=sorted(set(flags)))
            inst.lockfile = sub == "ci"
            for spec in rest:
                if spec.startswith((".", "/", "~")) or spec.endswith((".tgz", ".tar.gz")):
                    inst.local_sources.append(spec)
                    continue
                at = spec.rfind("@")
                name, version = (spec[:at], spec[at + 1 :]) if at > 0 else (spec, "")
                pinned = bool(re.match(r"^\d+\.\d+\.\d+(?:[-+][\w.-]+)?$", version))
                inst.packages.append(Package(name, version or None, pinned, spec))
            self.facts.installs.append(inst)


def _with_values(flags: list[str], values: dict[str, str]) -> list[tuple[str, str]]:
    return [(f, values.get(f, "")) for f in flags]


def _apt_name(spec: str) -> str:
    """``pkg=1.0``, ``pkg/bookworm-backports`` and ``pkg:amd64`` → ``pkg``."""
    return re.split(r"[=/]", spec, maxsplit=1)[0].split(":", 1)[0]


def family(manager: str) -> str:
    return _FAMILY.get(manager, manager)


def cache_cleared(family_name: str, facts: RunFacts, mounts: list[str]) -> bool:
    """The manager's cache does not stay in this RUN's layer: removed, or a cache/tmpfs mount there."""
    dirs = CACHE_DIRS.get(family_name, ())
    removed = [*facts.cleaned_dirs, *(m.rstrip("/") or "/" for m in mounts)]
    return any(_covers(c, d) for c in removed for d in dirs)


def _covers(parent: str, path: str) -> bool:
    return path == parent or path.startswith(parent.rstrip("/") + "/")


def cleanup_for(family_name: str, facts: RunFacts, mounts: list[str]) -> list[str]:
    """What in this RUN keeps ``family_name``'s cache out of the layer (labels, sorted)."""
    labels = {label for fam, label in facts.cleanup if fam == family_name}
    dirs = CACHE_DIRS.get(family_name, ())
    labels.update(f"cache mount {m}" for m in mounts if any(_covers(m.rstrip("/") or "/", d) for d in dirs))
    return sorted(labels)
