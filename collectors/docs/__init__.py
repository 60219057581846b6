"""``docs``: what the repository's documentation says and whether it still matches the code.

* READMEs (root and per directory; ``README.md``/``README.rst``/``README``…): heading tree, fenced code
  blocks with their language and commands, sections recognised as onboarding / development / testing /
  contributing, whether the README tells how to run the tests (a test command in a code block) and what
  to expect (expectation words in the same section as that command).
* Plan documents (``docs.action_plan`` of the config, else ``ACTIONPLAN.md``; plus
  ``collect.options.docs.plans``): last commit that touched them, how many days they lag behind the
  newest code commit, open/closed checklist items, a declared "Last updated: DATE", and references to
  repository paths and CLI subcommands that do not exist, or release-critical subcommands never mentioned.
* Broken relative links in every Markdown file.

Options (``collect.options.docs``): ``plans: [paths or globs]`` — more plan documents to analyse.
"""

from __future__ import annotations

import posixpath
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from anops_policy.collectors.docs.markdown import CodeBlock, Document, Heading, MissingDependency, parse
from anops_policy.collectors.source.comment_lexer import comment_spans

from anops_policy.collection.collector import CollectContext
from anops_policy.collection.repo import GitError
from anops_policy.errors import CollectorFailed
from anops_policy.validation import suggest

README = re.compile(r"(?i)^readme(?:\.(md|markdown|rst|txt))?$")
MARKDOWN_SUFFIXES = (".md", ".markdown")
DEFAULT_PLANS = ("ACTIONPLAN.md", "ACTION_PLAN.md", "ACTION-PLAN.md")
DOC_PATTERNS = ("*.md", "*.markdown", "*.rst", "*.adoc", "*.txt", "docs/**", "doc/**",
                "LICENSE*", "COPYING*", "NOTICE*", "AUTHORS*", "CHANGELOG*")
CATEGORIES = {
    "onboarding": re.compile(
        r"\b(getting started|get started|quick ?start|onboarding|set ?up|install(?:ation|ing)?|"
        r"prerequisites|requirements|first steps)\b", re.I),
    "development": re.compile(
        r"\b(develop(?:ment|ing|ers?)?|hacking|build(?:ing)?|running locally|local (?:setup|development)|"
        r"working on)\b", re.I),
    "testing": re.compile(r"\b(tests?|testing|test suite)\b", re.I),
    "contributing": re.compile(r"\b(contribut(?:e|ing|ion|ions|ors)|pull requests?|code of conduct)\b", re.I),
}
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
EXPECT = re.compile(
    r"\b(expect(?:s|ed|ation|ations)?|should\s+(?:all\s+)?(?:pass|succeed|see|print|show|report|output|end|"
    r"finish|take|fail|be green)|you(?:'ll|\s+will)\s+see|outputs?|prints?|passe[sd]|[0-9]+\s+passed|"
    r"succeed(?:s|ed)?|exit\s+(?:code|status)|green)\b", re.I)
LAST_UPDATED = re.compile(
    r"(?i)(?<![a-z])(?:last\s+(?:updated|modified|reviewed|revised)|updated(?:\s+on)?|as\s+of)(?![a-z])"
    r"[\s*_]*[:\-–—]?[\s*_]*(\d{4}-\d{2}-\d{2})(?!\d)")
PATHLIKE = re.compile(r"^(?:\./)?\.?[\w+-][\w.+-]*(?:/[\w.+-]+)*/?$")
FILE_EXTENSIONS = frozenset({
    "md", "markdown", "rst", "txt", "adoc", "rs", "py", "pyi", "toml", "json", "yaml", "yml", "proto", "cfg",
    "ini", "lock", "sh", "bash", "go", "js", "mjs", "cjs", "ts", "tsx", "jsx", "c", "h", "cc", "cpp", "hpp",
    "java", "kt", "rb", "php", "cs", "swift", "sql", "html", "css", "scss", "xml", "csv", "env", "conf", "tf",
    "hcl", "mk",
})
BARE_FILE_NAMES = frozenset({"Dockerfile", "Containerfile", "Makefile", "Justfile", "Procfile", "Vagrantfile"})
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
MAX_ITEMS = 500
# Largest README / action plan parsed: real ones are tens of KB, and markdown-it parses hostile text at
# ~200 KB/s of CPU. collect.options.docs.max_file_bytes raises it.
MAX_DOC_BYTES = 512 * 1024


