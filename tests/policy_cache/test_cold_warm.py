"""A cache hit gives exactly what a miss gives: the same policies (every syntax-tree token and position),
the same ``check``, ``test`` and ``eval`` output, over the built-in pack, every broken-policy case of
``tests/engine/check_cases`` and the example repository. Warm runs must really be hits: they may not
parse a single expression."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from cache_helpers import PACK, ROOT, differences, entries, json_report, policy_differences, run
from click.testing import CliRunner

from anops_policy.cel import evaluator as cel
from anops_policy.cli.main import cli
from anops_policy.policy import cache as policy_cache
from anops_policy.policy import loading
from anops_policy.policy.packs import load_pack

POLICY_FILES = policy_cache.policy_files(PACK)
CHECK_CASES = sorted(p for p in (ROOT / "tests" / "engine" / "check_cases").iterdir() if p.is_dir())


def _no_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(source: str) -> cel.Compiled:
        raise AssertionError(f"a warm load parsed {source!r}")

    monkeypatch.setattr(cel, "compile_expr", refuse)


@pytest.mark.parametrize("file", POLICY_FILES, ids=[f.stem for f in POLICY_FILES])
def test_a_cached_policy_is_the_compiled_one(file: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    problems = loading.Problems()
    cold = loading.load_policy_file(file, problems, f"builtin/{file.name}")
    assert cold is not None and problems.items == []
    assert len(entries(cache)) == 1
    _no_parsing(monkeypatch)
    warm = loading.load_policy_file(file, problems, f"builtin/{file.name}")
    assert warm is not None and problems.items == []
    assert policy_differences(cold, warm) == []
    # the display name is the caller's, not the one it was stored under
    elsewhere = loading.load_policy_file(file, problems, f"other/{file.name}")
    assert elsewhere is not None and elsewhere.file == f"other/{file.name}"
    assert {e.file for e in (elsewhere.rule, *(v.expr for v in elsewhere.variables))} == {f"other/{file.name}"}


@pytest.mark.parametrize("target", [PACK, *CHECK_CASES], ids=["builtin-pack", *(c.name for c in CHECK_CASES)])
def test_check_is_the_same_cold_and_warm(target: Path, cache: Path) -> None:
    off = CliRunner().invoke(cli, ["check", "--no-cache", str(target)])
    assert entries(cache) == []
    cold = CliRunner().invoke(cli, ["check", str(target)])
    warm = CliRunner().invoke(cli, ["check", str(target)])
    assert (cold.exit_code, cold.output) == (off.exit_code, off.output)
    assert (warm.exit_code, warm.output) == (off.exit_code, off.output)
    if off.exit_code == 0:
        assert entries(cache), "a passing check leaves entries"


def test_test_command_is_the_same_cold_and_warm(cache: Path) -> None:
    cold = CliRunner().invoke(cli, ["test", str(PACK)])
    warm = CliRunner().invoke(cli, ["test", str(PACK)])
    assert cold.exit_code == 0, cold.output
    assert (warm.exit_code, warm.output) == (cold.exit_code, cold.output)


def test_eval_is_the_same_cold_and_warm(cache: Path) -> None:
    args = ("eval", "examples/anops", "--now", "2026-11-26T10:00:00Z", "--no-decision-log", "--format", "json")
    off = run(*args, "--no-cache")
    assert entries(cache) == []
    cold = run(*args)
    kinds = [json.loads(e.read_bytes().partition(b"\n")[0])["kind"] for e in entries(cache)]
    # one entry per policy file, one per pattern rule of the pack (compiled, its examples passed), and one for
    # the pack's pack.yaml and pattern files
    rules = len(load_pack(PACK).patterns)
    assert sorted(kinds) == ["pack-head"] + ["policy"] * len(POLICY_FILES) + ["rule"] * rules
    warm = run(*args)
    assert off.returncode in (0, 1), off.stderr
    assert cold.returncode == warm.returncode == off.returncode
    assert differences(json_report(off), json_report(cold)) == []
    assert differences(json_report(off), json_report(warm)) == []


# Runs the command in-process, then reports what a warm run must not have done.
PROBE = textwrap.dedent(
    """
    import json, sys
    sys.argv = ["anops-policy", *sys.argv[1:]]
    from anops_policy.cli.main import main
    try:
        main()
    except SystemExit:
        pass
    parser = sys.modules.get("celpy.celparser")
    print(json.dumps({
        "modules": sorted(
            m for m in ("celpy", "lark", "yaml", "jsonschema", "anops_policy.policy.loading") if m in sys.modules
        ),
        "parser_built": parser is not None and parser.CELParser.CEL_PARSER is not None,
    }), file=sys.stderr)
    """
)


def _probe(*args: str) -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *args], cwd=ROOT, capture_output=True, text=True, check=False
    )
    report: dict[str, object] = json.loads(proc.stderr.strip().splitlines()[-1])
    return report


def test_warm_check_imports_no_parser_stack(cache: Path) -> None:
    cold = _probe("check", "policies/production-readiness/")
    assert "celpy" in cold["modules"] and cold["parser_built"] is True
    warm = _probe("check", "policies/production-readiness/")
    assert warm == {"modules": [], "parser_built": False}


def test_warm_eval_builds_no_parser(cache: Path) -> None:
    args = ("eval", "examples/anops", "--now", "2026-11-26T10:00:00Z", "--no-decision-log", "-q")
    assert _probe(*args)["parser_built"] is True
    assert _probe(*args)["parser_built"] is False
