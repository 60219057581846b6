"""``serve --pack-refresh SECONDS``: a server that follows its remote packs. Every interval, each remote
source (``oci://`` tag, ``git+URL#REF:PATH`` branch or tag, ``https://`` archive) is resolved again; a new
revision is fetched and verified as ``eval`` verifies a pack (archive against its manifest and digest,
engine range, an Ed25519 signature by a trusted key, the pack's static check), then swapped in whole
(revisions.py) between calls. A revision that fails any step is rejected — a log line and the
``anops.pack.refreshes{outcome=rejected}`` metric — and the previous revision keeps serving; it is not
fetched again while the source still names it."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from anops_policy.config import RepoConfig
from anops_policy.errors import AnopsError, ConfigError
from anops_policy.packs import git as git_source
from anops_policy.packs import https as https_source
from anops_policy.packs import oci
from anops_policy.packs.archive import Archive
from anops_policy.packs.fetch_errors import Unreachable
from anops_policy.packs.manifest import sha256_of
from anops_policy.packs.opening import materialize
from anops_policy.packs.resolve import PackOptions, trust_for
from anops_policy.packs.sources import GIT, OCI, Source, parse_source
from anops_policy.pipeline.inputs import visible_inputs
from anops_policy.pipeline.patterns import visible_config_patterns
from anops_policy.policy.model import Pack
from anops_policy.server.revisions import Revisions, short
from anops_policy.telemetry import tracing

log = logging.getLogger("anops_policy.server")
_COMMIT = re.compile(r"^[0-9a-f]{40}$")
MAX_REMEMBERED = 64  # rejected revisions remembered per source
UNCHANGED, UPDATED, REJECTED, UNREACHABLE, FAILED = "unchanged", "updated", "rejected", "unreachable", "error"


@dataclass
class Followed:
    """One followed source and what it serves now."""

    source: Source
    pack_id: str
    digest: str  # the pack digest of the revision serving now
    pinned: str = ""  # the OCI manifest digest or git commit it came from ("" until known; https has none)
    rejected: set[str] = field(default_factory=set)  # revisions already rejected (pins, or archive sha256)
    problem: str = ""  # the last problem logged, so that a source that stays broken is logged once


@dataclass(frozen=True)
class FollowPlan:
    """What ``serve`` follows: the remote sources, the keys a new revision must be signed by, the inputs the
    static check sees (the config's, as at start) and the interval."""

    followed: tuple[Followed, ...]
    keys: tuple[Ed25519PublicKey, ...]
    inputs: Mapping[str, Any]
    interval_s: float

    def describe(self) -> str:
        return ", ".join(f.source.text for f in self.followed)


def plan_following(config: RepoConfig, policies: Sequence[Path], refs: Sequence[str], packs: Sequence[Pack],
                   options: PackOptions, interval_s: float) -> FollowPlan:
    """The remote sources among the server's packs (``packs`` as loaded at start) and how to verify them;
    ConfigError (exit 2) when there is nothing to follow or no trusted key to verify a new revision with."""
    if policies or refs:
        sources = [parse_source(ref, None) for ref in refs]
    else:
        base = Path(config.file).parent if config.file else Path()
        sources = [parse_source(ref, base, where="config packs") for ref in config.packs]
    remote = [s for s in sources if s.remote and not _fixed(s)]
    if not remote:
        fixed = [s.text for s in sources if s.remote]
        if fixed:
            raise ConfigError("serve --pack-refresh: " + ", ".join(fixed) + " names one revision (a digest or a "
                              "commit), which never changes; follow a tag or branch instead")
        raise ConfigError("serve --pack-refresh: none of the server's packs is remote (oci://, git+URL#REF:PATH, "
                          "https://); a folder, archive or builtin pack has no new revision to follow")
    keys = trust_for(config, Path(), options).keys
    if not keys:
        raise ConfigError(
            "serve --pack-refresh: following " + ", ".join(s.text for s in remote) + " needs a trust policy "
            "(--pack-key FILE, or trust: {pack_keys: [...]} in the config): a new revision is used only when "
            "signed by a trusted key (the lock file pins one revision and cannot vouch for the next)"
        )
    by_source = {p.source: p for p in packs}
    followed = tuple(Followed(s, by_source[s.text].id, by_source[s.text].digest) for s in remote)
    inputs = {**visible_inputs(config, {}), **visible_config_patterns(config)}
    return FollowPlan(followed, keys, inputs, interval_s)


def _fixed(source: Source) -> bool:
    """A reference that names one revision: an OCI digest, a git commit."""
    return bool(source.kind == OCI and source.digest) or (source.kind == GIT and _COMMIT.match(source.tag) is not None)


def _pin(source: Source) -> str:
    """What the reference names now, cheaply: a manifest digest or commit ("" for https: fetched whole)."""
    if source.kind == OCI:
        return oci.resolve(source)
    if source.kind == GIT:
        return git_source.resolve(source)
    return ""


def _fetch(source: Source, pin: str) -> Archive:
    if source.kind == OCI:
        return oci.fetch(source, pin)
    if source.kind == GIT:
        return git_source.fetch(source, pin)
    return https_source.fetch(source)


class PackFollower:
    """The thread that checks the followed sources every interval and swaps verified revisions in."""

    def __init__(self, plan: FollowPlan, revisions: Revisions) -> None:
        self.plan = plan
        self._revisions = revisions
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="anops-pack-follow", daemon=True)

    def start(self) -> None:
        log.info("following %s: checking every %gs", self.plan.describe(), self.plan.interval_s)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _loop(self) -> None:
        next_at = time.monotonic() + self.plan.interval_s
        while not self._stop.wait(max(0.0, next_at - time.monotonic())):
            for followed in self.plan.followed:
                if self._stop.is_set():
                    return
                self.check(followed)
            # checks that ran long do not pile up: the next one is an interval after this one, at the latest
            next_at = max(next_at + self.plan.interval_s, time.monotonic())

    def check(self, followed: Followed) -> str:
        """Check one source now; returns the outcome (also counted in ``anops.pack.refreshes``)."""
        started = time.monotonic()
        outcome = FAILED
        try:
            outcome = self._check(followed, started)
        except Unreachable as exc:
            outcome = UNREACHABLE
            self._problem(followed, logging.WARNING, f"cannot check for a new revision: {exc}")
        except AnopsError as exc:
            outcome = REJECTED
            self._problem(followed, logging.ERROR, f"new revision rejected: {exc}")
        except Exception as exc:  # a bug here must not stop the following, nor the serving
            self._problem(followed, logging.ERROR, f"checking for a new revision failed: {type(exc).__name__}: {exc}")
        finally:
            tracing.record_pack_refresh(followed.pack_id, outcome, time.monotonic() - started)
        return outcome

    def _check(self, followed: Followed, started: float) -> str:
        source = followed.source
        pin = _pin(source)
        if pin and (pin == followed.pinned or pin in followed.rejected):
            return UNCHANGED
        archive: Archive | None = None
        try:
            archive = _fetch(source, pin)
            # https has no pin: the archive's bytes name the revision
            key = pin or sha256_of(archive.raw)
            if key == followed.pinned or key in followed.rejected:
                return UNCHANGED
            # every new revision is verified whole, even one that claims the digest serving now
            opened = materialize(archive, source, self.plan.keys, pinned=False, where_pinned=pin,
                                 extra_inputs=self.plan.inputs, require_signature=True)
            if opened.pack.id != followed.pack_id:
                raise ConfigError(f"{source.text}: it now holds pack '{opened.pack.id}', not '{followed.pack_id}'; "
                                  "a followed source must keep its pack id (restart the server to change packs)")
        except Unreachable:
            raise
        except AnopsError:
            rejected = pin or (sha256_of(archive.raw) if archive is not None else "")
            if rejected:
                if len(followed.rejected) >= MAX_REMEMBERED:  # bounded, whatever is pushed: the oldest are
                    followed.rejected.clear()  # forgotten (checked again only if the source names them again)
                followed.rejected.add(rejected)  # the same bad revision is not fetched and logged again
            raise
        pack = opened.pack
        previous = followed.digest
        followed.pinned, followed.problem = key, ""
        if pack.digest == previous:  # the same content re-pushed or re-signed: nothing to swap
            return UNCHANGED
        snapshot = self._revisions.swap(lambda packs: [pack if p.id == followed.pack_id else p for p in packs])
        followed.digest = pack.digest
        where = f" ({'commit' if source.kind == GIT else 'manifest'} {pin[:19]})" if pin else ""
        log.info("pack %s: now serving revision %s (version %s) from %s%s, replacing %s; fetched, verified and "
                 "loaded in %.2fs; snapshot %d", pack.id, short(pack.digest), pack.version, source.text, where,
                 short(previous), time.monotonic() - started, snapshot.generation)
        return UPDATED

    def _problem(self, followed: Followed, level: int, message: str) -> None:
        message = " ".join(line.strip() for line in message.splitlines())  # one log line, whatever the error
        if message == followed.problem:
            return  # a source that stays broken was already logged; the metric still counts each check
        followed.problem = message
        log.log(level, "pack %s: %s; still serving revision %s", followed.pack_id, message, short(followed.digest))

