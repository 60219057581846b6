"""``anops-policy serve`` and the ``eval --server`` hook. gRPC is imported only when one of them runs, so
every other command (and ``--version``) starts without it."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from anops_policy.cli.options import config_option, pack_key_option, pack_option, policies_option
from anops_policy.cli.service_security import serve_security, serve_security_options
from anops_policy.cli.targets import LOG_HELP, LOG_TARGET

DEFAULT_LISTEN = "127.0.0.1:50051"
DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024


@click.command("serve")
@click.option(
    "--listen",
    default=DEFAULT_LISTEN,
    show_default=True,
    metavar="HOST:PORT",
    help="Address to listen on (port 0 picks a free port; the log line 'serving … on HOST:PORT' names it).",
)
@policies_option
@pack_option
@pack_key_option
@click.option(
    "--pack-refresh",
    "pack_refresh_s",
    type=click.FloatRange(min=1, max=86400),
    default=None,
    metavar="SECONDS",
    help="Follow the remote packs (oci://, git+, https://): every SECONDS, resolve them again and swap a new "
    "revision in between calls once it is verified (signed by a --pack-key or trust.pack_keys key) and checked; "
    "a bad one is rejected (log line, anops.pack.refreshes metric) and the current one keeps serving.",
)
@config_option
@click.option(
    "--max-workers",
    "max_workers",
    type=click.IntRange(min=1, max=256),
    default=None,
    help="Evaluation worker processes, i.e. evaluations running at once (default: the number of CPUs).",
)
@click.option(
    "--max-message-bytes",
    "max_message_bytes",
    type=click.IntRange(min=1024),
    default=DEFAULT_MAX_MESSAGE_BYTES,
    show_default=True,
    help="Largest fact document a request may carry.",
)
@click.option(
    "--max-evaluation-seconds",
    "max_evaluation_s",
    type=click.FloatRange(min=0.1, max=3600),
    default=120.0,
    show_default=True,
    help="Bound on one evaluation, whatever deadline the client sets (the evaluation is then stopped).",
)
@click.option(
    "--max-jobs-per-worker",
    "max_jobs",
    type=click.IntRange(min=0),
    default=250,
    show_default=True,
    help="Replace a worker process after this many evaluations (bounds memory a library keeps; 0: never).",
)
@click.option(
    "--decision-log",
    "decision_log",
    type=LOG_TARGET,
    default=None,
    help="Append every evaluation to this decision log (hash-chained; its id is in each response): " + LOG_HELP
    + ". With a store, each request's stream gets its own chain, replicas may share one store, a call that cannot "
    "be recorded is answered UNAVAILABLE and the health service turns NOT_SERVING until the store answers again.",
)
@click.option(
    "--decision-log-optional",
    "decision_log_optional",
    is_flag=True,
    help="Answer a call even when its evaluation cannot be recorded (the store is down, the file unwritable): the "
    "answer has no decision id and carries a note that eval --server prints, the server logs a warning and counts "
    "it in anops.decisions.unrecorded, health stays SERVING, and a server whose log cannot be reached at start "
    "starts anyway. Without it the server fails closed. "
    "Choose it only where an answer matters more than a complete audit trail.",
)
@click.option(
    "--trace-file",
    "trace_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write a span per RPC to FILE as JSON lines (OTLP export: OTEL_EXPORTER_OTLP_ENDPOINT).",
)
@click.option(
    "--grace",
    "grace_s",
    type=click.FloatRange(min=0, max=3600),
    default=30.0,
    show_default=True,
    help="On SIGTERM/SIGINT, seconds running calls get to finish (health reports NOT_SERVING meanwhile).",
)
@serve_security_options
def serve_cmd(
    listen: str,
    policies: tuple[Path, ...],
    pack_refs: tuple[str, ...],
    pack_keys: tuple[Path, ...],
    pack_refresh_s: float | None,
    config_file: Path | None,
    max_workers: int | None,
    max_message_bytes: int,
    max_evaluation_s: float,
    max_jobs: int,
    decision_log: Path | str | None,
    decision_log_optional: bool,
    trace_file: Path | None,
    grace_s: float,
    **security: Any,
) -> None:
    """Serve policy decisions over gRPC (anops.policy.v1.PolicyService, grpc.health.v1, reflection).

    The packs (--policies, else the config's packs, else the built-in pack) are loaded and statically
    checked once, at start: a pack with a problem stops the server before it listens (exit 2). Clients
    send fact documents; the server never reads a file or path a client names. With --pack-refresh, the
    remote packs are followed: each answer names the pack digest that judged it.

    \b
    Examples:
      anops-policy serve
      anops-policy serve --listen 0.0.0.0:50051 --policies ./my-pack --max-workers 4
      anops-policy serve --pack oci://registry.example/platform/my-pack:stable --pack-key platform.pub \
          --pack-refresh 60
      anops-policy serve --listen 0.0.0.0:50051 --tls-cert server.pem --tls-key server.key \
          --auth-config auth.yaml          (TLS; callers identified by their CI's OIDC token)
      anops-policy serve --listen 0.0.0.0:50051 --tls-cert server.pem --tls-key server.key \
          --tls-client-ca clients-ca.pem    (mutual TLS: the client certificate is the identity)
      anops-policy eval --server 127.0.0.1:50051       (a client: collect here, judge there)
    """
    from anops_policy.config import RepoConfig, load_config  # noqa: PLC0415
    from anops_policy.errors import ConfigError  # noqa: PLC0415
    from anops_policy.packs.resolve import PackOptions  # noqa: PLC0415
    from anops_policy.pipeline.run import resolve_packs  # noqa: PLC0415

    if config_file is not None and not config_file.is_file():
        raise ConfigError(f"serve --config {config_file}: no such file")
    config = load_config(config_file) if config_file is not None else RepoConfig()
    options = PackOptions(pack_keys=pack_keys)
    packs = resolve_packs(config, policies, pack_refs, options=options)
    follow = None
    if pack_refresh_s is not None:
        from anops_policy.server.pack_follow import plan_following  # noqa: PLC0415

        follow = plan_following(config, policies, pack_refs, packs, options, pack_refresh_s)
    host, sep, port = listen.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise click.BadParameter(f"'{listen}': expected HOST:PORT, e.g. 127.0.0.1:50051", param_hint="--listen")
    if decision_log_optional and decision_log is None:
        raise click.UsageError("--decision-log-optional needs --decision-log: it says what to do when that log fails")

    secured = serve_security(security)
    from anops_policy.server.app import ServeSettings, serve  # noqa: PLC0415
    from anops_policy.server.service import Limits  # noqa: PLC0415

    workers = max_workers or os.cpu_count() or 1
    limits = Limits(
        max_message_bytes=max_message_bytes, max_evaluation_s=max_evaluation_s, max_policy_deadline_s=max_evaluation_s
    )
    # threads only wait for workers, so there are more of them: health checks and listings stay answered
    # while every worker is busy
    settings = ServeSettings(
        listen=listen, workers=workers, limits=limits, grace_s=grace_s, threads=workers * 4 + 8,
        decision_log=decision_log.resolve() if isinstance(decision_log, Path) else decision_log, trace_file=trace_file,
        max_jobs_per_worker=max_jobs, follow=follow, decision_log_optional=decision_log_optional, **secured,
    )
    sys.exit(serve(packs, settings))


def remote_eval(request: Any, server: str, security: Any = None) -> Any:
    """``eval --server``: the engine's ``run_eval`` result, judged by ``server``."""
    host, sep, port = server.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise click.BadParameter(f"'{server}': expected HOST:PORT, e.g. 127.0.0.1:50051", param_hint="--server")
    if request.decision_log is not None or request.signing_key is not None:
        # refused rather than ignored: a user asking for a local record must not believe one was written
        raise click.UsageError(
            "--decision-log and --signing-key do not apply with --server: the server keeps the decision log "
            "(anops-policy serve --decision-log FILE)"
        )
    from anops_policy.server.remote_eval import remote_eval as run  # noqa: PLC0415

    return run(request, server, security)
