"""``anops-policy --version``, ``--help`` and ``check`` start fast because they never import the heavy
optional engines: gRPC (the service), the docker SDK (the images collector) and OpenTelemetry (tracing).
Each command runs through the real entry point in a fresh interpreter, which then reports what is in
``sys.modules``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("grpc", "google.protobuf", "docker", "opentelemetry")
PROBE = """
import json, sys
sys.argv = ["anops-policy", *sys.argv[1:]]
from anops_policy.cli.main import main
try:
    main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
print(json.dumps({"code": code, "modules": sorted(sys.modules)}), file=sys.stderr)
"""


def loaded_after(*args: str) -> tuple[int, set[str]]:
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=ROOT, capture_output=True, text=True, check=False)
    report = json.loads(proc.stderr.strip().splitlines()[-1])
    return report["code"], set(report["modules"])


@pytest.mark.parametrize(
    "args", [("--version",), ("--help",), ("check", "policies/production-readiness/")], ids=" ".join
)
def test_command_does_not_import_heavy_engines(args: tuple[str, ...]) -> None:
    code, modules = loaded_after(*args)
    assert code in (0, None)
    heavy = sorted(m for m in modules if any(m == f or m.startswith(f + ".") for f in FORBIDDEN))
    assert heavy == []


def test_the_probe_sees_imports() -> None:
    # the same probe does see the images collector once a run uses it (the checks above can fail)
    code, modules = loaded_after("facts", "--only", "images", str(ROOT / "examples" / "anops"))
    assert code in (0, None)
    assert "anops_policy.collectors.docker.images" in modules


@pytest.mark.parametrize("only", ["todos", "git", "signoff"])
def test_a_run_imports_only_the_collectors_it_uses(only: str) -> None:
    """The registry names every built-in collector; a collector's package is imported by a run that uses
    it (or a collector it depends on), so ``facts --only todos`` pays for no Rust, CI or Docker analysis."""
    from anops_policy.collectors import BUILTIN  # noqa: PLC0415

    code, modules = loaded_after("facts", "--only", only, "-o", "/dev/null", str(ROOT / "examples" / "anops"))
    assert code in (0, None)
    used = {only, *BUILTIN[only].depends_on}
    packages = {"rust": "rust", "ci": "ci", "dockerfiles": "docker", "grpc": "grpc", "python": "python"}
    for name, package in packages.items():
        imported = f"anops_policy.collectors.{package}" in modules
        assert imported == (name in used), f"facts --only {only}: collector {name} imported={imported}"


def test_the_registry_shares_the_rust_checks_memo_key() -> None:
    from anops_policy.collectors import RUST_TEST_CHECKS  # noqa: PLC0415
    from anops_policy.collectors.rust.asserts import MEMO_KEY  # noqa: PLC0415

    assert RUST_TEST_CHECKS == MEMO_KEY


ANALYSIS = {
    "rust": "anops_policy.collectors.rust.crates",
    "dockerfiles": "anops_policy.collectors.docker.instructions",
}


@pytest.mark.parametrize(
    ("files", "analysed"),
    [
        ({"main.py": "print('hello')\n"}, set()),
        ({"Cargo.toml": '[package]\nname = "x"\nversion = "0.1.0"\n', "src/main.rs": "fn main() {}\n"}, {"rust"}),
        ({"Dockerfile": "FROM alpine:3.20\nCMD [\"true\"]\n"}, {"dockerfiles"}),
    ],
    ids=["python-only", "rust-crate", "dockerfile"],
)
def test_an_eval_loads_a_collectors_analysis_only_for_its_files(
    tmp_path: Path, files: dict[str, str], analysed: set[str]
) -> None:
    """Every collector runs in ``eval``; the rust and dockerfiles collectors load their analysis modules only
    when the repository has a crate or a Dockerfile (the start-up of a repository without them)."""
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    code, modules = loaded_after("eval", str(tmp_path), "--no-decision-log", "-q", "--jobs", "1", "--no-cache")
    assert code in (0, 1)
    assert {name for name, module in ANALYSIS.items() if module in modules} == analysed
