"""Draw candidate cases per signal: a neutral pre-filter over the unpacked projects, then a seeded random
sample spread over the projects. The candidates are then labelled by a person reading the code (never by
running a detector) and kept in labels/<signal>.yaml.

    python benchmarks/accuracy/draw.py [--cache DIR] [--seed 20] [--signal NAME] [--show] [--after-seed N]

Candidates go to <cache>/candidates/<signal>.yaml; --show also prints each candidate's source. A further
sample for a signal that needs more cases (``--seed 21 --after-seed 20``: the same pool less the seed-20
draw) goes to <cache>/candidates/<signal>.seed21.yaml.

Pre-filters (plain text and syntax; they never ask our collectors):
- test-function signals: functions pytest collects (``test*`` at module level or in a ``Test*``/
  ``*TestCase`` class) in test modules (``test_*.py``, ``*_test.py``). Half the sample comes from
  functions whose text or fixture names carry a word of the signal (``KEYWORDS``), half from the rest
  of the modules that contain such a function, so both positives and negatives are drawn.
- ``swallowed_exceptions``: ``except`` handlers in non-test, non-docs modules; half from broad ones
  (bare, ``Exception``, ``BaseException`` among the caught types) without a ``raise`` in their body, half
  from the rest.
- Rust signals (the ``language = "rust"`` pins; ``rustsrc.py`` lexes them, comments, strings and test
  items skipped, in non-test ``.rs`` files): ``panics_user_paths``, half from the calls the policy names
  (``.unwrap()``, ``.expect(…)``, ``panic!``, ``unreachable!``, ``todo!``, ``unimplemented!``), half from
  ``assert!``/``assert_eq!``/``assert_ne!``; ``console_output``, half from the printing macros
  (``println!``, ``print!``, ``eprintln!``, ``eprint!``, ``dbg!``), half from ``write!``/``writeln!`` to a
  destination that names ``stdout``/``stderr``; ``external_spawns``, half from ``Command::new`` (std's,
  tokio's or clap's: the labels tell a process from a parser), half from the other command builders
  (duct's and xshell's ``cmd!``/``cmd(…)``, ``Exec::cmd``, ``Popen::create``, ``edit::edit…``). One case
  per line.

- ``readme_test_command``/``readme_what_to_expect``: each project's root README (``README.md``, else
  ``README.rst``, ``README.txt``, ``README``), one case each; half from READMEs that carry a test word
  (``test``, ``pytest``, ``tox``, ``nox``), half from the rest.
- ``ci_masking``/``ci_report_publishing``: each step of each job of ``.github/workflows/*.yml`` (its
  ``- `` line); ``ci_masking`` half from steps that carry a test word or a masking construct
  (``continue-on-error`` on the step or its job, ``|| true``, ``exit 0``, ``set +e``), half from the rest;
  ``ci_report_publishing`` half from steps that carry a publishing word (``upload-artifact``, ``artifact``,
  ``report``, ``junit``, ``publish``, ``codecov``, ``coveralls``), half from the rest.

- ``settings_unchecked``/``log_level_env`` (the ``language = "javascript"`` pins; ``jssrc.py`` blanks
  comments and strings, test files and folders left out): each line of code that names ``process.env``,
  one case per line; ``settings_unchecked`` half from named reads stored as they are (the right side of
  ``=`` or ``:`` with nothing after them on the line), half from the rest; ``log_level_env`` half from
  reads whose name or index carries a logging word (log, level, debug, verbose, quiet, silent, trace),
  half from the rest. ``settings_unchecked_go``/``log_level_env_go`` likewise over the ``language = "go"``
  pins' ``os.Getenv``/``os.LookupEnv`` reads (``_test.go``, testdata, vendor and example folders left out).

Python signals draw from the ``language = "python"`` pins only, Rust ones from the ``rust`` pins,
- ``e2e_teardown``/``e2e_negative_paths`` (Python pins; ``pyserve.py``): test modules whose text runs
  something live (a process, server, thread or container); the calls that may start one, one case per
  line, half from process starters; the test functions, half from those that carry a word of failure.

Python signals draw from the ``language = "python"`` pins only, Rust ones from the ``rust`` pins,
JavaScript ones from the ``javascript`` pins, README and CI signals from the Python and Rust pins;
``built_artifacts`` (``pybuild.py``) only from the pins of group ``artifacts`` (image builders and code
generators whose sdists ship their tests), and no other signal from those: the test functions that run a
build or code-generation step (themselves or through a helper of their module), half with an assertion
naming a product word."""

