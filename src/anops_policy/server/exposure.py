"""Who can reach the server, decided before it listens: plaintext and anonymous calls only on loopback.

A server on any other address must speak TLS and know who calls (an OIDC issuer or a client CA), or be
told ``--insecure`` explicitly; otherwise it refuses to start (exit 2) and says what to add. Knowing who
calls is not enough when a CI's issuer is trusted with neither required claims nor an authorisation policy:
GitHub's and GitLab's issuers sign a token for any audience a job asks for, so every job of every
repository they serve would be a verified caller able to write every stream — that too needs
``--insecure`` off loopback.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from anops_policy.errors import ConfigError


def listen_host(listen: str) -> str:
    """The host of ``HOST:PORT`` (``[::1]:50051`` → ``::1``)."""
    host = listen.rpartition(":")[0]
    return host[1:-1] if host.startswith("[") and host.endswith("]") else host


def is_loopback(host: str) -> bool:
    """True only for addresses no other machine can reach: 127.0.0.0/8, ::1 and ``localhost``. Any other
    name may resolve to a public address (and 0.0.0.0 is every address)."""
    if host.lower() in ("localhost", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Exposure:
    listen: str
    tls: bool
    authenticated: bool  # an OIDC issuer or a client CA decides who calls
    insecure: bool  # serve --insecure: the operator accepts plaintext or anonymous callers off loopback
    # issuers trusted without required claims while no authorisation policy narrows who writes what
    unconstrained_issuers: tuple[str, ...] = ()

    def warnings(self) -> list[str]:
        """What the start-up log must say; raises ConfigError when the server must not start."""
        host = listen_host(self.listen)
        loopback = is_loopback(host)
        out: list[str] = []
        if not loopback and not self.insecure:
            missing = []
            if not self.tls:
                missing.append("TLS (--tls-cert and --tls-key)")
            if not self.authenticated:
                missing.append("caller identity (--auth-config with issuers, or --tls-client-ca)")
            if not missing and self.unconstrained_issuers:
                raise ConfigError(
                    f"serve --listen {self.listen}: {host} is not a loopback address, and the issuer(s) "
                    f"{', '.join(self.unconstrained_issuers)} are trusted with neither required claims "
                    "(issuers[].claims) nor an authorisation policy (authorisation:): every job that issuer "
                    "gives a token to, in any repository, could record decisions under any stream. Add "
                    "either, listen on 127.0.0.1, or pass --insecure to accept that explicitly"
                )
            if missing:
                raise ConfigError(
                    f"serve --listen {self.listen}: {host} is not a loopback address, and the server has no "
                    f"{' and no '.join(missing)}: anyone who can reach it could record decisions under any "
                    "stream. Add them, listen on 127.0.0.1, or pass --insecure to accept that explicitly"
                )
        if not self.tls and not loopback:
            out.append(f"--insecure: serving plaintext on {host}: calls, tokens and decisions cross the network "
                       "unencrypted")
        if not self.authenticated:
            where = "loopback only" if loopback else f"{host} (--insecure)"
            out.append(f"no OIDC issuer and no client CA: anonymous calls are accepted ({where})")
        return out