@dataclass
class Cli:
    component: str
    binaries: list[str]
    commands: dict[str, str] = field(default_factory=dict)  # command -> "config" | "source"


class DocsCollector:
    name = "docs"
    version = "1"
    depends_on: tuple[str, ...] = ("layout",)

    def collect(self, ctx: CollectContext) -> dict[str, Any]:
        plans_option = _options(ctx.options("docs"))
        layout: Mapping[str, Any] = ctx.facts.get("layout") or {}
        files = ctx.files()
        tree = _Tree(ctx, files)
        docs_config = {str(k): str(v) for k, v in (layout.get("docs") or ctx.config.docs).items()}
        components: list[Mapping[str, Any]] = list(layout.get("components") or [])
        clis = _clis(ctx, components, tree)

        parsed: dict[str, Document | None] = {}

        def load(path: str) -> Document | None:
            if path not in parsed:
                parsed[path] = _load(ctx, path)
            return parsed[path]

        readme_paths = [p for p in files if README.match(p.rsplit("/", 1)[-1])]
        readmes: dict[str, dict[str, Any]] = {}
        for path in readme_paths:
            doc = load(path)
            if doc is not None:
                readmes[path] = _readme_facts(path, doc, components, clis, tree)
        root_path = docs_config.get("readme") or next(
            (p for name in ("README.md", "README.rst", "README", "README.markdown", "README.txt")
             for p in readme_paths if p.lower() == name.lower()), "README.md")
        readme = readmes.get(root_path) or _absent_readme(root_path)

        history = _History(ctx)
        plan_paths = _plan_paths(ctx, docs_config, plans_option, tree)
        plans = {path: _plan_facts(ctx, path, load(path) if tree.is_file(path) else None, clis, tree, history)
                 for path in plan_paths}
        main_plan = plan_paths[0]

        links = _links([p for p in files if p.lower().endswith(MARKDOWN_SUFFIXES) or
                             (README.match(p.rsplit("/", 1)[-1]) and "." not in p.rsplit("/", 1)[-1])],
                       load, tree)
        component_readmes: dict[str, str] = {}
        for comp in components:
            base = str(comp.get("path", "")).strip("/")
            found = next((p for p in readme_paths if posixpath.dirname(p) == base and p in readmes), None)
            if found:
                component_readmes[str(comp.get("name"))] = found
        section: dict[str, Any] = {
            "readme": readme,
            "readmes": readmes,
            "component_readmes": component_readmes,
            "components_without_readme": sorted(
                str(c.get("name")) for c in components if str(c.get("name")) not in component_readmes),
            "action_plan": plans[main_plan],
            "plans": plans,
            "clis": {c.component: {"binaries": c.binaries, "commands": dict(sorted(c.commands.items()))}
                     for c in clis},
            "links": links,
            "counts": {
                "readmes": len(readmes),
                "plans_present": sum(1 for p in plans.values() if p["present"]),
                "broken_links": len(links["broken"]),
            },
        }
        code_time = history.code_last_commit_time()
        if code_time is not None:
            section["code_last_commit_time"] = _iso(code_time)
        return section


# ---- options and files ------------------------------------------------------------------------------


def _options(raw: Mapping[str, Any]) -> list[str]:
    known = ["plans", "max_file_bytes"]
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise CollectorFailed(f"collect.options.docs: unknown option '{unknown[0]}'{suggest(unknown[0], known)}")
    plans = raw.get("plans", [])
    if not isinstance(plans, list) or not all(isinstance(p, str) for p in plans):
        raise CollectorFailed("collect.options.docs.plans must be a list of paths or globs")
    return [str(p) for p in plans]


