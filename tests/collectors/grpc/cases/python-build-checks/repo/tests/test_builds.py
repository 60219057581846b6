"""What tests of image builders and code generators assert about the product of their build step; the
``*_not_checked`` tests run the step and assert something else."""

import importlib
import subprocess
from unittest import mock

import docker
import pytest

from builder import Application, BuildError, build_image, buildah, generate


def test_buildah_inspects_the_image(tmp_path):
    build_image(tmp_path, "worker")
    buildah("inspect", ["-t", "image", "worker"])


def test_docker_py_inspect_image():
    client = docker.APIClient()
    build_image(".", "composetest_web")
    image = client.inspect_image("composetest_web")
    assert image["Config"]["Labels"]["com.example.test"]


def test_sdk_build_returns_the_image():
    client = docker.from_env()
    image, _logs = client.images.build(path=".", tag="worker")
    assert image.id


def test_fake_client_recorded_the_build():
    fake_client = mock.MagicMock()
    build_image(".", "worker", client=fake_client)
    args, kwargs = fake_client.build.call_args
    assert kwargs["tag"] == "worker"


def test_patched_runner_recorded_the_build_command():
    with mock.patch("builder.run") as run:
        build_image(".", "worker")
    cmd = run.call_args[0][0]
    assert cmd[:3] == ["docker", "buildx", "build"]


def test_build_record_layers():
    app = Application()
    build = app.build("playbook.yaml", "base", "target")
    assert len(build.layers) == 3


def test_generated_module_imports(tmp_path):
    generate("service.proto", tmp_path)
    importlib.import_module("out.service_pb2_grpc")


def test_generated_file_read(tmp_path):
    generate("service.proto", tmp_path)
    module = tmp_path.joinpath("service_pb2.py")
    text = module.read_text()
    assert "DESCRIPTOR" in text


def test_build_exit_status_not_checked():
    result = subprocess.run(["docker", "build", "-t", "worker", "."], check=False)
    assert result.returncode == 0


def test_build_log_not_checked():
    log = build_image(".", "worker")
    assert "docker build" in log


def test_build_error_not_checked():
    with pytest.raises(BuildError):
        build_image("missing", "worker")


def test_other_module_imported_not_checked():
    generate("service.proto", ".")
    importlib.import_module("json")


def test_build_id_not_checked():
    build = Application().build("playbook.yaml", "base", "target")
    assert build.build_id
