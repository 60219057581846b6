"""The container engine, through the ``docker`` SDK: the only module that imports it.

Any engine that serves the Docker Engine API works: Docker, or ``podman system service``. The host is
the config's ``engine.docker_host``, else ``DOCKER_HOST`` (with ``DOCKER_TLS_VERIFY``/``DOCKER_CERT_PATH``
as the Docker CLI reads them), else Docker's default socket. Every request has ``engine.timeout_s``
(default 30 s) as its socket timeout.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from anops_policy.collectors.docker.secrets import redact_text

DEFAULT_HOST = "unix:///var/run/docker.sock"
DEFAULT_TIMEOUT_S = 30.0
CHUNK_BYTES = 1024 * 1024


class EngineUnreachable(Exception):
    pass


class EngineError(Exception):
    pass


@dataclass
class Engine:
    host: str  # as shown in messages (credentials redacted)
    version: str | None  # Engine API version
    client: Any

    def inspect(self, ref: str) -> dict[str, Any] | None:
        """``docker image inspect``; None when the engine has no such image."""
        errors = _sdk().errors
        try:
            data: dict[str, Any] = self.client.api.inspect_image(ref)
        except errors.NotFound:
            return None
        except errors.DockerException as exc:
            raise EngineError(f"inspecting {ref} at {self.host} failed: {exc}") from None
        except OSError as exc:  # requests' connection errors and timeouts
            raise EngineError(f"inspecting {ref} at {self.host} failed: {exc}") from None
        return data

    def history(self, ref: str) -> list[dict[str, Any]]:
        """``docker history`` (newest first), for when the export did not reach the image config."""
        try:
            entries: list[dict[str, Any]] = self.client.api.history(ref)
        except (_sdk().errors.DockerException, OSError) as exc:
            raise EngineError(f"history of {ref} at {self.host} failed: {exc}") from None
        return entries

    def export(self, ref: str) -> Iterator[bytes]:
        """The image as a docker-archive (``docker save``) stream, in chunks."""
        chunks: Iterator[bytes] = self.client.api.get_image(ref, chunk_size=CHUNK_BYTES)
        return chunks

    def close(self) -> None:
        with contextlib.suppress(Exception):  # closing a connection we are done with: nothing to report
            self.client.close()


def _sdk() -> Any:
    """The SDK, imported when an engine is needed (it costs a third of a second at import)."""
    import docker  # noqa: PLC0415
    import docker.errors  # noqa: PLC0415

    return docker


def engine_host(configured: str | None) -> tuple[str, bool]:
    """(host, from the environment)."""
    if configured:
        return configured, False
    env = os.environ.get("DOCKER_HOST")
    return (env, True) if env else (DEFAULT_HOST, False)


def connect(configured: str | None, timeout: float) -> Engine:
    """A client that answered a ping, or ``EngineUnreachable`` naming the host."""
    host, from_env = engine_host(configured)
    shown = redact_text(host)
    docker = _sdk()
    try:
        # from_env also honours DOCKER_TLS_VERIFY and DOCKER_CERT_PATH, as the Docker CLI does
        client = docker.from_env(timeout=timeout) if from_env else docker.DockerClient(base_url=host, timeout=timeout)
        client.ping()
        # the API version the client negotiated (asking /version again costs a second on podman)
        version = getattr(client.api, "api_version", None)
    except Exception as exc:  # the SDK raises DockerException, requests errors, or ValueError for bad URLs
        reason = redact_text(str(exc).strip() or type(exc).__name__)
        raise EngineUnreachable(f"no container engine answers at {shown}: {reason[:300]}") from None
    return Engine(shown, str(version) if version else None, client)
