"""The tool table: which commands run tests (pytest, cargo, go, npm scripts, make targets ...), of which
kind (unit, integration, e2e) and why, on which targets, and where they write a report."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from anops_policy.collectors.ci.command_words import ASSIGN, NPM_BUILTINS, flag_value, positional, strip_wrappers

PYTEST_VALUE_FLAGS = {"-k", "-m", "-c", "-p", "-o", "-n", "-W", "-r", "--rootdir", "--confcutdir", "--basetemp",
                      "--junitxml", "--junit-xml", "--cov", "--cov-report", "--cov-config", "--maxfail", "--tb",
                      "--durations", "--log-level", "--ignore", "--ignore-glob", "--deselect", "--import-mode",
                      "--dist", "--numprocesses", "--reruns", "--timeout", "--override-ini", "--capture",
                      "--color", "--html", "--json-report-file", "--alluredir", "--cov-fail-under", "--lf-ff"}
TEST_SCRIPT = re.compile(r"(?i)^(test|tests|e2e|integration|cypress|playwright|spec|unit|acceptance|smoke)([:_.-].*)?$"
                         r"|[:_.-](test|tests|e2e|integration|spec)$")
MAKE_TEST_TARGET = re.compile(r"(?i)^(test|tests|check|e2e|integration|unit|it|acceptance|smoke)([-_:.].*)?$"
                              r"|[-_:.](test|tests|e2e|integration|check)$")
_E2E = re.compile(r"(?i)(?<![a-z])(e2e|end[-_ ]?to[-_ ]?end|playwright|cypress|selenium|acceptance|system[-_]tests?)"
                  r"(?![a-z])")
_INTEGRATION = re.compile(r"(?i)(?<![a-z])(integration|integ|itests?|integration[-_]tests?)(?![a-z])")
_UNIT = re.compile(r"(?i)(?<![a-z])(unit|unittests?|unit[-_]tests?)(?![a-z])")
KIND_ORDER = ("e2e", "integration", "unit")


@dataclass(frozen=True)
class Detection:
    """A test command recognised in one simple command's words."""

    tool: str
    argv: tuple[str, ...]
    kinds: tuple[str, ...]
    kind_source: str  # args | path | tool | job | default (command_record adds: config)
    targets: tuple[str, ...]  # raw target arguments (paths relative to the command's directory)
    chdir: str | None = None  # a directory the tool itself switches to (make -C, npm --prefix, ...)
    report_path: str | None = None
    report_format: str | None = None



def _kinds_from_text(texts: Iterable[str]) -> tuple[str, ...]:
    joined = " ".join(texts)
    found = [k for k, rx in (("e2e", _E2E), ("integration", _INTEGRATION), ("unit", _UNIT)) if rx.search(joined)]
    return tuple(found)


_OUTPUT_FLAG = re.compile(r"(?i)^--?[\w.-]*(junit|report|output|log|cov|html|xml|result|alluredir|basetemp)[\w.-]*")


def _hint_args(args: Sequence[str], targets: Sequence[str]) -> list[str]:
    """Arguments that may name a kind: not targets, and not where results go (`--junitxml=unit.xml`)."""
    out: list[str] = []
    skip = False
    for a in args:
        if skip:
            skip = False
            continue
        if _OUTPUT_FLAG.match(a):
            skip = "=" not in a
            continue
        if a not in targets:
            out.append(a)
    return out


def _classify(
    tool: str, args: Sequence[str], targets: Sequence[str], hints: Sequence[str], *,
    arg_kinds: tuple[str, ...] = (), tool_kinds: tuple[str, ...] = (), default: tuple[str, ...] = ("unit",),
) -> tuple[tuple[str, ...], str]:
    if arg_kinds:
        return arg_kinds, "args"
    from_targets = _kinds_from_text(targets)
    if from_targets:
        return from_targets, "path"
    from_args = _kinds_from_text(_hint_args(args, targets))
    if from_args:
        return from_args, "args"
    if tool_kinds:
        return tool_kinds, "tool"
    from_hints = _kinds_from_text(hints)
    if from_hints:
        return from_hints, "job"
    return default, "default"


def _sorted_kinds(kinds: Iterable[str]) -> tuple[str, ...]:
    return tuple(k for k in KIND_ORDER if k in set(kinds))


