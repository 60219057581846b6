"""Waivers from ``anops-policy.yaml``: a named owner accepts one failing decision until a date.

Rules (all relative to the run's ``now``, so a run is reproducible):
* a waiver covers a ``fail`` of a ``soft`` policy only: ``hard`` policies cannot be waived, ``advisory``
  ones never block anyway, and an ``error`` is "could not decide", which no one can accept;
* it matches by policy and subject, or by the decision's fingerprint (for policies without subjects);
* past its ``expires`` date it is void and the decision says "waiver expired on …";
* an expiry beyond the maximum horizon (``waiver_max_days``, default 90) is a configuration error,
  so a waiver cannot quietly become permanent;
* the waived decision keeps its failure message and explanation; its outcome becomes ``waived`` and
  the log records the underlying ``fail``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from anops_policy.config import RepoConfig
from anops_policy.errors import ConfigError
from anops_policy.policy.model import Decision, Level, Outcome

EXPIRY_WARNING_DAYS = 14


@dataclass(frozen=True)
class Waiver:
    index: int
    policy: str
    subject: str | None
    fingerprint: str | None
    owner: str
    reason: str
    ticket: str
    expires: date
    where: str

    @property
    def target(self) -> str:
        return f"{self.policy} [{self.subject}]" if self.subject is not None else f"{self.policy} [{self.fingerprint}]"

    def matches(self, decision: Decision) -> bool:
        if decision.policy != self.policy:
            return False
        if self.fingerprint is not None and decision.fingerprint == self.fingerprint:
            return True
        return self.subject is not None and decision.subject == self.subject

    def fields(self) -> dict[str, Any]:
        return {
            "policy": self.policy, "subject": self.subject, "fingerprint": self.fingerprint, "owner": self.owner,
            "reason": self.reason, "ticket": self.ticket, "expires": self.expires.isoformat(), "config": self.where,
        }


@dataclass
class WaiverResult:
    """Per waiver what became of it (``applied``, ``expired``, ``ignored``, ``unused``), and report notes."""

    entries: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def parse_waivers(config: RepoConfig, now: datetime, known_policies: Iterable[str] | None = None) -> list[Waiver]:
    """The config's waivers, checked: real dates, within the horizon, naming known policies."""
    today = now.astimezone(UTC).date()
    horizon = config.waiver_max_days
    latest = today + timedelta(days=horizon)
    known = set(known_policies) if known_policies is not None else None
    out = []
    for index, raw in enumerate(config.waivers):
        where = config.where("waivers", index)
        try:
            expires = date.fromisoformat(str(raw["expires"]))
        except ValueError:
            raise ConfigError(f"config {config.where('waivers', index, 'expires')}: waiver expires "
                              f"'{raw['expires']}' is not a calendar date (YYYY-MM-DD)") from None
        if expires > latest:
            raise ConfigError(
                f"config {config.where('waivers', index, 'expires')}: waiver for '{raw['policy']}' expires "
                f"{expires.isoformat()}, beyond the maximum horizon of {horizon} days from {today.isoformat()} "
                f"(latest allowed {latest.isoformat()}); shorten it, or raise waiver_max_days in the config"
            )
        if known is not None and raw["policy"] not in known:
            from anops_policy.validation import suggest  # noqa: PLC0415

            raise ConfigError(f"config {config.where('waivers', index, 'policy')}: waiver for unknown policy "
                              f"'{raw['policy']}'{suggest(str(raw['policy']), known)}")
        out.append(Waiver(
            index=index, policy=str(raw["policy"]), subject=raw.get("subject"), fingerprint=raw.get("fingerprint"),
            owner=str(raw["owner"]), reason=str(raw["reason"]), ticket=str(raw["ticket"]), expires=expires,
            where=where,
        ))
    return out


def apply_waivers(decisions: Sequence[Decision], waivers: Sequence[Waiver], now: datetime) -> WaiverResult:
    """Mark covered decisions ``waived`` (not blocking) and annotate the others a waiver names."""
    today = now.astimezone(UTC).date()
    result = WaiverResult()
    for waiver in waivers:
        matched = [d for d in decisions if waiver.matches(d)]
        failing = [d for d in matched if d.outcome == Outcome.FAIL]
        expired = waiver.expires < today
        status, note = _judge(waiver, failing, expired)
        for decision in failing:
            if expired and decision.enforcement == Level.SOFT:
                decision.message = f"{decision.message} (waiver expired on {waiver.expires.isoformat()})"
                decision.waiver = {**waiver.fields(), "status": "expired", "note": note}
            elif decision.enforcement == Level.SOFT:
                decision.outcome = Outcome.WAIVED
                decision.blocking = False
                decision.waiver = {**waiver.fields(), "status": "applied", "underlying_outcome": "fail", "note": note}
            else:
                why = ("hard policies cannot be waived" if decision.enforcement == Level.HARD
                       else "advisory policies never block; waivers apply to soft policies only")
                decision.waiver = {**waiver.fields(), "status": "ignored", "note": why}
        entry = {**waiver.fields(), "status": status, "note": note,
                 "decisions": [{"subject": d.subject, "fingerprint": d.fingerprint} for d in failing]}
        result.entries.append(entry)
        if status != "applied":
            result.notes.append(f"waiver for {waiver.target} ({waiver.where}): {note}")
        days_left = (waiver.expires - today).days
        if not expired and days_left <= EXPIRY_WARNING_DAYS:
            when = "today" if days_left == 0 else f"in {days_left} day{'s' if days_left != 1 else ''}"
            result.notes.append(f"waiver for {waiver.target} (owner {waiver.owner}, {waiver.ticket}) expires on "
                                f"{waiver.expires.isoformat()} ({when})")
            entry["expiring_soon"] = True
    return result


def _judge(waiver: Waiver, failing: Sequence[Decision], expired: bool) -> tuple[str, str]:
    if expired:
        return "expired", f"waiver expired on {waiver.expires.isoformat()}"
    if not failing:
        return "unused", "matches no failing decision in this run (remove it once the fix has landed)"
    if any(d.enforcement == Level.SOFT for d in failing):
        return "applied", f"waived by {waiver.owner} until {waiver.expires.isoformat()} ({waiver.ticket})"
    if all(d.enforcement == Level.HARD for d in failing):
        return "ignored", f"policy {waiver.policy} is hard on this date: hard policies cannot be waived"
    return "ignored", f"policy {waiver.policy} is advisory: it never blocks, and waivers apply to soft policies only"
