"""The committed gRPC stubs are what the generator makes from the .proto today."""

from __future__ import annotations

from pathlib import Path

from anops_policy.server import generate_stubs


def test_committed_stubs_are_current(tmp_path: Path) -> None:
    written = generate_stubs.generate(tmp_path)
    assert sorted(p.name for p in written) == sorted(generate_stubs.STUBS)
    stale = [
        p.name for p in written
        if p.read_text(encoding="utf-8") != (generate_stubs.STUB_DIR / p.name).read_text(encoding="utf-8")
    ]
    assert not stale, f"stale stubs {stale}: run `python -m anops_policy.server.generate_stubs` and commit them"


def test_stubs_import_the_package_not_the_proto_path(tmp_path: Path) -> None:
    text = generate_stubs.generate(tmp_path)[2].read_text(encoding="utf-8")
    assert generate_stubs.PACKAGE_IMPORT in text and generate_stubs.GENERATED_IMPORT not in text
