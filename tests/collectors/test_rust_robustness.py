"""Weird files never crash the rust collector: each one becomes a recorded skip or problem, the other
files are still scanned, and the section still validates against the schema."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from anops_policy.config import RepoConfig
from anops_policy.facts import section_errors
from anops_policy.pipeline.collect import collect_facts

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def collect(root: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    doc = collect_facts(root, RepoConfig(), now=NOW, only=["rust"], use_git=False)
    meta = doc["meta"]["collectors"]["rust"]
    assert meta["status"] == "ok", meta
    assert section_errors("rust", doc["rust"]) == []
    return doc["rust"], meta


def test_weird_files_are_skipped_not_fatal(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    src = root / "app" / "src"
    src.mkdir(parents=True)
    (root / "app" / "Cargo.toml").write_text('[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n')
    (src / "main.rs").write_text('fn main() {\n    println!("hi");\n    std::env::args().nth(1).unwrap();\n}\n')
    with (src / "huge.rs").open("wb") as fh:  # 50 MB of real-looking code
        line = b"pub fn f() { let _ = Some(1).unwrap(); }\n"
        for _ in range(50 * 1024 * 1024 // len(line) + 1):
            fh.write(line)
    (src / "binary.rs").write_bytes(b"fn main() {}\x00\x01\x02\xff")
    (src / "latin1.rs").write_bytes(b"// caf\xe9\nfn f() { x.unwrap(); }\n")
    (src / "loop.rs").symlink_to("loop.rs")
    (src / "outside.rs").symlink_to("/etc/passwd")
    (root / "looped").mkdir()
    (root / "looped" / "Cargo.toml").symlink_to("Cargo.toml")

    rust, meta = collect(root)
    skipped = {s["path"]: s["reason"] for s in meta["skipped"]}
    assert skipped["app/src/huge.rs"].startswith("larger than")
    assert skipped["app/src/binary.rs"] == "binary file"
    assert skipped["app/src/latin1.rs"].startswith("not UTF-8")
    assert "symlink loop" in skipped["app/src/loop.rs"]
    assert skipped["app/src/outside.rs"] == "symlink points outside the evaluated directory"
    assert "symlink loop" in skipped["looped/Cargo.toml"]
    # the readable file is still scanned
    app = rust["crates"]["app"]
    assert app["source_files"] == ["app/src/main.rs"]
    assert [(c["line"], c["macro"]) for c in app["output"]["by_path"]["app/src/main.rs"]] == [(2, "println")]
    assert app["panics"]["unwrap_count"] == 1


def test_pathological_source_is_bounded(tmp_path: Path) -> None:
    """Deep nesting, a huge string literal and unterminated literals: recorded, never a crash (no recursion
    on nesting, no quadratic rescans of broken raw strings)."""
    root = tmp_path / "repo"
    src = root / "src"
    src.mkdir(parents=True)
    (root / "Cargo.toml").write_text('[package]\nname = "deep"\nversion = "0.1.0"\nedition = "2021"\n')
    depth = 20_000
    (src / "lib.rs").write_text(
        "use a::" + "{b::" * depth + "c" + "}" * depth + ";\n"
        "pub fn f() -> u32 { " + "(" * depth + "1" + ")" * depth + " }\n"
        'pub const S: &str = "' + 'x\\"' * 500_000 + '";\n'
        "pub fn g(x: Option<u32>) -> u32 { x.unwrap() }\n"
    )
    (src / "broken.rs").write_text('pub fn h() { let s = r#"never closed; ' + 'r#"again "' * 2000 + "\n}\n")
    (src / "comment.rs").write_text("/* " * 10_000 + "unterminated\npub fn i() { x.unwrap(); }\n")
    rust, _ = collect(root)
    crate = rust["crates"]["."]
    assert [(p["path"], p["line"], p["kind"]) for p in crate["panics"]["by_path"]["src/lib.rs"]] == [
        ("src/lib.rs", 4, "unwrap")
    ]
    assert {(p["path"], p["message"]) for p in rust["problems"]} == {
        ("src/broken.rs", "unterminated raw string literal"),
        ("src/comment.rs", "unterminated block comment"),
    }
    assert "src/broken.rs" not in crate["panics"]["by_path"]
    assert "src/comment.rs" not in crate["panics"]["by_path"]