def detect_test(words: Sequence[str], hints: Sequence[str] = ()) -> Detection | None:
    """The test command in ``words`` (one simple command, already unquoted), if any."""
    w = strip_wrappers(list(words))
    if not w:
        return None
    head = w[0].rsplit("/", 1)[-1]
    args = w[1:]

    def make(tool: str, targets: Sequence[str], **kw: Any) -> Detection:
        kinds, source = _classify(tool, args, targets, hints, **kw)
        return Detection(tool, tuple(w), _sorted_kinds(kinds), source, tuple(targets))

    if head in ("pytest", "py.test"):
        if any(a in ("--version", "--help", "-h", "--co", "--collect-only", "--fixtures") for a in args):
            return None
        targets = [t.split("::", 1)[0] for t in positional(args, PYTEST_VALUE_FLAGS)]
        marker = flag_value(args, "-m") or ""
        marker_kinds = _kinds_from_text([marker]) if "not" not in marker else ()
        det = make("pytest", targets, arg_kinds=marker_kinds)
        junit = flag_value(args, "--junitxml", "--junit-xml")
        return replace(det, report_path=junit, report_format="junit" if junit else None)
    if head == "unittest" or (head == "manage.py" and args[:1] == ["test"]):
        return make("unittest" if head == "unittest" else "django", positional(args, {"-k", "-p", "-s", "-t"}))
    if head in ("tox", "nox"):
        if any(a in ("--version", "-l", "--list", "--listenvs", "--help", "-h", "--list-sessions") for a in args):
            return None
        envs = (flag_value(args, "-e", "-s", "--sessions", "--session") or "").split(",")
        return make(head, [], arg_kinds=_kinds_from_text(envs))
    if head in ("cargo", "cross"):
        return _detect_cargo(head, args, hints)
    if head == "go" and args[:1] == ["test"]:
        return _detect_go(args[1:], hints, w)
    if head == "gotestsum":
        inner = args[args.index("--") + 1:] if "--" in args else []
        det = _detect_go(inner, hints, w)
        junit = flag_value(args, "--junitfile")
        return replace(det, tool="gotestsum", report_path=junit, report_format="junit" if junit else None)
    if head in ("npm", "yarn", "pnpm", "bun"):
        return _detect_node_pm(head, args, hints, w)
    if head in ("jest", "vitest", "mocha", "ava", "karma", "node", "deno", "tap"):
        if head == "vitest" and args[:1] in (["bench"], ["--version"]):
            return None
        if head == "node" and "--test" not in args:
            return None
        if head == "deno" and args[:1] != ["test"]:
            return None
        rest = args[1:] if head == "vitest" and args[:1] in (["run"], ["watch"], ["dev"], ["related"]) else args
        det = make(head, positional(rest, {"--config", "-c", "--reporter", "--reporters", "--outputFile", "-t"}))
        rep = " ".join(a for a in args if "reporter" in a or "junit" in a)
        if "junit" in rep:
            out = flag_value(args, "--outputFile", "--outputFile.junit")
            return replace(det, report_path=out, report_format="junit")
        return det
    if head in ("playwright", "cypress", "wdio", "testcafe", "codeceptjs"):
        if head == "playwright" and args[:1] != ["test"]:
            return None
        if head == "cypress" and args[:1] != ["run"]:
            return None
        return make(head, positional(args[1:] if head in ("playwright", "cypress") else args,
                                      {"--config", "-c", "--project", "--reporter", "--spec", "-s", "--browser"}),
                    tool_kinds=("e2e",))
    if head in ("make", "gmake", "just", "task"):
        chdir = flag_value(args, "-C", "--directory") if head != "task" else flag_value(args, "-d", "--dir")
        goals = [a for a in positional(args, {"-C", "--directory", "-f", "--file", "-j", "--jobs", "-d", "--dir",
                                              "-o", "-W", "-l", "-I"}) if not ASSIGN.match(a)]
        tests = [g for g in goals if MAKE_TEST_TARGET.search(g)]
        if not tests:
            return None
        return replace(make(head if head != "gmake" else "make", [], arg_kinds=_kinds_from_text(tests)), chdir=chdir)
    if head in ("mvn", "mvnw", "gradle", "gradlew"):
        tasks = [a.rsplit(":", 1)[-1] for a in args if not a.startswith("-")]
        wanted = {"test", "verify", "integration-test", "check", "integrationTest", "connectedCheck", "e2e",
                  "functionalTest", "install"} if head.startswith("mvn") else None
        hits = [t for t in tasks if (t in wanted if wanted else re.search(r"(?i)test|check|e2e", t))]
        if not hits or any(a.startswith(("-DskipTests", "-Dmaven.test.skip=true")) for a in args):
            return None
        return make("maven" if head.startswith("mvn") else "gradle", [], arg_kinds=_kinds_from_text(hits))
    if head in ("ctest", "rspec", "phpunit", "bats", "busted", "prove"):
        return make(head, positional(args, {"-C", "--test-dir", "-R", "-L", "-j", "--format", "-c",
                                            "--configuration", "--filter", "--group"}))
    if (head, args[:1]) in (("dotnet", ["test"]), ("swift", ["test"]), ("mix", ["test"]), ("sbt", ["test"]),
                            ("meson", ["test"]), ("bazel", ["test"]), ("bazelisk", ["test"]), ("rake", ["test"]),
                            ("rake", ["spec"]), ("flutter", ["test"]), ("dart", ["test"]), ("stack", ["test"]),
                            ("cabal", ["test"]), ("zig", ["build", "test"][:1])):
        if head == "zig" and args[:2] != ["build", "test"]:
            return None
        return make(head, positional(args[1:], {"-c", "--configuration", "--filter", "--logger", "-C"}))
    return None


