"""How ``eval --server`` reaches a server: TLS (the server's CA, a client certificate for mutual TLS) and
the bearer token sent with each call."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import grpc

from anops_policy.errors import ConfigError
from anops_policy.server.exposure import is_loopback, listen_host

MAX_PEM_BYTES = 1024 * 1024


def _read(path: Path, option: str) -> bytes:
    try:
        if path.stat().st_size > MAX_PEM_BYTES:
            raise ConfigError(f"{option} {path}: over {MAX_PEM_BYTES} bytes: not a PEM file")
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{option} {path}: cannot read: {exc.strerror or exc}") from None
    if b"-----BEGIN " not in data:
        raise ConfigError(f"{option} {path}: not a PEM file (no '-----BEGIN' line)")
    return data


@dataclass(frozen=True)
class ClientSecurity:
    tls: bool = False  # TLS with the system's CA certificates unless server_ca is given
    server_ca: Path | None = None
    client_cert: Path | None = None
    client_key: Path | None = None
    token: str | None = None  # an OIDC token (sent as `authorization: Bearer …`)

    @property
    def uses_tls(self) -> bool:
        return self.tls or self.server_ca is not None or self.client_cert is not None

    def channel_credentials(self) -> grpc.ChannelCredentials | None:
        if not self.uses_tls:
            return None
        if (self.client_cert is None) != (self.client_key is None):
            raise ConfigError("--client-cert and --client-key go together (mutual TLS needs both)")
        root = _read(self.server_ca, "--server-ca") if self.server_ca is not None else None
        key = _read(self.client_key, "--client-key") if self.client_key is not None else None
        chain = _read(self.client_cert, "--client-cert") if self.client_cert is not None else None
        return grpc.ssl_channel_credentials(root_certificates=root, private_key=key, certificate_chain=chain)

    def metadata(self, target: str) -> tuple[tuple[str, str], ...]:
        """The call metadata carrying the token; a token never crosses the network in plaintext."""
        if not self.token:
            return ()
        if not self.uses_tls and not is_loopback(listen_host(target)):
            raise ConfigError(
                f"--server {target}: not a loopback address and no TLS: the token would cross the network in "
                "plaintext. Give --server-ca FILE (or --server-tls for the system's CA certificates)"
            )
        return (("authorization", f"Bearer {self.token}"),)
