"""The security options of ``serve`` (TLS, mutual TLS, the auth config, ``--insecure``) and of
``eval --server`` (the server's CA, a client certificate, the token), kept apart from the commands."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])
FILE = click.Path(path_type=Path, dir_okay=False)


def serve_security_options(f: F) -> F:
    for option in reversed([
        click.option("--tls-cert", "tls_cert", type=FILE, default=None, metavar="PEM",
                     help="Serve TLS with this certificate chain (leaf first). Reloaded on SIGHUP or when the file "
                     "changes, without dropping calls."),
        click.option("--tls-key", "tls_key", type=FILE, default=None, metavar="PEM",
                     help="The private key of --tls-cert (unencrypted PEM; reloaded with it)."),
        click.option("--tls-client-ca", "tls_client_ca", type=FILE, default=None, metavar="PEM",
                     help="Mutual TLS: accept only clients whose certificate chains to these CA certificates; the "
                     "certificate's subject is the caller's identity."),
        click.option("--auth-config", "auth_config", type=FILE, default=None, metavar="YAML",
                     help="Who may call and what they may do: OIDC issuers (issuers: [{url, audience, claims}]), "
                     "the authorisation policy and per-caller limits. See docs/service.md."),
        click.option("--insecure", "insecure", is_flag=True, default=False,
                     help="Accept plaintext or anonymous calls on a non-loopback address. Without it, such a "
                     "server refuses to start (exit 2)."),
    ]):
        f = option(f)
    return f


def serve_security(values: dict[str, Any]) -> dict[str, Any]:
    """ServeSettings fields from the options (TlsFiles; the auth config loaded and checked: exit 2 on a
    problem, before the server starts anything)."""
    from anops_policy.errors import ConfigError  # noqa: PLC0415
    from anops_policy.server.tls import TlsFiles  # noqa: PLC0415

    cert, key, client_ca = values["tls_cert"], values["tls_key"], values["tls_client_ca"]
    if (cert is None) != (key is None):
        raise ConfigError("--tls-cert and --tls-key go together (give both for TLS)")
    if client_ca is not None and cert is None:
        raise ConfigError("--tls-client-ca needs --tls-cert and --tls-key: mutual TLS is TLS first")
    out: dict[str, Any] = {"insecure": values["insecure"]}
    if cert is not None:
        out["tls"] = TlsFiles(cert, key, client_ca)
    if values["auth_config"] is not None:
        from anops_policy.identity.config import load_auth_config  # noqa: PLC0415

        out["auth"] = load_auth_config(values["auth_config"])
    return out


def client_security_options(f: F) -> F:
    for option in reversed([
        click.option("--server-ca", "server_ca", type=FILE, default=None, metavar="PEM",
                     help="With --server: speak TLS and trust the server's certificate only if it chains to "
                     "these CA certificates."),
        click.option("--server-tls", "server_tls", is_flag=True, default=False,
                     help="With --server: speak TLS, trusting the system's CA certificates."),
        click.option("--client-cert", "client_cert", type=FILE, default=None, metavar="PEM",
                     help="With --server: present this client certificate (mutual TLS; implies TLS)."),
        click.option("--client-key", "client_key", type=FILE, default=None, metavar="PEM",
                     help="The private key of --client-cert."),
        click.option("--token-file", "token_file", type=FILE, default=None, metavar="FILE",
                     help="With --server: send the OIDC token in FILE. Without it: $ANOPS_POLICY_TOKEN (in GitLab "
                     "CI, name an id_tokens entry so), else GitHub Actions' job token (permissions: "
                     "id-token: write), else no token."),
        click.option("--token-audience", "token_audience", default="anops-policy", show_default=True,
                     envvar="ANOPS_POLICY_AUDIENCE", metavar="AUD",
                     help="The audience asked for in GitHub Actions' token request: the server's issuer "
                     "'audience' ($ANOPS_POLICY_AUDIENCE)."),
    ]):
        f = option(f)
    return f


CLIENT_OPTIONS = ("server_ca", "server_tls", "client_cert", "client_key", "token_file")


def client_security(values: dict[str, Any]) -> Any:
    """The ClientSecurity of ``eval --server`` (the token is obtained here: exit 2 when it cannot be)."""
    from anops_policy.identity.ci_tokens import ci_token  # noqa: PLC0415
    from anops_policy.server.client_security import ClientSecurity  # noqa: PLC0415

    token = ci_token(values["token_file"], values["token_audience"])
    return ClientSecurity(tls=values["server_tls"], server_ca=values["server_ca"], client_cert=values["client_cert"],
                          client_key=values["client_key"], token=token)


def client_options_without_server(values: dict[str, Any]) -> list[str]:
    """The client options given although there is no --server (refused rather than ignored)."""
    return ["--" + name.replace("_", "-") for name in CLIENT_OPTIONS if values.get(name)]
