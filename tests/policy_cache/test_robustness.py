"""The cache is untrusted input and an optional speed-up: a damaged, foreign or stale entry is a miss
(the file is loaded and the entry rewritten), an unusable folder means no cache, and no input ever
turns into a traceback or a different result."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from cache_helpers import PACK, entries, policy_differences, run
from click.testing import CliRunner

from anops_policy.cel import evaluator as cel
from anops_policy.cli.main import cli
from anops_policy.policy import cache as policy_cache
from anops_policy.policy import loading, packs
from anops_policy.policy.model import Policy
from anops_policy.policy.packs import declared_patterns

FILE = PACK / "no-todos-in-release-files.yaml"
OTHER = PACK / "tests-passed.yaml"


def _load(file: Path = FILE) -> Policy:
    problems = loading.Problems()
    policy = loading.load_policy_file(file, problems)
    assert policy is not None and problems.items == []
    return policy


def _count_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    real = cel.compile_expr

    def counting(source: str) -> cel.Compiled:
        seen.append(source)
        return real(source)

    monkeypatch.setattr(cel, "compile_expr", counting)
    return seen


def _resign(raw: bytes, payload: bytes) -> bytes:
    """A well-formed entry (valid checksum) around ``payload``: what only a foreign writer would make."""
    header = json.loads(raw.partition(b"\n")[0])
    header["sha256"] = hashlib.sha256(payload).hexdigest()
    return json.dumps(header).encode() + b"\n" + payload


def _payload(raw: bytes) -> dict[str, object]:
    data: dict[str, object] = json.loads(raw.partition(b"\n")[2])
    return data


def _with_rule_nodes(raw: bytes, nodes: list[int]) -> bytes:
    data = _payload(raw)
    data["rule"]["nodes"] = nodes  # type: ignore[index]
    return _resign(raw, json.dumps(data).encode())


def _edited(raw: bytes, old: bytes, new: bytes) -> bytes:
    payload = raw.partition(b"\n")[2]
    assert old in payload
    return _resign(raw, payload.replace(old, new, 1))


def _without(field: str) -> Callable[[bytes], bytes]:
    def damage(raw: bytes) -> bytes:
        data = _payload(raw)
        del data[field]
        return _resign(raw, json.dumps(data).encode())

    return damage


DAMAGE: dict[str, Callable[[bytes], bytes]] = {
    "empty": lambda raw: b"",
    "truncated": lambda raw: raw[: len(raw) // 2],
    "header only": lambda raw: raw.partition(b"\n")[0],
    "one payload byte changed": lambda raw: raw[:-10] + bytes([raw[-10] ^ 0x01]) + raw[-9:],
    "garbage": lambda raw: os.urandom(len(raw)),
    "not json": lambda raw: b"\x00\xff{{{\n[[[",
    "header not an object": lambda raw: b"[1, 2]\n" + raw.partition(b"\n")[2],
    "other format": lambda raw: raw.replace(b'"format": 1', b'"format": 99', 1),
    "other kind": lambda raw: raw.replace(b'"kind": "policy"', b'"kind": "check"', 1),
    "payload of another key": lambda raw: raw.replace(b'"key": "', b'"key": "0', 1),
    "payload not an object": lambda raw: _resign(raw, b"[]"),
    "payload deeply nested": lambda raw: _resign(raw, b"[" * 100_000 + b"]" * 100_000),
    "rule missing": _without("rule"),
    "datas missing": _without("datas"),
    "tree item out of range": lambda raw: _with_rule_nodes(raw, [10_000, -1, 0]),
    "tree with two roots": lambda raw: _with_rule_nodes(raw, [0, -1, 0, 0, -1, 0]),
    "tree child count beyond the stack": lambda raw: _with_rule_nodes(raw, [0, -1, 5]),
    "tree of a token only": lambda raw: _with_rule_nodes(raw, [-1]),
    "tree item not an integer": lambda raw: _edited(raw, b'"nodes":[', b'"nodes":["x",'),
    "outcome unknown": lambda raw: _edited(raw, b'"expect":"pass"', b'"expect":"maybe"'),
}


@pytest.mark.parametrize("damage", DAMAGE.values(), ids=DAMAGE.keys())
def test_a_damaged_entry_is_reloaded_and_rewritten(
    damage: Callable[[bytes], bytes], cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh = _load()
    [entry] = entries(cache)
    good = entry.read_bytes()
    entry.write_bytes(damage(good))
    parses = _count_parses(monkeypatch)
    again = _load()
    assert parses, "a damaged entry must not be used"
    assert policy_differences(fresh, again) == []
    assert entry.read_bytes() == good, "the entry is rewritten"


def test_an_entry_copied_from_another_policy_is_not_used(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fresh = _load(FILE)
    [mine] = entries(cache)
    _load(OTHER)
    [theirs] = [e for e in entries(cache) if e != mine]
    mine.write_bytes(theirs.read_bytes())  # same format, valid checksum, but written under another key
    parses = _count_parses(monkeypatch)
    assert policy_differences(fresh, _load(FILE)) == []
    assert parses


def test_a_damaged_check_entry_is_rechecked(cache: Path) -> None:
    assert CliRunner().invoke(cli, ["check", str(FILE)]).output == "ok: 1 policies checked\n"
    [verdict] = [e for e in entries(cache) if b'"kind": "check"' in e.read_bytes()]
    raw = verdict.read_bytes()
    for damaged in (_resign(raw, b'{"policies": "many"}'), _resign(raw, b"{}"), raw[:-3]):
        verdict.write_bytes(damaged)
        result = CliRunner().invoke(cli, ["check", str(FILE)])
        assert (result.exit_code, result.output) == (0, "ok: 1 policies checked\n")
        assert verdict.read_bytes() == raw


@pytest.mark.parametrize("where", ["below a file", "a file"])
def test_an_unusable_cache_folder_only_costs_speed(where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv(policy_cache.DIR_ENV, str(blocker / "cache" if where == "below a file" else blocker))
    result = CliRunner().invoke(cli, ["check", str(PACK)])
    count = len(policy_cache.policy_files(PACK))
    rules = len(declared_patterns(PACK))
    assert (result.exit_code, result.output) == (0, f"ok: {count} policies and {rules} pattern rules checked\n")
    assert blocker.read_text() == "x"
    proc = run("check", str(PACK), env={policy_cache.DIR_ENV: str(blocker / "cache")})
    assert (proc.returncode, proc.stderr) == (0, "")


def test_a_new_version_of_anops_policy_or_cel_python_misses(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _load()
    parses = _count_parses(monkeypatch)
    _load()
    assert parses == []
    monkeypatch.setattr(policy_cache, "__version__", "99.0.0")
    monkeypatch.setattr(policy_cache._STATE, "context", None)
    _load()
    assert parses, "another anops-policy version compiles again"
    parses.clear()
    real = policy_cache._dist_version
    monkeypatch.setattr(policy_cache, "_dist_version", lambda m, d: b"cel_python-9.9" if m == "celpy" else real(m, d))
    monkeypatch.setattr(policy_cache._STATE, "context", None)
    _load()
    assert parses, "another cel-python version compiles again"
    parses.clear()
    monkeypatch.setenv(policy_cache.BACKEND_ENV, "python")
    _load()
    assert parses, "another CEL backend setting compiles again"
    assert len(entries(cache)) == 4


def test_the_key_covers_the_engine_and_the_schemas(cache: Path) -> None:
    before = policy_cache._context()
    assert policy_cache._dist_version("celpy", "cel_python").startswith(b"cel_python-")
    assert policy_cache._dist_version("lark", "lark").startswith(b"lark-")
    assert policy_cache._dist_version("no_such_module_here", "x") == b"missing"
    assert policy_cache._context() == before  # memoised per process


def test_editing_a_policy_invalidates_its_entry(cache: Path, tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(PACK, pack)
    target = pack / FILE.name
    assert CliRunner().invoke(cli, ["check", str(pack)]).exit_code == 0
    warm = _load(target)
    text = target.read_text()
    target.write_text(text.replace("still has", "still holds"))
    edited = _load(target)
    assert edited.message != warm.message and "still holds" in str(edited.message.parts)
    assert CliRunner().invoke(cli, ["check", str(pack)]).exit_code == 0
    # an edit that breaks the policy is reported, not answered from the cache
    target.write_text(text.replace("size(vars.found)", "size(vars.fund)", 1))
    broken = CliRunner().invoke(cli, ["check", str(pack)])
    assert broken.exit_code == 2 and "unknown variable 'fund'" in broken.output
    target.write_text(text)
    assert CliRunner().invoke(cli, ["check", str(pack)]).exit_code == 0


def test_a_policy_json_cannot_hold_exactly_is_loaded_every_time(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a YAML set in an example's facts: JSON would turn it into something else
    text = FILE.read_text().replace(
        "      layout: {release_files: []}\n", "      extra: !!set {a, b}\n      layout: {release_files: []}\n", 1
    )
    assert "!!set" in text
    target = tmp_path / FILE.name
    target.write_text(text)
    first = _load(target)
    assert entries(cache) == []
    parses = _count_parses(monkeypatch)
    assert policy_differences(first, _load(target)) == []
    assert parses


def test_off_switches(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert CliRunner().invoke(cli, ["check", "--no-cache", str(PACK)]).exit_code == 0
    assert entries(cache) == []
    monkeypatch.setenv(policy_cache.SWITCH_ENV, "off")
    assert CliRunner().invoke(cli, ["check", str(PACK)]).exit_code == 0
    _load()
    assert entries(cache) == []
    monkeypatch.delenv(policy_cache.SWITCH_ENV)
    assert CliRunner().invoke(cli, ["check", str(PACK)]).exit_code == 0  # --no-cache held for one command only
    assert entries(cache)


def test_the_cache_stays_bounded(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for file in policy_cache.policy_files(PACK)[:6]:
        _load(file)
    folder = cache / policy_cache.SUBDIR
    stale = folder / ".tmp-left-by-a-killed-writer.json"
    stale.write_text("{")
    os.utime(stale, (0, 0))
    oldest = min(entries(cache), key=lambda p: p.stat().st_mtime)
    os.utime(oldest, (1, 1))
    policy_cache.prune(folder, max_entries=5)
    left = entries(cache)
    assert len(left) == 4 and oldest not in left and not stale.exists()
    policy_cache.prune(folder, max_bytes=1)
    assert entries(cache) == []


def test_default_location(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (policy_cache.DIR_ENV, policy_cache.SWITCH_ENV, "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert policy_cache.cache_dir() == tmp_path / "home" / ".cache" / "anops-policy"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    assert policy_cache.cache_dir() == tmp_path / "home" / ".cache" / "anops-policy"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert policy_cache.cache_dir() == tmp_path / "xdg" / "anops-policy"
    monkeypatch.setenv(policy_cache.DIR_ENV, str(tmp_path / "explicit"))
    assert policy_cache.cache_dir() == tmp_path / "explicit"
    # a fresh process with only HOME to go by (CI as root in a fresh clone) creates and uses it
    env = {k: v for k, v in os.environ.items() if k not in (policy_cache.DIR_ENV, "XDG_CACHE_HOME")}
    env["HOME"] = str(tmp_path / "home")
    for _ in range(2):
        proc = subprocess.run(
            [sys.executable, "-m", "anops_policy", "check"], capture_output=True, text=True, env=env, check=False
        )
        assert (proc.returncode, proc.stderr) == (0, ""), proc.stderr
    assert entries(tmp_path / "home" / ".cache" / "anops-policy")


def test_the_default_pack_folder_is_the_builtin_pack() -> None:
    assert policy_cache.default_pack_folder() == packs.builtin_pack_dir("production-readiness")


RULE = {
    "id": "console-print",
    "language": "python",
    "rule": {"pattern": "print($$$ARGS)"},
    "examples": {"match": ["print('ready')\n"], "no_match": ["log.info('ready')\n"]},
}


def _check_rule(spec: dict[str, object]) -> tuple[list[str], int]:
    """The problems of checking one pattern rule, and how many times the rule was compiled."""
    from anops_policy.policy.model import PatternRule  # noqa: PLC0415
    from anops_policy.policy.patterns import check_rules  # noqa: PLC0415
    from anops_policy.syntax import rules  # noqa: PLC0415

    rules._COMPILED.clear()  # a new process: only the disk cache remembers
    calls: list[object] = []
    real = rules._compile

    def counting(s: object) -> object:
        calls.append(s)
        return real(s)  # type: ignore[arg-type]

    rules._compile = counting  # type: ignore[assignment]
    try:
        problems = loading.Problems()
        check_rules([PatternRule(str(spec["id"]), spec, "patterns.yaml", ("patterns", 0), None)], problems)
    finally:
        rules._compile = real
    return problems.items, len(calls)


def test_a_rule_that_passed_is_not_compiled_again_and_a_damaged_entry_is_a_miss(cache: Path) -> None:
    assert _check_rule(RULE) == ([], 1)
    [entry] = [e for e in entries(cache) if b'"kind": "rule"' in e.read_bytes()]
    assert _check_rule(RULE) == ([], 0), "a rule that compiled and passed its examples is read from the cache"
    good = entry.read_bytes()
    for damaged in (_resign(good, b'{"language": "cobol", "config": {}, "captures": []}'),
                    _resign(good, b'{"config": "x"}'), good[:-5]):
        entry.write_bytes(damaged)
        assert _check_rule(RULE) == ([], 1), damaged
        assert entry.read_bytes() == good, "the entry is rewritten"


def test_a_rule_whose_example_fails_is_never_remembered(cache: Path) -> None:
    broken = {**RULE, "examples": {"match": ["log.info('ready')\n"]}}
    for _ in range(2):
        problems, compiled = _check_rule(broken)
        assert compiled == 1 and len(problems) == 1 and "match example 1" in problems[0]
    assert not [e for e in entries(cache) if b'"kind": "rule"' in e.read_bytes()]


def test_a_cached_policy_builds_each_tree_when_it_is_first_read(cache: Path) -> None:
    """A cache hit checks every expression whole but builds a tree only when evaluation reads it; the result
    equals the policy loaded from its file, also after a pickle round trip (the server ships packs to its
    workers)."""
    import pickle  # noqa: PLC0415

    from anops_policy.policy.codec import LazyExpr  # noqa: PLC0415

    fresh = _load(OTHER)
    cached = _load(OTHER)
    assert isinstance(cached.rule, LazyExpr) and "_tree" not in cached.rule.__dict__
    assert cached.rule == fresh.rule and fresh.rule == cached.rule
    assert "_tree" in cached.rule.__dict__  # built by the comparison, once
    assert cached.rule.tree is cached.rule.tree
    # (lark's tokens pickle without their end positions, whichever way the policy was loaded)
    assert policy_differences(pickle.loads(pickle.dumps(fresh)), pickle.loads(pickle.dumps(cached))) == []
    assert type(pickle.loads(pickle.dumps(cached)).rule) is type(fresh.rule)
    assert policy_differences(fresh, cached) == []


def test_a_pack_head_entry_is_used_only_for_the_same_files_and_only_after_a_clean_load(
    cache: Path, tmp_path: Path
) -> None:
    """``pack.yaml`` and the pattern files are read from the cache only when byte for byte the ones that
    loaded cleanly; a damaged entry is a miss; a pack with a problem is reported each time, never remembered."""
    folder = tmp_path / "pack"
    shutil.copytree(PACK, folder, ignore=shutil.ignore_patterns("__init__.py", "__pycache__"))
    fresh = packs.load_pack(folder, display="p")

    def heads() -> list[Path]:
        return [e for e in entries(cache) if b'"kind": "pack-head"' in e.read_bytes()]

    [head] = heads()
    again = packs.load_pack(folder, display="q")  # another display name: the rules' files follow it
    assert [r.file.removeprefix("q/") for r in again.patterns] == [r.file.removeprefix("p/") for r in fresh.patterns]
    assert [(r.id, r.spec, r.where) for r in again.patterns] == [(r.id, r.spec, r.where) for r in fresh.patterns]
    assert (again.items, again.sections, again.digest) == (fresh.items, fresh.sections, fresh.digest)
    head.write_bytes(_resign(head.read_bytes(), b'{"meta": 7, "patterns": []}'))
    assert [r.id for r in packs.load_pack(folder).patterns] == [r.id for r in fresh.patterns]
    pattern_file = sorted((folder / "patterns").glob("*.yaml"))[0]
    pattern_file.write_text(pattern_file.read_text() + "\n- id: broken\n  language: cobol\n  rule: {pattern: x}\n")
    for _ in range(2):
        with pytest.raises(Exception, match="unknown language 'cobol'"):
            packs.load_pack(folder)
    assert len(heads()) == 1, "a pack with a problem is not remembered"
