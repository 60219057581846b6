"""Result files that try to hurt the reader: entity bombs, deep nesting, symlinks out of the tree, too
many files, odd encodings, bad options. Each one is an error entry (or a bounded, visible truncation),
never a crash, a hang or a read outside the evaluated directory."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from anops_policy.config import RepoConfig
from anops_policy.pipeline.collect import collect_facts

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
GOOD = (
    '<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests"><testsuite name="pytest" tests="1">'
    '<testcase classname="t" name="test_ok" time="0.001" /></testsuite></testsuites>'
)


def collect(root: Path, name: str, raw: dict[str, Any] | None = None) -> dict[str, Any]:
    document = collect_facts(root, RepoConfig(raw=raw or {}), now=NOW, only=[name], use_git=False)
    meta: dict[str, Any] = document["meta"]["collectors"][name]
    return {"meta": meta, "section": document.get(name)}


def reports_dir(tmp_path: Path) -> Path:
    out = tmp_path / "repo" / "reports"
    out.mkdir(parents=True)
    (out / "junit-good.xml").write_text(GOOD)
    return out


def reasons(section: dict[str, Any]) -> dict[str, str]:
    return {e["path"]: e["reason"] for e in section["errors"]}


def test_a_ten_level_entity_bomb_is_refused(tmp_path: Path) -> None:
    reports = reports_dir(tmp_path)
    entities = ['<!ENTITY e0 "lollollollollollollollollollol">'] + [
        f'<!ENTITY e{i} "{f"&e{i - 1};" * 10}">' for i in range(1, 10)
    ]
    for name in ("junit-bomb.xml", "coverage.xml"):
        root = "testsuites" if name.startswith("junit") else "coverage"
        (reports / name).write_text(
            f'<?xml version="1.0"?><!DOCTYPE {root} [{"".join(entities)}]><{root} name="&e9;"/>'
        )
    tests = collect(tmp_path / "repo", "tests")["section"]
    assert "refused, nothing expanded" in reasons(tests)["reports/junit-bomb.xml"]
    assert tests["totals"]["tests"] == 1  # the good file is still read
    coverage = collect(tmp_path / "repo", "coverage")["section"]
    assert "refused, nothing expanded" in reasons(coverage)["reports/coverage.xml"]


def test_deeply_nested_suites_are_an_error_entry(tmp_path: Path) -> None:
    reports = reports_dir(tmp_path)
    depth = 50_000
    nested = "<testsuite>" * depth + "</testsuite>" * depth
    (reports / "junit-deep.xml").write_text(f"<testsuites>{nested}</testsuites>")
    tests = collect(tmp_path / "repo", "tests")["section"]
    assert reasons(tests)["reports/junit-deep.xml"] == "XML nested too deeply"
    assert tests["files"] == 1


def test_a_symlink_out_of_the_tree_is_not_followed(tmp_path: Path) -> None:
    reports = reports_dir(tmp_path)
    outside = tmp_path / "secret.xml"
    outside.write_text(GOOD.replace("test_ok", "test_secret"))
    (reports / "junit-link.xml").symlink_to(outside)
    result = collect(tmp_path / "repo", "tests")
    tests = result["section"]
    assert reasons(tests)["reports/junit-link.xml"].startswith("not read: symlink points outside")
    assert "test_secret" not in tests["by_name"]
    assert {"path": "reports/junit-link.xml", "reason": "symlink points outside the evaluated directory"} in (
        result["meta"]["skipped"]
    )


def test_too_many_files_is_a_visible_truncation(tmp_path: Path) -> None:
    reports = reports_dir(tmp_path)
    for i in range(5):
        (reports / f"junit-{i}.xml").write_text(GOOD.replace("test_ok", f"test_{i}"))
    tests = collect(tmp_path / "repo", "tests", {"collect": {"options": {"tests": {"max_files": 3}}}})["section"]
    assert (tests["files"], tests["truncated"]) == (3, True)


def test_other_encodings(tmp_path: Path) -> None:
    reports = reports_dir(tmp_path)
    latin = GOOD.replace('encoding="utf-8"', 'encoding="ISO-8859-1"').replace("test_ok", "test_café")
    (reports / "junit-latin1.xml").write_bytes(latin.encode("latin-1"))
    utf16 = GOOD.replace('encoding="utf-8"', 'encoding="UTF-16"').replace("test_ok", "test_utf16")
    (reports / "junit-utf16.xml").write_bytes(utf16.encode("utf-16"))
    tests = collect(tmp_path / "repo", "tests")["section"]
    assert tests["errors"] == []
    assert {"test_café", "test_utf16", "test_ok"} <= set(tests["by_name"])


@pytest.mark.parametrize("name", ["tests", "coverage"])
def test_bad_options_are_a_collector_error(tmp_path: Path, name: str) -> None:
    reports_dir(tmp_path)
    result = collect(tmp_path / "repo", name, {"collect": {"options": {name: {"max_file_bytes": "big"}}}})
    assert result["meta"]["status"] == "error"
    assert result["meta"]["error"] == f"collect.options.{name}: max_file_bytes must be a positive integer"


def test_long_messages_are_cut_and_output_is_not_stored(tmp_path: Path) -> None:
    reports = reports_dir(tmp_path)
    secret_output = "TOKEN=" + "s" * 40
    (reports / "junit-long.xml").write_text(
        '<testsuite name="s" tests="1" failures="1"><testcase classname="c" name="test_long">'
        f'<failure message="{"x" * 5000}">trace</failure><system-out>{secret_output}</system-out>'
        f"<system-err>{secret_output}</system-err></testcase></testsuite>"
    )
    result = collect(tmp_path / "repo", "tests")
    failing = result["section"]["failing"][0]
    assert len(failing["message"]) == 500
    assert secret_output not in repr(result)