class _Tree:
    """The listing as sets, for existence checks of referenced paths (no file is read)."""

    def __init__(self, ctx: CollectContext, files: Sequence[str]) -> None:
        self.ctx = ctx
        self.files = set(files)
        self.dirs: set[str] = {""}
        self.basenames: set[str] = set()
        for path in files:
            self.basenames.add(path.rsplit("/", 1)[-1])
            parts = path.split("/")
            for i in range(1, len(parts)):
                self.dirs.add("/".join(parts[:i]))
        # every "/"-aligned suffix of a listed path: ends_with() is a look-up, not a scan of the listing
        # per mention (a document naming 100,000 paths in a large tree would otherwise be quadratic)
        self.suffixes: set[str] = set()
        for path in (*self.files, *self.dirs):
            parts = path.split("/")
            self.suffixes.update("/".join(parts[i:]) for i in range(len(parts)))

    def is_file(self, path: str) -> bool:
        return path in self.files

    def exists(self, path: str) -> bool:
        path = path.strip("/")
        if path in self.files or path in self.dirs:
            return True
        # ignored or excluded but present (a build output a doc links to): check the disk, inside the root
        candidate = self.ctx.repo.root / path
        try:
            real = candidate.resolve()
        except (OSError, RuntimeError):
            return False
        return (real == self.ctx.repo.root or self.ctx.repo.root in real.parents) and candidate.exists()

    def ends_with(self, suffix: str) -> bool:
        return suffix.strip("/") in self.suffixes


def _load(ctx: CollectContext, path: str) -> Document | None:
    limit = ctx.options("docs").get("max_file_bytes", MAX_DOC_BYTES)
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1024:
        raise CollectorFailed("collect.options.docs.max_file_bytes must be an integer of at least 1024")
    text = ctx.read_text(path, max_bytes=limit)
    if text is None:
        return None
    fmt = "rst" if path.lower().endswith(".rst") else "markdown"
    try:
        return parse(text, fmt)
    except MissingDependency as exc:
        raise CollectorFailed(str(exc)) from None
    except Exception as exc:  # one odd document must not cost the whole section
        ctx.skip(path, f"could not parse as {fmt}: {type(exc).__name__}: {exc}"[:300])
        return None


# ---- READMEs ----------------------------------------------------------------------------------------


def _absent_readme(path: str) -> dict[str, Any]:
    return {
        "present": False, "path": path, "headings": [], "code_blocks": [], "sections": _no_sections(),
        "has_section": dict.fromkeys(CATEGORIES, False), "test_commands": [],
        "tells_how_to_run_tests": False, "tells_what_to_expect": False,
        "references": {"missing_paths": [], "unknown_commands": [], "paths": [], "commands": []},
    }


def _no_sections() -> dict[str, list[dict[str, Any]]]:
    return {name: [] for name in CATEGORIES}


def _readme_facts(
    path: str, doc: Document, components: Sequence[Mapping[str, Any]], clis: Sequence[Cli], tree: _Tree
) -> dict[str, Any]:
    binaries = frozenset(b for cli in clis for b in cli.binaries)
    headings = []
    sections = _no_sections()
    for h in doc.headings:
        cats = [name for name, rx in CATEGORIES.items() if rx.search(h.text)]
        headings.append({"path": path, "line": h.line, "level": h.level, "text": h.text, "categories": cats})
        for name in cats:
            sections[name].append({"path": path, "line": h.line, "level": h.level, "text": h.text})
    blocks = []
    test_commands: list[dict[str, Any]] = []
    for block in doc.code_blocks:
        commands = _commands(block, binaries)
        blocks.append({
            "path": path, "line": block.line, "end_line": block.end_line, "language": block.language,
            "section": _section_of(doc.headings, block.line),
            "commands": [{"path": path, "line": line, "text": text} for line, text in commands],
        })
        for line, text in commands:
            tool = _test_tool(text)
            if tool:
                test_commands.append({"path": path, "line": line, "command": text, "tool": tool,
                                      "section": _section_of(doc.headings, line)})
    expectation = _expectation(doc, test_commands)
    component = next((str(c.get("name")) for c in components
                      if str(c.get("path", "")).strip("/") == posixpath.dirname(path)), None)
    facts: dict[str, Any] = {
        "present": True,
        "path": path,
        "line": 1,
        "format": doc.format,
        "headings": headings,
        "code_blocks": blocks,
        "sections": sections,
        "has_section": {name: bool(found) for name, found in sections.items()},
        "test_commands": test_commands,
        "tells_how_to_run_tests": bool(test_commands),
        "tells_what_to_expect": expectation is not None,
        "references": _references(path, doc, clis, tree),
    }
    title = next((h.text for h in doc.headings if h.level == 1), None)
    if title is not None:
        facts["title"] = title
    if component is not None:
        facts["component"] = component
    if expectation is not None:
        facts["expectation"] = expectation
    return facts


