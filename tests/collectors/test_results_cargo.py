"""Real ``cargo test`` output: a dependency-free crate written to a temp repository (unit tests in nested
modules, an integration test, a doc-test, an ignored test, a ``should_panic`` test, failures) is run in
libtest's human format and, with ``RUSTC_BOOTSTRAP=1``, in its JSON format (stdout alone, and mixed with
cargo's stderr). The facts must match what the crate is known to do, libtest's own summary lines (no
``declared`` disagreement) and each other."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from anops_policy.config import RepoConfig
from anops_policy.pipeline.collect import collect_facts

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
CARGO = shutil.which("cargo")
pytestmark = pytest.mark.skipif(CARGO is None, reason="cargo is not installed on this machine")

FILES = {
    "Cargo.toml": '[package]\nname = "tiny-geo"\nversion = "0.1.0"\nedition = "2021"\n\n[lib]\nname = "tiny_geo"\n',
    "src/lib.rs": '''\
//! A tiny crate for the collector tests.

pub mod shapes;

/// Adds two numbers.
///
/// ```
/// assert_eq!(tiny_geo::add(1, 2), 3);
/// ```
pub fn add(a: i64, b: i64) -> i64 {
    a + b
}

#[cfg(test)]
mod tests {
    #[test]
    fn adds() {
        assert_eq!(super::add(2, 2), 4);
    }

    #[test]
    fn fails_on_purpose() {
        assert_eq!(super::add(2, 2), 5, "two and two");
    }

    #[test]
    #[ignore = "slow"]
    fn slow_one() {}

    #[test]
    #[should_panic(expected = "boom")]
    fn panics_as_expected() {
        panic!("boom");
    }
}
''',
    "src/shapes/mod.rs": "pub mod square;\n",
    "src/shapes/square.rs": '''\
pub fn area(side: i64) -> i64 {
    side * side
}

#[cfg(test)]
mod tests {
    #[test]
    fn area_of_two() {
        assert_eq!(super::area(2), 4);
    }
}
''',
    "tests/api.rs": '''\
#[test]
fn public_add() {
    assert_eq!(tiny_geo::add(1, 1), 2);
}

#[test]
fn public_area_fails() {
    assert_eq!(tiny_geo::shapes::square::area(3), 10, "three squared");
}
''',
}

EXPECTED = {  # name -> (status, source file)
    "tests::adds": ("passed", "src/lib.rs"),
    "tests::fails_on_purpose": ("failed", "src/lib.rs"),
    "tests::slow_one": ("skipped", "src/lib.rs"),
    "tests::panics_as_expected": ("passed", "src/lib.rs"),
    "shapes::square::tests::area_of_two": ("passed", "src/shapes/square.rs"),
    "public_add": ("passed", "tests/api.rs"),
    "public_area_fails": ("failed", "tests/api.rs"),
}


def cargo(repo: Path, target: Path, *args: str, json_format: bool = False) -> subprocess.CompletedProcess[str]:
    """Human format: stdout and stderr merged as ``2>&1`` gives them; JSON: the two kept apart."""
    assert CARGO is not None
    env = {**os.environ, "CARGO_TARGET_DIR": str(target), "RUST_BACKTRACE": "0", "CARGO_TERM_COLOR": "never"}
    extra: list[str] = []
    if json_format:
        env["RUSTC_BOOTSTRAP"] = "1"
        extra = ["--", "-Z", "unstable-options", "--format", "json", "--report-time"]
    return subprocess.run(
        [CARGO, "test", "--offline", "--no-fail-fast", *args, *extra],
        cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE if json_format else subprocess.STDOUT,
        text=True, timeout=600, check=False,
    )


@pytest.fixture(scope="module")
def cargo_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("crate")
    target = tmp_path_factory.mktemp("target")  # outside the evaluated tree, like a shared CI cache
    for rel, text in FILES.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    (repo / "reports").mkdir()
    human = cargo(repo, target)
    assert human.returncode == 101, human.stdout  # 101: tests failed
    (repo / "reports" / "cargo-test.txt").write_text(human.stdout)
    js = cargo(repo, target, json_format=True)
    assert js.returncode == 101, js.stderr
    (repo / "reports" / "libtest.json").write_text(js.stdout)
    (repo / "reports" / "libtest-mixed.log").write_text(_interleave(js.stderr, js.stdout))
    # `> out.log 2>&1` is not the only capture: CI steps often keep stderr and stdout apart and
    # concatenate them; cargo's lines then all come first
    (repo / "reports" / "libtest-concatenated.log").write_text(js.stderr + js.stdout)
    return repo


def _interleave(stderr: str, stdout: str) -> str:
    """What ``2>&1`` gives: each ``Running``/``Doc-tests`` line of cargo before its binary's JSON."""
    suites = stdout.split('{ "type": "suite", "event": "started"')
    headers = [line for line in stderr.splitlines() if line.strip().startswith(("Running", "Doc-tests"))]
    out = [suites[0]]
    for header, body in zip(headers, suites[1:], strict=True):
        out.append(f"{header}\n" + '{ "type": "suite", "event": "started"' + body)
    return "".join(out)