from __future__ import annotations

import argparse
import ast
import random
import re
import sys
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import CorpusError, Project, fail, load_pins, require_sources, resolve_cache
from jssrc import GO_STORED_RAW, LOG_WORD, STORED_RAW, env_sites, go_env_sites
from pybuild import build_rows
from pyserve import start_rows, test_functions, test_rows
from rustsrc import PANIC_MACROS, PRINT_MACROS, console_sites, panic_sites, source_files, spawn_sites, tokens

PER_STRATUM = 21
MAX_PER_PROJECT = 4  # per stratum, so that no project dominates a signal
# few projects test gRPC: take more of each (the signal is marked low-evidence); few crates write to the
# console (10 of 20): take up to 6 of each; two projects hold half the build tests: take 3 of each
MAX_PER_PROJECT_OF = {
    "grpc_internal": 12,
    "swallowed_exceptions": 3,
    "console_output": 6,
    "external_spawns": 8,
    "built_artifacts": 3,
}
SKIP_PARTS = frozenset({"docs", "doc", "examples", "example", "benchmarks", "docs_src", "build", ".tox", "scripts"})
BROAD = frozenset({"(bare)", "Exception", "BaseException"})
TEST_PARTS = frozenset({"tests", "test", "testing"})
KEYWORDS: dict[str, tuple[str, ...]] = {
    "startup_shutdown": (
        "lifespan",
        "startup",
        "shutdown",
        "with TestClient",
        "serve",
        "server",
        "Popen",
        "Thread(",
        ".start(",
        ".stop(",
        "run_app",
        "aiohttp_client",
        "live_server",
        "close()",
    ),
    "env_vars": ("environ", "setenv", "delenv", "getenv", "env=", "monkeypatch"),
    "malformed_requests": (
        "400",
        "422",
        "BadRequest",
        "bad_request",
        "invalid",
        "Invalid",
        "malformed",
        "Malformed",
        "ValidationError",
        "HTTP_400",
        "HTTP_422",
    ),
    "grpc_internal": ("INTERNAL", "StatusCode", "Status.", ".code()", "RpcError", "GRPCError"),
}
GRPC_MODULES = ("grpc", "grpclib", "google.api_core")


@dataclass(frozen=True)
class Candidate:
    project: str
    path: str
    line: int
    name: str
    stratum: str
    source: str


def _python_files(root: Path) -> Iterator[tuple[str, str]]:
    for file in sorted(root.rglob("*.py")):
        relative = file.relative_to(root).as_posix()
        if SKIP_PARTS & set(relative.split("/")[:-1]):
            continue
        try:
            yield relative, file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue


def _is_test_module(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return name.startswith("test_") or name.endswith("_test.py")


def _imports(tree: ast.Module) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def _parse(text: str) -> ast.Module | None:
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError):
        return None


def _segment(lines: list[str], node: ast.stmt | ast.ExceptHandler) -> str:
    """The node's whole lines (``ast.get_source_segment`` splits the file on every call: quadratic)."""
    return "".join(lines[node.lineno - 1 : node.end_lineno or node.lineno])