def _section_of(headings: Sequence[Heading], line: int) -> str:
    current = ""
    for h in headings:
        if h.line > line:
            break
        current = h.text
    return current


def _commands(block: CodeBlock, binaries: frozenset[str] = frozenset()) -> list[tuple[int, str]]:
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


def _test_tool(command: str) -> str | None:
    for segment in re.split(r"&&|\|\||;|\|", command):
        if INSTALLER.match(segment):
            continue
        for tool, rx in TEST_TOOLS:
            if rx.search(segment):
                return tool
    return None


def _expectation(doc: Document, test_commands: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """The first expectation in the section of a test command: the innermost heading above the command
    and everything up to the next heading of the same or a higher level (subsections included). Prose,
    and code-block lines other than the test commands themselves (comments, shown output), count."""
    if not test_commands:
        return None
    command_lines = {int(c["line"]) for c in test_commands}
    code_rows = [(line, text) for block in doc.code_blocks for line, text in block.lines]
    rows = sorted([*doc.prose, *code_rows])
    for command in test_commands:
        start, end = _scope(doc.headings, int(command["line"]))
        for line, text in rows:
            if not start <= line < end:
                continue
            probe = text
            if line in command_lines:  # a test command line: only its trailing comment may say what to expect
                probe = " ".join(text[s:e] for s, e in comment_spans(text, "shell"))
            m = EXPECT.search(probe)
            if m:
                return {"path": command["path"], "line": line, "text": text.strip()[:200], "word": m.group(1)}
    return None


def _scope(headings: Sequence[Heading], line: int) -> tuple[int, int]:
    owner: Heading | None = None
    for h in headings:
        if h.line > line:
            break
        owner = h
    if owner is None:
        first = headings[0].line if headings else 1 << 30
        return 1, first
    end = next((h.line for h in headings if h.line > owner.line and h.level <= owner.level), 1 << 30)
    return owner.line, end


# ---- references to paths and CLI subcommands --------------------------------------------------------


def _clis(ctx: CollectContext, components: Sequence[Mapping[str, Any]], tree: _Tree) -> list[Cli]:
    """Per component: the executables it builds (config ``binary``, Cargo ``[[bin]]``/package name,
    pyproject ``[project.scripts]``) and its known subcommands (config ``commands``, plus those declared
    in Rust sources: clap ``#[derive(Subcommand)]`` variants, ``Command::new("x")``; Python
    ``add_parser("x")``)."""
    out: list[Cli] = []
    for comp in components:
        base = str(comp.get("path", "")).strip("/")
        prefix = base + "/" if base else ""
        binaries: list[str] = []
        declared = comp.get("binary") or comp.get("binaries")
        if isinstance(declared, str):
            binaries.append(declared)
        elif isinstance(declared, list):
            binaries.extend(str(b) for b in declared)
        binaries.extend(_manifest_binaries(ctx, prefix, tree))
        if not binaries:
            continue
        cli = Cli(str(comp.get("name")), sorted(set(binaries)))
        for command in _source_commands(ctx, prefix, tree):
            cli.commands[command] = "source"
        for command in comp.get("commands") or []:
            cli.commands[str(command)] = "config"
        cli.commands.setdefault("help", "source")
        out.append(cli)
    return sorted(out, key=lambda c: c.component)


def _manifest_binaries(ctx: CollectContext, prefix: str, tree: _Tree) -> list[str]:
    found: list[str] = []
    cargo = prefix + "Cargo.toml"
    if tree.is_file(cargo):
        data = _toml(ctx, cargo)
        bins = [str(b.get("name")) for b in data.get("bin", []) if isinstance(b, dict) and b.get("name")]
        package = data.get("package", {}).get("name") if isinstance(data.get("package"), dict) else None
        if not bins and package and tree.is_file(prefix + "src/main.rs"):
            bins = [str(package)]
        found.extend(bins)
    pyproject = prefix + "pyproject.toml"
    if tree.is_file(pyproject):
        scripts = _toml(ctx, pyproject).get("project", {}).get("scripts", {})
        if isinstance(scripts, dict):
            found.extend(str(k) for k in scripts)
    return found


def _toml(ctx: CollectContext, path: str) -> dict[str, Any]:
    text = ctx.read_text(path)
    if text is None:
        return {}
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        ctx.skip(path, f"invalid TOML: {exc}"[:300])
        return {}
    except RecursionError:  # tomllib recurses per nesting level
        ctx.skip(path, "TOML nested too deeply to read")
        return {}


_DERIVE_SUBCOMMAND = re.compile(r"#\[derive\([^)]*\bSubcommand\b[^)]*\)\]")
_ENUM = re.compile(r"\benum\s+\w+\s*(?:<[^>]*>)?\s*\{")
_NAMED = re.compile(r"\b(?:Command::new|SubCommand::with_name|add_parser)\(\s*[\"']([\w-]+)[\"']")
_RENAME = re.compile(r"\bname\s*=\s*\"([\w-]+)\"")


def _source_commands(ctx: CollectContext, prefix: str, tree: _Tree) -> set[str]:
    commands: set[str] = set()
    for path in sorted(tree.files):
        if not path.startswith(prefix) or not path.endswith((".rs", ".py")) or "/tests/" in "/" + path[len(prefix):]:
            continue
        text = ctx.read_text(path)
        if text is None or ("Subcommand" not in text and "Command::new" not in text and "add_parser" not in text):
            continue
        language = "rust" if path.endswith(".rs") else "python"
        blanked = _blank_comments(text, language)
        commands.update(m.group(1) for m in _NAMED.finditer(blanked))
        if language == "rust":
            for derive in _DERIVE_SUBCOMMAND.finditer(blanked):
                enum = _ENUM.search(blanked, derive.end())
                if enum is not None:
                    commands.update(_variants(blanked, enum.end()))
    return commands


def _blank_comments(text: str, language: str) -> str:
    chars = list(text)
    for s, e in comment_spans(text, language):
        for i in range(s, e):
            if chars[i] != "\n":
                chars[i] = " "
    return "".join(chars)


def _variants(text: str, i: int) -> list[str]:
    """Variant names of the enum body starting at ``i`` as clap names them (kebab-case, or a
    ``#[command(name = "…")]`` rename)."""
    names: list[str] = []
    depth = 0
    rename: str | None = None
    expect_variant = True
    n = len(text)
    while i < n:
        c = text[i]
        if c == "#" and text.startswith("#[", i):
            j, level = i + 2, 1
            while j < n and level:
                level += {"[": 1, "]": -1}.get(text[j], 0)
                j += 1
            if depth == 0:
                m = _RENAME.search(text[i:j])
                rename = m.group(1) if m and "command" in text[i:j] else rename
            i = j
            continue
        if c in "{(":
            depth += 1
        elif c in "})":
            if depth == 0:
                break
            depth -= 1
        elif c == "," and depth == 0:
            expect_variant = True
        elif depth == 0 and expect_variant and (c.isalpha() or c == "_"):
            m = re.match(r"\w+", text[i:])
            assert m is not None
            word = m.group()
            names.append(rename or re.sub(r"(?<!^)(?=[A-Z])", "-", word).lower())
            rename = None
            expect_variant = False
            i += len(word)
            continue
        i += 1
    return names


def _references(path: str, doc: Document, clis: Sequence[Cli], tree: _Tree) -> dict[str, Any]:
    """Backticked repository paths and ``<binary> <subcommand>`` uses in inline code and code blocks."""
    base = posixpath.dirname(path)
    paths: list[dict[str, Any]] = []
    for line, code in doc.inline_code:
        target = code.strip()
        if not _looks_like_path(target, tree, base):
            continue
        exists = any(tree.exists(p) for p in _candidates(target, base)) or (
            "/" not in target.strip("/") and target in tree.basenames
        ) or ("/" in target.strip("/") and tree.ends_with(target))
        paths.append({"path": path, "line": line, "target": target, "exists": exists})
    commands: list[dict[str, Any]] = []
    binaries = frozenset(b for cli in clis for b in cli.binaries)
    snippets = [*doc.inline_code, *(c for block in doc.code_blocks for c in _commands(block, binaries))]
    for cli in clis:
        for binary in cli.binaries:
            rx = re.compile(r"(?:^|[\s;&|(`$])(?:\./)?(?:target/\w+/)?" + re.escape(binary) + r"\s+([a-z][\w-]*)")
            for line, text in snippets:
                for m in rx.finditer(text):
                    command = m.group(1)
                    commands.append({
                        "path": path, "line": line, "text": text.strip()[:200], "component": cli.component,
                        "binary": binary, "command": command, "known": command in cli.commands,
                    })
    paths.sort(key=lambda r: (r["line"], r["target"]))
    commands.sort(key=lambda r: (r["line"], r["binary"], r["command"]))
    return {
        "paths": paths[:MAX_ITEMS],
        "missing_paths": [r for r in paths if not r["exists"]][:MAX_ITEMS],
        "commands": commands[:MAX_ITEMS],
        "unknown_commands": [r for r in commands if not r["known"]][:MAX_ITEMS],
    }


def _looks_like_path(text: str, tree: _Tree, base: str) -> bool:
    """A code span is taken for a repository path when it has no spaces or scheme and either ends in
    a file extension we know / is a well-known file name, or contains a slash and ends in some
    extension or ``/``, or starts with a directory that exists (so ``text/plain`` and image names like
    ``anops/api-service`` are not paths, ``ao-cli/src/deploy.rs`` is)."""
    if not PATHLIKE.match(text) or text.startswith("-") or "://" in text:
        return False
    stripped = text.removeprefix("./").strip("/")
    name = stripped.rsplit("/", 1)[-1]
    ext = name.rsplit(".", 1)[1] if "." in name.lstrip(".") else ""
    if "/" not in stripped:
        return ext.lower() in FILE_EXTENSIONS or name in BARE_FILE_NAMES or (
            text.endswith("/") and tree.exists(stripped))
    if text.endswith("/") or re.fullmatch(r"[A-Za-z][\w-]{0,9}", ext or "-"):
        return True
    first = stripped.split("/", 1)[0]
    return tree.exists(first) or tree.exists(posixpath.join(base, first))


def _candidates(target: str, base: str) -> list[str]:
    target = target.removeprefix("./")
    out = [posixpath.normpath(posixpath.join(base, target))] if base else []
    out.append(posixpath.normpath(target))
    return [p for p in out if not p.startswith("..")]


# ---- plans ------------------------------------------------------------------------------------------


def _plan_paths(ctx: CollectContext, docs_config: Mapping[str, str], extra: Sequence[str], tree: _Tree) -> list[str]:
    configured = docs_config.get("action_plan")
    if configured:
        main = configured.strip("/")
    else:
        lower = {p.lower(): p for p in tree.files if "/" not in p}
        main = next((lower[n.lower()] for n in DEFAULT_PLANS if n.lower() in lower), DEFAULT_PLANS[0])
    paths = [main]
    for entry in extra:
        matches = ctx.glob([entry]) if any(ch in entry for ch in "*?[") else [entry.strip("/")]
        paths.extend(p for p in matches if p not in paths)
    return paths


class _History:
    """Commit times from git (None without git or history)."""

    def __init__(self, ctx: CollectContext) -> None:
        self.ctx = ctx
        self._code: datetime | None = None
        self._code_known = False

    def last_commit_time(self, path: str) -> tuple[str, datetime | None]:
        git = self.ctx.git
        if git is None:
            return "no-git", None
        try:
            out = git.run("log", "-1", "--format=%cI", "--", git.to_top_path(path), check=False).strip()
        except GitError:
            return "no-git", None
        return ("committed", _parse(out)) if out else ("uncommitted", None)

    def code_last_commit_time(self) -> datetime | None:
        """The newest commit that touched a non-documentation file under the evaluated directory."""
        if self._code_known:
            return self._code
        self._code_known = True
        git = self.ctx.git
        if git is not None:
            lead = git.prefix + "/" if git.prefix else ""
            excludes = [f":(glob,exclude){lead}**/{pattern}" for pattern in DOC_PATTERNS]
            try:
                out = git.run("log", "-1", "--format=%cI", "--", git.prefix or ".", *excludes, check=False).strip()
            except GitError:
                out = ""
            self._code = _parse(out) if out else None
        return self._code


def _plan_facts(
    ctx: CollectContext, path: str, doc: Document | None, clis: Sequence[Cli], tree: _Tree, history: _History
) -> dict[str, Any]:
    plan: dict[str, Any] = {"path": path, "present": doc is not None}
    if doc is None:
        plan.update({
            "checklist": {"open": 0, "closed": 0, "total": 0, "items": []},
            "references": {"paths": [], "missing_paths": [], "commands": [], "unknown_commands": []},
            "commands_not_mentioned": [],
        })
        return plan
    plan["line"] = 1
    state, last = history.last_commit_time(path)
    plan["git"] = state
    now = ctx.now.astimezone(UTC)
    if last is not None:
        plan["last_commit_time"] = _iso(last)
        plan["days_since_commit"] = max(0, (now - last).days)
        code = history.code_last_commit_time()
        if code is not None:
            plan["days_behind_code"] = max(0, (code - last).days)
    for line, text in doc.prose:
        m = LAST_UPDATED.search(text)
        if m:
            try:
                declared = datetime.strptime(m.group(1), "%Y-%m-%d").replace(tzinfo=UTC)
            except ValueError:
                continue
            plan["declared_updated"] = {"path": path, "line": line, "date": m.group(1),
                                        "age_days": max(0, (now - declared).days)}
            break
    items = [{"path": path, "line": t.line, "done": t.done, "text": t.text[:200]} for t in doc.tasks]
    closed = sum(1 for t in doc.tasks if t.done)
    plan["checklist"] = {"open": len(items) - closed, "closed": closed, "total": len(items), "items": items}
    plan["references"] = _references(path, doc, clis, tree)
    plan["commands_not_mentioned"] = _not_mentioned(path, doc, clis)
    return plan


def _not_mentioned(path: str, doc: Document, clis: Sequence[Cli]) -> list[dict[str, Any]]:
    """Release-critical subcommands (the config's ``commands``) the document never names as
    ``<binary> <command>``."""
    text = "\n".join(t for _, t in [*doc.prose, *((ln, t) for b in doc.code_blocks for ln, t in b.lines)])
    out = []
    for cli in clis:
        for command, origin in sorted(cli.commands.items()):
            if origin != "config":
                continue
            uses = (r"\b" + re.escape(b) + r"\s+" + re.escape(command) + r"\b" for b in cli.binaries)
            if not any(re.search(use, text) for use in uses):
                out.append({"path": path, "component": cli.component, "command": command,
                            "usage": f"{cli.binaries[0]} {command}"})
    return out


# ---- links ------------------------------------------------------------------------------------------


def _links(paths: Iterable[str], load: Callable[[str], Document | None], tree: _Tree) -> dict[str, Any]:
    broken: list[dict[str, Any]] = []
    checked = outside = files = 0
    for path in paths:
        doc = load(path)
        if doc is None:
            continue
        files += 1
        base = posixpath.dirname(path)
        for link in doc.links:
            target = link.target.strip().strip("<>")
            if not target or target.startswith(("#", "//")) or SCHEME.match(target):
                continue
            local = unquote(re.split(r"[#?]", target, maxsplit=1)[0])
            if not local:
                continue
            resolved = posixpath.normpath(local.lstrip("/") if local.startswith("/") else posixpath.join(base, local))
            if resolved == ".." or resolved.startswith("../"):
                outside += 1
                continue
            checked += 1
            if not tree.exists("" if resolved == "." else resolved):
                broken.append({"path": path, "line": link.line, "target": link.target, "resolved": resolved,
                               "image": link.image})
    broken.sort(key=lambda b: (b["path"], b["line"], b["target"]))
    by_path: dict[str, list[dict[str, Any]]] = {}
    for item in broken:
        by_path.setdefault(item["path"], []).append(item)
    return {"files_checked": files, "checked": checked, "outside": outside, "broken": broken[:MAX_ITEMS],
            "broken_by_path": by_path}


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp).astimezone(UTC)


def _iso(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat().replace("+00:00", "Z")