def collect(repo: Path, result_file: str | None = None) -> dict[str, Any]:
    """The section for the whole tree, or for one result file (by_* maps keep one case per key, so
    comparing files needs one run each)."""
    raw = {"collect": {"options": {"tests": {"globs": [result_file]}}}} if result_file else {}
    document = collect_facts(repo, RepoConfig(raw=raw), now=NOW, only=["tests"], use_git=False)
    assert document["meta"]["collectors"]["tests"]["status"] == "ok", document["meta"]["collectors"]
    section: dict[str, Any] = document["tests"]
    return section


def cases_of(repo: Path, path: str) -> dict[str, tuple[str, str | None]]:
    """name -> (status, file) of every case of one result file."""
    facts = collect(repo, path)
    assert all(ref["count"] == 1 for ref in facts["by_qualified_name"].values())
    return {key.split("::", 1)[1]: (ref["status"], ref.get("file")) for key, ref in facts["by_qualified_name"].items()}


def test_human_output(cargo_repo: Path) -> None:
    facts = collect(cargo_repo)
    path = "reports/cargo-test.txt"
    report = facts["reports"][path]
    assert (report["format"], report["build_failed"]) == ("cargo-human", False)
    assert (report["tests"], report["passed"], report["failed"], report["skipped"]) == (8, 5, 2, 1)
    suites = {s["name"]: s for s in facts["suites"] if s["path"] == path}
    assert set(suites) == {"unittests src/lib.rs", "tests/api.rs", "Doc-tests tiny_geo"}
    assert all("declared" not in s for s in suites.values()), "libtest's `test result:` lines agree"
    assert suites["tests/api.rs"]["file"] == "tests/api.rs"
    found = cases_of(cargo_repo, path)
    for name, (status, file) in EXPECTED.items():
        assert found.pop(name) == (status, file), name
    (doc_name, (doc_status, doc_file)), = found.items()
    assert doc_name.startswith("src/lib.rs - add (line ") and (doc_status, doc_file) == ("passed", "src/lib.rs")
    failing = {c["name"]: c["message"] for c in facts["failing"] if c["path"] == path}
    assert failing["tests::fails_on_purpose"].startswith("panicked at src/lib.rs:")
    assert failing["tests::fails_on_purpose"].endswith("assertion `left == right` failed: two and two")
    assert failing["public_area_fails"].endswith("three squared")


def test_json_output_agrees_with_human_output(cargo_repo: Path) -> None:
    facts = collect(cargo_repo)
    human = cases_of(cargo_repo, "reports/cargo-test.txt")
    mixed = cases_of(cargo_repo, "reports/libtest-mixed.log")
    concatenated = cases_of(cargo_repo, "reports/libtest-concatenated.log")
    alone = cases_of(cargo_repo, "reports/libtest.json")
    assert mixed == human  # cargo's stderr names the binaries: same files found
    assert concatenated == human
    assert {n: s for n, (s, _f) in alone.items()} == {n: s for n, (s, _f) in human.items()}
    for path in ("reports/libtest.json", "reports/libtest-mixed.log", "reports/libtest-concatenated.log"):
        report = facts["reports"][path]
        assert report["format"] == "cargo-json"
        assert (report["tests"], report["passed"], report["failed"], report["skipped"]) == (8, 5, 2, 1)
        assert all("declared" not in s for s in facts["suites"] if s["path"] == path)
    times = [ref.get("time") for ref in collect(cargo_repo, "reports/libtest.json")["by_name"].values()]
    assert any(isinstance(t, float) for t in times), "--report-time gives exec_time"


def test_build_failure_is_visible(cargo_repo: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(cargo_repo, broken, ignore=shutil.ignore_patterns("reports"))
    (broken / "src" / "shapes" / "square.rs").write_text("pub fn area(side: i64) -> i64 { side * sid }\n")
    done = cargo(broken, tmp_path / "target")
    assert done.returncode == 101
    (broken / "reports").mkdir()
    (broken / "reports" / "cargo-test.txt").write_text(done.stdout)
    facts = collect(broken)
    report = facts["reports"]["reports/cargo-test.txt"]
    assert (report["build_failed"], report["tests"]) == (True, 0)
    assert facts["zero_test_files"] == ["reports/cargo-test.txt"]
    assert facts["ran"] is False