def test_pool(project: Project, root: Path, signal: str) -> Iterator[tuple[bool, Candidate]]:
    words = KEYWORDS[signal]
    for path, text in _python_files(root):
        if not _is_test_module(path):
            continue
        tree = _parse(text)
        if tree is None:
            continue
        if signal == "grpc_internal" and not any(m.startswith(GRPC_MODULES) for m in _imports(tree)):
            continue
        lines = text.splitlines(keepends=True)
        functions = list(test_functions(tree))
        hits = []
        for _name, node in functions:
            body = _segment(lines, node)
            params = " ".join(a.arg for a in node.args.args)
            hits.append(any(w in body or w in params for w in words))
        if not any(hits):
            continue
        for (name, node), hit in zip(functions, hits, strict=True):
            stratum = "keyword" if hit else "other"
            yield hit, Candidate(project.name, path, node.lineno, name, stratum, _segment(lines, node))


def handler_pool(project: Project, root: Path, signal: str) -> Iterator[tuple[bool, Candidate]]:
    for path, text in _python_files(root):
        parts = set(path.split("/")[:-1])
        if _is_test_module(path) or TEST_PARTS & parts or path.rsplit("/", 1)[-1] == "conftest.py":
            continue
        tree = _parse(text)
        if tree is None:
            continue
        lines = text.splitlines(keepends=True)
        for node in ast.walk(tree):
            if isinstance(node, ast.ExceptHandler):
                caught = ast.unparse(node.type) if node.type is not None else "(bare)"
                names = {n.strip() for n in caught.strip("()").split(",")}
                raises = any(isinstance(n, ast.Raise) for stmt in node.body for n in ast.walk(stmt))
                hit = bool(names & BROAD) and not raises
                yield (
                    hit,
                    Candidate(
                        project.name,
                        path,
                        node.lineno,
                        f"except {caught}",
                        "broad_no_raise" if hit else "other",
                        _segment(lines, node),
                    ),
                )


def rust_site_pool(project: Project, root: Path, signal: str) -> Iterator[tuple[bool, Candidate]]:
    """One candidate per line holding a site; the first site on the line names it and its stratum."""
    finder = {"panics_user_paths": panic_sites, "external_spawns": spawn_sites}.get(signal, console_sites)
    named = {
        "panics_user_paths": {"unwrap", "expect", *(m + "!" for m in PANIC_MACROS)},
        "external_spawns": {"Command::new"},
    }.get(signal, {m + "!" for m in PRINT_MACROS})
    strata = {
        "panics_user_paths": ("policy_named", "assert"),
        "external_spawns": ("command_new", "other_builder"),
    }.get(signal, ("print_macro", "console_writer"))
    for path, text in source_files(root):
        lines = text.splitlines(keepends=True)
        seen: set[int] = set()
        for line, what in finder(tokens(text)):
            if line in seen:
                continue
            seen.add(line)
            hit = what in named
            context = "".join(lines[max(0, line - 7) : line + 3])
            yield hit, Candidate(project.name, path, line, what, strata[0] if hit else strata[1], context)


def env_pool(project: Project, root: Path, signal: str) -> Iterator[tuple[bool, Candidate]]:
    settings = signal.startswith("settings_unchecked")
    strata = ("stored_raw", "other") if settings else ("log_word", "other")
    go = signal.endswith("_go")
    for path, line, what, source in go_env_sites(root) if go else env_sites(root):
        stored, name = (GO_STORED_RAW, what.partition("(")[2]) if go else (STORED_RAW, what[11:])
        hit = bool(stored.search(source)) if settings else bool(LOG_WORD.search(name))
        yield hit, Candidate(project.name, path, line, what, strata[0] if hit else strata[1], source.strip()[:300])


def live_pool(project: Project, root: Path, signal: str) -> Iterator[tuple[bool, Candidate]]:
    rows = start_rows(root) if signal == "e2e_teardown" else test_rows(root)
    for hit, path, line, name, stratum, source in rows:
        yield hit, Candidate(project.name, path, line, name, stratum, source)


def build_pool(project: Project, root: Path, signal: str) -> Iterator[tuple[bool, Candidate]]:
    for hit, path, line, name, stratum, source in build_rows(root):
        yield hit, Candidate(project.name, path, line, name, stratum, source)