def _detect_cargo(head: str, args: list[str], hints: Sequence[str]) -> Detection | None:
    a = list(args)
    while a and a[0].startswith("+"):
        a = a[1:]
    opts_before: list[str] = []
    while a and a[0].startswith("-"):
        opts_before.append(a[0])
        a = a[1:]
    if not a:
        return None
    sub, rest = a[0], a[1:]
    tool = "cargo test"
    if sub in ("test", "t"):
        pass
    elif sub == "nextest" and rest[:1] == ["run"]:
        tool, rest = "cargo nextest", rest[1:]
    elif sub == "llvm-cov":
        if rest[:1] and rest[0] in ("report", "clean", "show-env"):
            return None
        tool = "cargo llvm-cov"
        if rest[:1] in (["nextest"], ["test"]):
            rest = rest[1:]
    elif sub == "tarpaulin":
        tool = "cargo tarpaulin"
    else:
        return None
    sep = rest.index("--") if "--" in rest else len(rest)
    cargo_args, harness = rest[:sep], rest[sep + 1:]
    manifest = flag_value(cargo_args, "--manifest-path")
    chdir = posixpath.dirname(manifest) if manifest else None
    arg_kinds: list[str] = []
    named_tests = [cargo_args[i + 1] for i, x in enumerate(cargo_args[:-1]) if x == "--test"]
    named_tests += [x.split("=", 1)[1] for x in cargo_args if x.startswith("--test=")]
    if named_tests:
        arg_kinds.extend(_kinds_from_text(named_tests) or ("integration",))
    if "--tests" in cargo_args or "--all-targets" in cargo_args:
        arg_kinds.extend(("unit", "integration"))
    if any(x in cargo_args for x in ("--lib", "--bins", "--doc", "--bin", "--examples")):
        arg_kinds.append("unit")
    filters = list(positional(cargo_args, {"-p", "--package", "--manifest-path", "--features", "-F",
                                          "--target", "--profile", "-j", "--jobs", "--test", "--bin",
                                          "--bench", "--example", "--exclude", "--target-dir",
                                          "--color", "--message-format", "-E", "--filterset",
                                          "--config", "-Z"}))
    filter_kinds = _kinds_from_text([*filters, *harness])
    if arg_kinds:
        kinds, source = tuple(arg_kinds), "args"
    elif filter_kinds:
        kinds, source = filter_kinds, "args"
    else:
        # a bare `cargo test` builds and runs the library/binary unit tests and every tests/*.rs target
        kinds, source = ("unit", "integration"), "default"
        hinted = _kinds_from_text(hints)
        if "e2e" in hinted:
            kinds, source = ("e2e", *kinds), "job"
    det = Detection(tool, (head, *args), _sorted_kinds(kinds), source, (), chdir)
    if tool == "cargo nextest" and flag_value(cargo_args, "--profile"):
        det = replace(det, report_format="junit")  # nextest writes JUnit when the profile configures it
    return det


def _detect_go(args: list[str], hints: Sequence[str], argv: list[str]) -> Detection:
    tags = flag_value(args, "-tags", "--tags") or ""
    run = flag_value(args, "-run", "--run") or ""
    pkgs = [p for p in positional(args, {"-tags", "-run", "-timeout", "-p", "-count", "-coverprofile", "-covermode",
                                         "-coverpkg", "-parallel", "-bench", "-benchtime", "-cpu", "-o", "-exec",
                                         "-skip", "-shuffle", "-json", "-vet", "-ldflags", "-gcflags", "-mod",
                                         "-args"})
            if not p.startswith("-")]
    targets = []
    for p in pkgs:
        if p.startswith((".", "/")):
            targets.append(p.removesuffix("/...").removesuffix("...") or ".")
    kinds, source = _classify("go test", args, targets, hints,
                              arg_kinds=_kinds_from_text([tags.replace(",", " "), run]))
    return Detection("go test", tuple(argv), _sorted_kinds(kinds), source, tuple(targets))


def _detect_node_pm(head: str, args: list[str], hints: Sequence[str], argv: list[str]) -> Detection | None:
    chdir = flag_value(args, "--prefix", "--cwd", "--dir", "-C")
    rest = positional(args, {"--prefix", "--cwd", "--dir", "-C", "--filter", "-F", "-w", "--workspace"})
    if not rest:
        return None
    if rest[0] in ("test", "t", "tst"):
        script = "test"
    elif rest[0] in ("run", "run-script") and len(rest) > 1:
        script = rest[1]
    elif head in ("yarn", "pnpm", "bun") and rest[0] not in NPM_BUILTINS:
        script = rest[0]
    else:
        return None
    if head == "bun" and rest[0] == "test":
        return Detection("bun test", tuple(argv), ("unit",), "default", ())
    if not TEST_SCRIPT.search(script):
        return None
    kinds, source = _classify(head, args, [], hints, arg_kinds=_kinds_from_text([script.replace(":", " ")]))
    return Detection(f"{head} {script}" if script != "test" else f"{head} test", tuple(argv), _sorted_kinds(kinds),
                     source, (), chdir)
