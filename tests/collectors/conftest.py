"""A real Docker Engine API for the images collector's tests: ``podman system service`` on a socket in a
temporary folder, with its own ``vfs`` storage and libpod state there (nothing shared with the machine
or with another pytest worker), and a base image made from Debian's static busybox with ``podman import``
(there is no registry to pull from).

Skipped with the reason shown only when podman or busybox-static is not installed. Session-scoped (an
image build takes seconds); the service is always stopped, even when a test fails.
"""

from __future__ import annotations

import io
import os
import shutil
import socket
import subprocess
import tarfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

BUSYBOX = Path("/bin/busybox")
BASE_IMAGE = "localhost/anops-test/busybox:1"
APPLETS = ("sh", "ls", "rm", "mkdir", "cp", "echo", "cat", "touch", "mv", "ln", "chmod", "printf", "head", "true")
START_TIMEOUT_S = 30.0


@dataclass
class Podman:
    url: str  # unix:///…/podman.sock, for DOCKER_HOST / engine.docker_host
    env: dict[str, str]
    workdir: Path
    base_image: str = BASE_IMAGE  # busybox-static, for FROM lines

    def run(self, *args: str, timeout: float = 300.0) -> str:
        out = subprocess.run(
            ["podman", *args], env=self.env, capture_output=True, text=True, timeout=timeout, check=False
        )
        if out.returncode != 0:
            raise AssertionError(f"podman {' '.join(args)} failed ({out.returncode}):\n{out.stderr[-3000:]}")
        return out.stdout

    def build(self, context: Path, tag: str) -> None:
        self.run("build", "--isolation", "chroot", "--tag", tag, str(context))

    def save(self, ref: str, path: Path) -> None:
        self.run("save", "--format", "docker-archive", "--output", str(path), ref)


def _missing_tools() -> str | None:
    if shutil.which("podman") is None:
        return "podman is not installed (apt-get install podman busybox-static): no engine for the images tests"
    if not BUSYBOX.is_file():
        return "busybox-static is not installed (apt-get install busybox-static): no base image for the images tests"
    return None


def _base_image_tar() -> bytes:
    """A root filesystem with /bin/busybox and applet symlinks, as a tar for ``podman import``."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for folder in ("bin", "tmp", "etc"):
            info = tarfile.TarInfo(folder)
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            tar.addfile(info)
        tar.add(str(BUSYBOX), arcname="bin/busybox")
        for applet in APPLETS:
            info = tarfile.TarInfo(f"bin/{applet}")
            info.type, info.linkname = tarfile.SYMTYPE, "busybox"
            tar.addfile(info)
    return buffer.getvalue()


def _wait_for_socket(path: Path, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"podman system service exited ({process.returncode}):\n{log.read_text()[-3000:]}")
        if path.exists():
            with socket.socket(socket.AF_UNIX) as probe:
                try:
                    probe.connect(str(path))
                    return
                except OSError:
                    pass
        time.sleep(0.1)
    raise AssertionError(f"podman system service did not create {path} in {START_TIMEOUT_S:.0f}s")


@pytest.fixture(scope="session")
def podman(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Podman]:
    reason = _missing_tools()
    if reason:
        pytest.skip(reason)
    root = tmp_path_factory.mktemp("podman")
    (root / "storage.conf").write_text(
        f'[storage]\ndriver = "vfs"\nrunroot = "{root}/run"\ngraphroot = "{root}/graph"\n'
    )
    # libpod's own state (tmp_dir, events, volumes) defaults to /run/libpod and /var/lib/containers:
    # keep it here too, so parallel workers and the machine's podman never share it
    (root / "containers.conf").write_text(
        "[engine]\n"
        f'tmp_dir = "{root}/libpod"\n'
        f'volume_path = "{root}/volumes"\n'
        'events_logger = "file"\n'
        f'events_logfile_path = "{root}/events.log"\n'
        'cgroup_manager = "cgroupfs"\n'
    )
    env = {
        **os.environ,
        "CONTAINERS_STORAGE_CONF": str(root / "storage.conf"),
        "CONTAINERS_CONF": str(root / "containers.conf"),
        "TMPDIR": str(root),
    }
    env.pop("DOCKER_HOST", None)
    sock = root / "podman.sock"
    log = root / "service.log"
    with log.open("wb") as log_handle:
        process = subprocess.Popen(
            ["podman", "system", "service", "--time=0", f"unix://{sock}"],
            env=env, stdout=log_handle, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        _wait_for_socket(sock, process, log)
        engine = Podman(url=f"unix://{sock}", env=env, workdir=root)
        (root / "base.tar").write_bytes(_base_image_tar())
        engine.run("import", str(root / "base.tar"), BASE_IMAGE)
        yield engine
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait(timeout=10)


@pytest.fixture
def forks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The pids of the children ``os.fork`` makes while the test runs (``collection.fanout`` splitting a
    collector's work), to show that a split happened."""
    made: list[int] = []
    real_fork = os.fork

    def counting_fork() -> int:
        pid = real_fork()
        if pid:
            made.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", counting_fork)
    return made