README_NAMES = ("README.md", "README.rst", "README.txt", "README")
TEST_WORD = re.compile(r"test|\btox\b|\bnox\b", re.I)
MASK_WORD = re.compile(r"continue-on-error|\|\|\s*true|\bexit 0\b|set \+e")
REPORT_WORD = re.compile(r"upload-artifact|artifact|report|junit|publish|codecov|coveralls", re.I)


def readme_pool(project: Project, root: Path, signal: str) -> Iterator[tuple[bool, Candidate]]:
    for name in README_NAMES:
        file = root / name
        if file.is_file():
            try:
                text = file.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                return
            hit = bool(TEST_WORD.search(text))
            yield hit, Candidate(project.name, name, 1, name, "test_word" if hit else "other", "")
            return


def _steps(text: str) -> Iterator[tuple[int, str, bool, yaml.Node]]:
    """(line, name, job-level continue-on-error, node) of each step of each job of a GitHub workflow."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return
    if not isinstance(root, yaml.MappingNode):
        return
    for key, jobs in root.value:
        if key.value != "jobs" or not isinstance(jobs, yaml.MappingNode):
            continue
        for _job, job in jobs.value:
            if not isinstance(job, yaml.MappingNode):
                continue
            fields = {k.value: v for k, v in job.value}
            coe = isinstance(fields.get("continue-on-error"), yaml.ScalarNode) and fields[
                "continue-on-error"
            ].value not in ("false", "False")
            steps = fields.get("steps")
            if not isinstance(steps, yaml.SequenceNode):
                continue
            for step in steps.value:
                if isinstance(step, yaml.MappingNode):
                    names = {k.value: v.value for k, v in step.value if isinstance(v, yaml.ScalarNode)}
                    label = str(names.get("name") or names.get("uses") or names.get("run") or "step")
                    yield step.start_mark.line + 1, label.splitlines()[0][:80], coe, step


def workflow_pool(project: Project, root: Path, signal: str) -> Iterator[tuple[bool, Candidate]]:
    folder = root / ".github" / "workflows"
    if not folder.is_dir():
        return
    for file in sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")]):
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        lines = text.splitlines(keepends=True)
        path = file.relative_to(root).as_posix()
        for line, name, job_coe, node in _steps(text):
            body = "".join(lines[node.start_mark.line : node.end_mark.line + 1])
            if signal == "ci_masking":
                hit = job_coe or bool(TEST_WORD.search(body) or MASK_WORD.search(body))
            else:
                hit = bool(REPORT_WORD.search(body))
            yield hit, Candidate(project.name, path, line, name, "keyword" if hit else "other", body)


POOLS: dict[str, Callable[[Project, Path, str], Iterator[tuple[bool, Candidate]]]] = {
    "startup_shutdown": test_pool,
    "env_vars": test_pool,
    "malformed_requests": test_pool,
    "grpc_internal": test_pool,
    "swallowed_exceptions": handler_pool,
    "panics_user_paths": rust_site_pool,
    "console_output": rust_site_pool,
    "readme_test_command": readme_pool,
    "readme_what_to_expect": readme_pool,
    "ci_masking": workflow_pool,
    "ci_report_publishing": workflow_pool,
    "settings_unchecked": env_pool,
    "log_level_env": env_pool,
    "settings_unchecked_go": env_pool,
    "log_level_env_go": env_pool,
    "e2e_teardown": live_pool,
    "e2e_negative_paths": live_pool,
    "external_spawns": rust_site_pool,
    "built_artifacts": build_pool,
}
# the group of pins a signal draws from (``group`` in pins.toml); pins of a group serve only its signals
GROUP = {"built_artifacts": "artifacts"}
# the language of the pins a signal draws from; "any": the Python and Rust pins the README and CI labels
# were drawn from (the JavaScript pins came later: drawing from them too would change those draws)
LANGUAGE = {
    "panics_user_paths": "rust",
    "console_output": "rust",
    "external_spawns": "rust",
    "readme_test_command": "any",
    "readme_what_to_expect": "any",
    "ci_masking": "any",
    "ci_report_publishing": "any",
    "settings_unchecked": "javascript",
    "log_level_env": "javascript",
    "settings_unchecked_go": "go",
    "log_level_env_go": "go",
}


def _spread(items: list[Candidate], count: int, rng: random.Random, most: int) -> list[Candidate]:
    """Round-robin over projects in a shuffled order, each project's items shuffled, at most
    ``most`` from one project."""
    by_project: dict[str, list[Candidate]] = defaultdict(list)
    for item in items:
        by_project[item.project].append(item)
    order = sorted(by_project)
    rng.shuffle(order)
    for name in order:
        rng.shuffle(by_project[name])
    chosen: list[Candidate] = []
    for round_index in range(most):
        for name in order:
            if len(chosen) < count and round_index < len(by_project[name]):
                chosen.append(by_project[name][round_index])
    return chosen


def _capacity(items: list[Candidate], most: int) -> int:
    """How many candidates ``_spread`` can take at most ``most`` per project."""
    per_project: dict[str, int] = defaultdict(int)
    for item in items:
        per_project[item.project] += 1
    return sum(min(most, count) for count in per_project.values())


def draw(
    signal: str, sources: dict[str, Path], projects: list[Project], seed: int, after: int | None = None
) -> list[Candidate]:
    """``after``: a further sample, leaving out the candidates the draw with that seed gave."""
    earlier = draw(signal, sources, projects, after) if after is not None else []
    drawn = {(c.project, c.path, c.line) for c in earlier}
    hits: list[Candidate] = []
    others: list[Candidate] = []
    for project in projects:
        if project.group != GROUP.get(signal, ""):
            continue
        wanted = LANGUAGE.get(signal, "python")
        if project.language != wanted and not (wanted == "any" and project.language in ("python", "rust")):
            continue
        for hit, candidate in POOLS[signal](project, sources[project.name], signal):
            if (candidate.project, candidate.path, candidate.line) not in drawn:
                (hits if hit else others).append(candidate)
    rng = random.Random(f"{seed}:{signal}")
    most = MAX_PER_PROJECT_OF.get(signal, MAX_PER_PROJECT)
    # a stratum with fewer than PER_STRATUM candidates leaves its share to the other one
    hit_room, other_room = _capacity(hits, most), _capacity(others, most)
    hit_count = PER_STRATUM + max(0, PER_STRATUM - other_room)
    other_count = PER_STRATUM + max(0, PER_STRATUM - hit_room)
    chosen = _spread(hits, hit_count, rng, most) + _spread(others, other_count, rng, most)
    return sorted(chosen, key=lambda c: (c.project, c.path, c.line))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", help="cache folder (default ~/.cache/anops-policy-accuracy)")
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--signal", action="append", choices=sorted(POOLS), help="only this signal (repeatable)")
    parser.add_argument("--show", action="store_true", help="print each candidate's source")
    parser.add_argument("--after-seed", type=int, help="a further sample, without this seed's draw's candidates")
    args = parser.parse_args(argv)
    try:
        cache = resolve_cache(args.cache)
        projects = load_pins()
        sources = require_sources(cache, projects)
        out_dir = cache / "candidates"
        out_dir.mkdir(parents=True, exist_ok=True)
        for signal in args.signal or sorted(POOLS):
            chosen = draw(signal, sources, projects, args.seed, args.after_seed)
            rows = [
                {"project": c.project, "path": c.path, "line": c.line, "name": c.name, "stratum": c.stratum}
                for c in chosen
            ]
            target = out_dir / (f"{signal}.yaml" if args.after_seed is None else f"{signal}.seed{args.seed}.yaml")
            target.write_text(yaml.safe_dump(rows, sort_keys=False), encoding="utf-8")
            print(f"{signal}: {len(rows)} candidates from {len({c.project for c in chosen})} projects -> {target}")
            if args.show:
                for c in chosen:
                    print(f"\n### {c.project} {c.path}:{c.line} {c.name} [{c.stratum}]\n{c.source}")
    except (CorpusError, OSError) as exc:
        fail(str(exc))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
