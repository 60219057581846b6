"""No file crashes the dockerfiles collector: binary, invalid UTF-8, oversized, symlinks out of the tree,
and a few hundred generated Dockerfiles made of valid, odd and broken instruction fragments each end
as an entry (parsed, or with its error) while the collector's status stays ok."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from anops_policy.config import RepoConfig
from anops_policy.pipeline.collect import collect_facts

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)

FRAGMENTS = [
    "FROM", "FROM alpine", "FROM ${NOPE}", "FROM $A:$B AS x", "FROM x AS", "FROM --platform= y", "FROM scratch",
    "FROM a@sha256:", "FROM x AS x", "FROM registry:5000", "FROM localhost/a/b:c@d",
    "ARG", "ARG A", "ARG A=1 B=${A}-x", "ARG =v", "ENV A", "ENV A=", "ENV =x", "ENV TOKEN=abc URL=https://u:p@h",
    "ENV A B C", "USER", "USER ${U}", "USER :0", "USER 0:0", "WORKDIR", "WORKDIR ../..", "EXPOSE", "EXPOSE /udp",
    "EXPOSE 80/tcp ${P}", "HEALTHCHECK", "HEALTHCHECK NONE", "HEALTHCHECK CMD", "HEALTHCHECK --interval=1s",
    "CMD", "CMD []", 'CMD ["a"', "ENTRYPOINT [1, 2]", "COPY", "COPY a", "COPY --from= . .", "COPY <<EOF\nx\nEOF",
    "ADD http://", "ADD --checksum x y", "RUN", "RUN '", 'RUN "unterminated', "RUN apt-get", "RUN apt-get install",
    "RUN apt-get install -o", "RUN pip install -r", "RUN pip install ==1", "RUN pip install [x]", "RUN npm i @",
    "RUN apk add --virtual", "RUN yum group", "RUN dnf install -y -", "RUN sh -c", "RUN bash -c '$(curl'",
    "RUN curl x |", "RUN | sh", "RUN && || ;;", "RUN ((((", "RUN )))", "RUN <<", "RUN <<A\nA", "RUN <<A sh\nset\nA",
    "RUN --mount=type=cache apt-get update", "RUN --mount= x", "RUN --mount=type=cache,target= pip install x",
    'RUN ["sh", "-c"]', 'RUN ["pip"]', "RUN rm -rf", "RUN rm -rf /", "ONBUILD", "ONBUILD RUN x", "SHELL []",
    "LABEL", "LABEL a", "STOPSIGNAL", "VOLUME []", "MAINTAINER", "BOGUS x", "# escape=`", "# syntax=x",
    "\\", "`", "RUN a \\", "", "   ", "#", "\t\tRUN\tx", "from lower", "run echo", "RUN echo é ü 中",
]


def collect(root: Path) -> dict[str, Any]:
    document = collect_facts(root, RepoConfig(), now=NOW, only=["dockerfiles"], use_git=False)
    meta = document["meta"]["collectors"]["dockerfiles"]
    assert meta["status"] == "ok", meta["error"]
    section: dict[str, Any] = document["dockerfiles"]
    return section


def test_weird_files_become_entries(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "a").mkdir(parents=True)
    (root / "a" / "Dockerfile").write_bytes(b"\x7fELF\x00\x01\x02\x03" * 64)
    (root / "b.Dockerfile").write_bytes("FROM alpine\nRUN echo caf\xe9\n".encode("latin-1"))
    (root / "Containerfile").write_text("FROM alpine:3.20\n" + "RUN echo x\n" * 200_000)  # > 1 MiB
    outside = tmp_path / "outside.Dockerfile"
    outside.write_text("FROM alpine:3.20\n")
    (root / "escape.Dockerfile").symlink_to(outside)
    (root / "Dockerfile.loop").symlink_to(root / "Dockerfile.loop")
    (root / "Dockerfile").write_text("FROM alpine:3.20\nUSER 1000\n")
    section = collect(root)
    entries = section["by_path"]
    assert entries["Dockerfile"]["parsed"]
    for path in ("a/Dockerfile", "b.Dockerfile", "Containerfile", "escape.Dockerfile", "Dockerfile.loop"):
        assert not entries[path]["parsed"], path
        assert entries[path]["error"].startswith("not read: "), entries[path]["error"]
    assert "binary" in entries["a/Dockerfile"]["error"]
    assert "UTF-8" in entries["b.Dockerfile"]["error"]
    assert "larger than" in entries["Containerfile"]["error"]
    assert "outside" in entries["escape.Dockerfile"]["error"]
    assert section["error_count"] == 5


def test_generated_dockerfiles_never_crash(tmp_path: Path) -> None:
    rng = random.Random(20261126)
    root = tmp_path / "repo"
    root.mkdir()
    count = 400
    for n in range(count):
        lines = [rng.choice(FRAGMENTS) for _ in range(rng.randint(1, 12))]
        if rng.random() < 0.7:
            lines.insert(0, "FROM debian:12 AS base")
        (root / f"f{n:03d}.Dockerfile").write_text("\n".join(lines) + "\n")
    section = collect(root)
    assert section["count"] == count
    parsed = [e for e in section["by_path"].values() if e["parsed"]]
    failed = [e for e in section["by_path"].values() if not e["parsed"]]
    # both kinds occur, and every failure says why
    assert parsed and failed
    assert all(e["error"] for e in failed)
    assert all(e["stage_count"] >= 1 for e in parsed)
