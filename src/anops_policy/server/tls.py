"""TLS for ``serve``: the certificate files, checked before the server listens, and reloaded while it runs.

gRPC's dynamic server credentials ask a fetcher for a new certificate configuration as each connection is
being set up; established connections and their calls keep the configuration they started with, so a
reload drops nothing. The fetcher here answers "no change" unless SIGHUP asked for a reload or one of the
files changed (their size and mtime are looked at most once a second). A reload whose files do not load (a
half-written key, a certificate that does not match its key) is logged and ignored: the current
certificate keeps serving.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import grpc
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from anops_policy.errors import ConfigError

log = logging.getLogger("anops_policy.server")
STAT_INTERVAL_S = 1.0
MAX_PEM_BYTES = 1024 * 1024


@dataclass(frozen=True)
class TlsFiles:
    cert: Path  # the server's certificate chain (PEM, leaf first)
    key: Path  # its private key (PEM, unencrypted)
    client_ca: Path | None = None  # mutual TLS: client certificates must chain to these CA certificates


@dataclass(frozen=True)
class LoadedTls:
    key: bytes
    chain: bytes
    client_ca: bytes | None
    description: str  # the leaf's subject and expiry, for the log


def _read(path: Path, what: str) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_PEM_BYTES:
            raise ConfigError(f"{what} {path}: {size} bytes is not a PEM file (over {MAX_PEM_BYTES} bytes)")
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{what} {path}: cannot read: {exc.strerror or exc}") from None


def load_tls(files: TlsFiles) -> LoadedTls:
    """Read and check the files (certificates parse, the key parses and belongs to the leaf certificate);
    ConfigError naming the file otherwise."""
    chain = _read(files.cert, "--tls-cert")
    key = _read(files.key, "--tls-key")
    try:
        certificates = x509.load_pem_x509_certificates(chain)
    except ValueError as exc:
        raise ConfigError(f"--tls-cert {files.cert}: not a PEM certificate chain ({exc})") from None
    try:
        private = serialization.load_pem_private_key(key, password=None)
    except (ValueError, TypeError) as exc:
        raise ConfigError(
            f"--tls-key {files.key}: not an unencrypted PEM private key ({exc})"
        ) from None
    leaf = certificates[0]
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    if private.public_key().public_bytes(serialization.Encoding.DER, spki) != leaf.public_key().public_bytes(
        serialization.Encoding.DER, spki
    ):
        raise ConfigError(f"--tls-key {files.key}: does not belong to the certificate in {files.cert}")
    client_ca = None
    if files.client_ca is not None:
        client_ca = _read(files.client_ca, "--tls-client-ca")
        try:
            x509.load_pem_x509_certificates(client_ca)
        except ValueError as exc:
            raise ConfigError(f"--tls-client-ca {files.client_ca}: not PEM CA certificates ({exc})") from None
    description = f"{leaf.subject.rfc4514_string() or '(empty subject)'}, valid until " \
                  f"{leaf.not_valid_after_utc.isoformat()}"
    return LoadedTls(key, chain, client_ca, description)


def _configuration(loaded: LoadedTls) -> grpc.ServerCertificateConfiguration:
    return grpc.ssl_server_certificate_configuration([(loaded.key, loaded.chain)], root_certificates=loaded.client_ca)


class CertificateReloader:
    """The fetcher behind ``grpc.dynamic_ssl_server_credentials``: a new configuration after SIGHUP
    (``request_reload``) or a change of the files, else None (keep the current one)."""

    def __init__(self, files: TlsFiles) -> None:
        self.files = files
        self.loaded = load_tls(files)  # ConfigError before the server listens
        self._stamps = self._stat()
        self._checked = time.monotonic()
        self._requested = threading.Event()
        self._lock = threading.Lock()
        self.reloads = 0

    def _paths(self) -> list[Path]:
        return [p for p in (self.files.cert, self.files.key, self.files.client_ca) if p is not None]

    def _stat(self) -> tuple[tuple[int, int, int], ...]:
        out = []
        for path in self._paths():
            try:
                info = path.stat()
                out.append((info.st_ino, info.st_size, info.st_mtime_ns))
            except OSError:
                out.append((0, -1, -1))
        return tuple(out)

    def credentials(self) -> grpc.ServerCredentials:
        return grpc.dynamic_ssl_server_credentials(
            _configuration(self.loaded), self.fetch, require_client_authentication=self.files.client_ca is not None
        )

    def request_reload(self) -> None:
        """SIGHUP: reload at the next connection (the handler only sets a flag)."""
        self._requested.set()

    def fetch(self) -> grpc.ServerCertificateConfiguration | None:
        try:
            return self._fetch()
        except Exception:  # an exception here would fail the client's handshake: keep serving the current one
            log.exception("TLS certificate reload failed; the current certificate keeps serving")
            return None

    def _fetch(self) -> grpc.ServerCertificateConfiguration | None:
        now = time.monotonic()
        requested = self._requested.is_set()
        if not requested and now - self._checked < STAT_INTERVAL_S:
            return None
        with self._lock:
            self._checked = now
            stamps = self._stat()
            if not requested and stamps == self._stamps:
                return None
            self._requested.clear()
            self._stamps = stamps
            why = "SIGHUP" if requested else "the files changed"
            try:
                loaded = load_tls(self.files)
            except ConfigError as exc:
                log.error("TLS certificate not reloaded (%s): %s; the current certificate keeps serving", why, exc)
                return None
            if loaded == self.loaded:
                return None
            self.loaded = loaded
            self.reloads += 1
            log.info("TLS certificate reloaded (%s): %s", why, loaded.description)
            return _configuration(loaded)
