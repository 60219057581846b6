"""The committed gRPC stubs are what the generator makes from the .proto today."""

from __future__ import annotations

from pathlib import Path

import pytest

from anops_policy.server import generate_stubs

from .conftest import ROOT

# the checkout's files (CI runs the tests against an installed copy of the package)
PROTO_ROOT = ROOT / "proto"
COMMITTED = ROOT / "src" / "anops_policy" / "server"


def test_committed_stubs_are_current(tmp_path: Path) -> None:
    written = generate_stubs.generate(tmp_path, PROTO_ROOT)
    assert sorted(p.name for p in written) == sorted(generate_stubs.STUBS)
    stale = [
        p.name for p in written
        if p.read_text(encoding="utf-8") != (COMMITTED / p.name).read_text(encoding="utf-8")
    ]
    assert not stale, f"stale stubs {stale}: run `python -m anops_policy.server.generate_stubs` and commit them"


def test_stubs_import_the_package_not_the_proto_path(tmp_path: Path) -> None:
    text = (COMMITTED / "policy_pb2_grpc.py").read_text(encoding="utf-8")
    assert generate_stubs.PACKAGE_IMPORT in text and generate_stubs.GENERATED_IMPORT not in text


# what the proto's comments (the API's documentation for other languages' clients) must and must not say
# about a field, where the server's behaviour changed under them
FIELD_COMMENTS = [
    # authorisation is checked against the stream on every server, a file-logging one included
    ("EvaluateRequest", "stream", "authorisation", "Ignored by a server logging to a file"),
]


def field_comment(message: str, field: str) -> str:
    """The // comment lines just above ``field`` in ``message`` of the proto, joined."""
    import re  # noqa: PLC0415

    text = (PROTO_ROOT / generate_stubs.PROTO).read_text(encoding="utf-8")
    body = text.split(f"message {message} {{", 1)[1].split("\n}", 1)[0]
    lines = body.splitlines()
    at = next(i for i, line in enumerate(lines) if re.match(rf"\s*\w+ {field} = \d+;", line))
    comment: list[str] = []
    for line in reversed(lines[:at]):
        if not line.strip().startswith("//"):
            break
        comment.insert(0, line.strip().removeprefix("//").strip())
    return " ".join(comment)


@pytest.mark.parametrize(("message", "field", "says", "never_says"), FIELD_COMMENTS)
def test_field_comment_matches_the_server(message: str, field: str, says: str, never_says: str) -> None:
    comment = field_comment(message, field)
    assert says in comment and never_says not in comment, comment
