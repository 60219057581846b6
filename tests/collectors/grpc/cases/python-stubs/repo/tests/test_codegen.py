"""The generated Python code and the billing image exist and are current."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHECKED_IN = ROOT / "services" / "billing"
IMAGE = "anops/billing:dev"


def generate(out: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", f"-I{ROOT / 'protos'}",
         f"--python_out={out}", f"--grpc_python_out={out}", "billing/v1/billing.proto"],
        check=True,
        cwd=ROOT / "protos",
    )


def assert_stubs_in(out: Path) -> None:
    messages = out / "billing" / "v1" / "billing_pb2.py"
    assert messages.is_file(), f"{messages} was not generated"


@pytest.fixture
def generated_dir(tmp_path):
    generate(tmp_path)
    assert (tmp_path / "billing" / "v1" / "billing_pb2_grpc.py").exists()
    return tmp_path


def test_fixture_generates_stubs(generated_dir):
    assert_stubs_in(generated_dir)


def test_checked_in_stubs_exist():
    stub = CHECKED_IN / "billing_pb2.py"
    assert stub.exists(), "run `make protos` and commit the result"


def test_no_stray_outputs(tmp_path):
    # absence is not a check that code was generated
    assert not (tmp_path / "generated").exists()


def test_image_was_built():
    out = subprocess.run(["docker", "image", "inspect", IMAGE], capture_output=True, check=False)
    assert out.returncode == 0, out.stderr


def test_release_pushes_the_tag(fake_docker):
    subprocess.run([sys.executable, str(ROOT / "release.py")], check=True)
    assert fake_docker.calls[-1] == ["push", "anops/billing:dev"]


def test_dry_run_builds_nothing(fake_docker):
    subprocess.run([sys.executable, str(ROOT / "release.py"), "--dry-run"], check=True)
    assert fake_docker.calls == []


def test_image_labels(billing_image):
    assert billing_image.labels["org.opencontainers.image.source"].endswith("/anops")


def test_docs_quote_an_assertion():
    # assert Path("model_pb2.py").exists()   <- a comment, not code
    text = "assert Path('billing_pb2.py').exists()"
    assert "pb2" in text
