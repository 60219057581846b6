"""The patterns collector through ``anops-policy facts``: which files a rule searches (its language's
files, ``files``/``exclude`` globs, test files by each ecosystem's conventions), one parse per file for
all the rules of its language, files that do not parse, the ``max_matches`` bound, and the same facts
whether the search ran in one process or was split across forked ones."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anops_policy.collectors.patterns.search as patterns_search
import pytest
import yaml
from click.testing import CliRunner

from anops_policy.cli.main import cli
from anops_policy.collection.parallel import available, usable_cores
from anops_policy.syntax.languages import language

NOW = "2026-12-01T00:00:00Z"

# (language, path, is a test file by that ecosystem's conventions)
TEST_FILES = [
    ("go", "pkg/server/server_test.go", True),
    ("go", "pkg/server/server.go", False),
    ("go", "pkg/testdata/fixture.go", True),
    ("typescript", "src/cart.test.ts", True),
    ("typescript", "src/cart.spec.ts", True),
    ("typescript", "src/__tests__/cart.ts", True),
    ("typescript", "src/contest.ts", False),
    ("tsx", "src/Cart.test.tsx", True),
    ("javascript", "lib/cart.spec.mjs", True),
    ("javascript", "test/cart.js", True),
    ("javascript", "lib/latest.js", False),
    ("java", "src/test/java/dev/CartTest.java", True),
    ("java", "src/main/java/dev/CartTests.java", True),
    ("java", "src/main/java/dev/Cart.java", False),
    ("java", "src/main/java/dev/Contest.java", False),
    ("java", "src/integrationTest/java/dev/CartIT.java", True),
    ("kotlin", "app/src/test/kotlin/CartTest.kt", True),
    ("csharp", "Shop.Tests/CartTests.cs", True),
    ("csharp", "Shop/Cart.cs", False),
    ("python", "tests/test_cart.py", True),
    ("python", "shop/cart_test.py", True),
    ("python", "conftest.py", True),
    ("python", "shop/contest.py", False),
    ("rust", "tests/cli.rs", True),
    ("rust", "src/main.rs", False),
    ("ruby", "spec/cart_spec.rb", True),
]


@pytest.mark.parametrize(("lang", "path", "is_test"), TEST_FILES, ids=[f"{lang}:{p}" for lang, p, _ in TEST_FILES])
def test_test_files_by_ecosystem(lang: str, path: str, is_test: bool) -> None:
    found = language(lang)
    assert found is not None
    assert found.is_test(path) is is_test


def _repo(tmp_path: Path, files: dict[str, str | bytes], rules: list[dict[str, Any]]) -> Path:
    for rel, text in files.items():
        target = tmp_path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            target.write_bytes(text)
        else:
            target.write_text(text, encoding="utf-8")
    config = {"apiVersion": "anops.dev/config/v1", "patterns": rules}
    (tmp_path / "anops-policy.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return tmp_path


def _facts(repo: Path) -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["facts", str(repo), "--only", "patterns", "--now", NOW])
    assert result.exit_code == 0, result.output
    facts: dict[str, Any] = json.loads(result.output)
    assert facts["meta"]["collectors"]["patterns"]["status"] == "ok", facts["meta"]["collectors"]["patterns"]
    return facts


GO_SOURCES = {
    "svc/main.go": 'package main\n\nimport "os"\n\nfunc main() {\n\t_ = os.Getenv("A")\n}\n',
    "svc/main_test.go": 'package main\n\nimport "os"\n\nfunc TestA() {\n\t_ = os.Getenv("T")\n}\n',
    "vendor/lib/lib.go": 'package lib\n\nimport "os"\n\nvar V = os.Getenv("V")\n',
}


@pytest.mark.parametrize(
    ("options", "paths"),
    [
        ({}, ["svc/main.go", "svc/main_test.go", "vendor/lib/lib.go"]),
        ({"tests": "exclude"}, ["svc/main.go", "vendor/lib/lib.go"]),
        ({"tests": "only"}, ["svc/main_test.go"]),
        ({"exclude": ["vendor/**"]}, ["svc/main.go", "svc/main_test.go"]),
        ({"files": ["svc/*.go"], "tests": "exclude"}, ["svc/main.go"]),
    ],
    ids=["all", "tests-excluded", "tests-only", "exclude-glob", "files-glob"],
)
def test_which_files_a_rule_searches(tmp_path: Path, options: dict[str, Any], paths: list[str]) -> None:
    rule = {"id": "env", "language": "go", "rule": {"pattern": "os.Getenv($K)"}, **options}
    repo = _repo(tmp_path, GO_SOURCES, [rule])
    found = _facts(repo)["patterns"]["env"]
    assert [m["path"] for m in found["matches"]] == paths
    assert found["files"] == len(paths)


def test_a_file_that_does_not_parse_is_listed_and_still_searched(tmp_path: Path) -> None:
    broken = 'package main\n\nfunc main() {\n\tx := os.Getenv("A")\n\tif {{{\n}\n'
    rule = {"id": "env", "language": "go", "rule": {"pattern": "os.Getenv($K)"}}
    repo = _repo(tmp_path, {"broken.go": broken}, [rule])
    found = _facts(repo)["patterns"]["env"]
    assert [(e["path"], e["language"]) for e in found["errors"]] == [("broken.go", "go")]
    assert found["errors"][0]["line"] >= 5
    assert [(m["line"], m["captures"]) for m in found["matches"]] == [(4, {"K": '"A"'})]


def test_max_matches_lists_the_first_and_counts_all(tmp_path: Path) -> None:
    files = {f"m{i}.py": "".join(f"print({n})\n" for n in range(10)) for i in range(5)}
    rule = {"id": "prints", "language": "python", "rule": {"pattern": "print($X)"}, "max_matches": 12}
    repo = _repo(tmp_path, files, [rule])
    found = _facts(repo)["patterns"]["prints"]
    assert found["count"] == 50 and found["truncated"] is True
    first = [("m0.py", n) for n in range(1, 11)] + [("m1.py", 1), ("m1.py", 2)]
    assert [(m["path"], m["line"]) for m in found["matches"]] == first
    assert sorted(found["by_path"]) == ["m0.py", "m1.py"]


def test_split_across_processes_gives_the_same_facts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forks: list[int]
) -> None:
    monkeypatch.setenv("ANOPS_POLICY_CACHE", "off")  # both runs search every file
    files: dict[str, str | bytes] = {
        f"pkg{i}/mod{j}.py": "import requests\n\n" + "".join(f"requests.get(u{n})\n" for n in range(i + j))
        for i in range(6)
        for j in range(6)
    }
    files["pkg0/blob.py"] = b"\x00\x01binary"
    rules = [
        {"id": "gets", "language": "python", "rule": {"pattern": "requests.get($U)"}, "max_matches": 40},
        {"id": "imports", "language": "python", "rule": {"pattern": "import requests"}},
    ]
    repo = _repo(tmp_path, files, rules)
    serial = _facts(repo)
    monkeypatch.setattr(patterns_search, "FAN_OUT_BYTES", 0)
    split = _facts(repo)
    if usable_cores() >= 2 and available():
        assert forks, "the search was not split across processes"
    for key in ("patterns",):
        assert split[key] == serial[key]
    assert split["patterns"]["gets"]["count"] == sum(i + j for i in range(6) for j in range(6))
    skipped = [s["path"] for s in split["meta"]["skipped"]] if "skipped" in split["meta"] else None
    if skipped is not None:
        assert "pkg0/blob.py" in skipped
    assert json.dumps(serial["meta"].get("skipped")) == json.dumps(split["meta"].get("skipped"))
