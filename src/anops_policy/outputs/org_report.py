"""``audit report --html`` over a whole store: one static page for every stream (repository) of it.

The same self-contained construction as the one-log page (audit_report.py): inline CSS and SVG, no
script, no external resource, a CSP of ``default-src 'none'``. It shows, for the organisation: each
repository's chain, latest evaluation, items satisfied and trend; which checklist items each
repository satisfies (one matrix, the repositories as rows); the waivers that expired or expire within
``EXPIRY_DAYS``; whether each repository's latest commit is signed off; and the latest sign-offs.
It reads plain data (each stream's events and its verification), never the store itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from anops_policy.outputs.audit_report import CSP, EXTRA_CSS, _applicable, _count, _e, _rate, _short, _time, trend_svg
from anops_policy.outputs.html import CSS, STATUS

__all__ = ["StreamAudit", "render_org_html"]

EXPIRY_DAYS = 30
MAX_SIGNOFFS = 200
SPARK_POINTS = 30
ORG_CSS = """
main{max-width:1400px}.matrix td,.matrix th{padding:3px 4px;text-align:center;font-size:12px}
.matrix td:first-child,.matrix th:first-child{text-align:left;white-space:nowrap}
.bar{display:inline-block;height:8px;background:#d1d9e0;border-radius:4px;width:80px;vertical-align:middle}
.bar i{display:block;height:8px;background:#1a7f37;border-radius:4px}.spark{vertical-align:middle}
tr.broken td{background:#fff5f5}
"""


@dataclass(frozen=True)
class StreamAudit:
    """One stream's records and its ``VerifyResult.to_json()``."""

    stream: str
    events: Sequence[Mapping[str, Any]]
    verification: Mapping[str, Any]

    @property
    def evals(self) -> list[Mapping[str, Any]]:
        return [e for e in self.events if e.get("kind") == "eval"]

    @property
    def signoffs(self) -> list[Mapping[str, Any]]:
        return [e for e in self.events if e.get("kind") == "signoff"]


COUNTS = ("items_total", "items_applicable", "items_satisfied", "blocking_failures")


def _shaped(event: Mapping[str, Any]) -> dict[str, Any]:
    """``event`` with the parts this page reads in the shape it reads them: records come from hand-editable
    files and rows, and the page is drawn for a broken chain too, so a ``summary``, ``repo`` or ``override``
    that is not a mapping, an item or waiver that is not one, or a count that is not a whole number is left
    out rather than failing the page."""
    out = dict(event)
    raw = event.get("summary")
    summary: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    out["summary"] = {k: v for k, v in summary.items()
                      if k not in COUNTS or (isinstance(v, int) and not isinstance(v, bool) and v >= 0)}
    for name in ("repo", "override"):
        if name in out and not isinstance(out[name], Mapping):
            del out[name]
    for name in ("items", "waivers"):
        values = out.get(name)
        out[name] = [v for v in values if isinstance(v, Mapping)] if isinstance(values, list) else []
    return out


def _bound_signoffs(audit: StreamAudit) -> list[tuple[Mapping[str, Any], bool]]:
    """Each sign-off with whether it is bound to an evaluation of this stream (same decision, hash, commit)."""
    evals = {str(e.get("decision_id")): e for e in audit.evals}
    out = []
    for s in audit.signoffs:
        target = evals.get(str(s.get("decision_id")))
        bound = target is not None and target.get("hash") == s.get("decision_hash") \
            and (target.get("repo") or {}).get("commit") == s.get("commit")
        out.append((s, bound))
    return out


def _signed_commits(audit: StreamAudit) -> dict[str, Mapping[str, Any]]:
    return {str(s.get("commit")): s for s, bound in _bound_signoffs(audit) if bound and s.get("commit")}


def _days_left(expires: Any, today: date) -> int | None:
    try:
        return (date.fromisoformat(str(expires)) - today).days
    except ValueError:
        return None


def spark_svg(evals: Sequence[Mapping[str, Any]], width: int = 120, height: int = 24) -> str:
    """The last evaluations' share of applicable items satisfied, as a small line."""
    rates = [r for e in evals[-SPARK_POINTS:] if (r := _rate(e)) is not None]
    if not rates:
        return '<span class="none small">no data</span>'
    step = (width - 4) / max(len(rates) - 1, 1)
    points = " ".join(f"{2 + i * step:.1f},{2 + (height - 4) * (1 - r):.1f}" for i, r in enumerate(rates))
    last_x, last_y = points.rsplit(" ", 1)[-1].split(",")
    return (f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="trend of the last {len(rates)} evaluations"><polyline points="{points}" fill="none" '
            f'stroke="#0969da" stroke-width="1.5"/><circle cx="{last_x}" cy="{last_y}" r="2" fill="#0969da"/>'
            f"<title>{len(rates)} evaluations: {rates[0]:.0%} → {rates[-1]:.0%}</title></svg>")


def _daily(audits: Sequence[StreamAudit]) -> list[dict[str, Any]]:
    """The organisation's trend: per day, each repository's last evaluation of that day, added up."""
    days: dict[str, dict[str, Mapping[str, Any]]] = {}
    for audit in audits:
        for event in audit.evals:
            days.setdefault(str(event.get("time", ""))[:10], {})[audit.stream] = event
    out = []
    for day, latest in sorted(days.items()):
        summaries = [e.get("summary") or {} for e in latest.values()]
        satisfied = sum(int(s.get("items_satisfied") or 0) for s in summaries)
        applicable = sum(int(_applicable(s) or 0) for s in summaries)
        blocking = sum(int(s.get("blocking_failures") or 0) for s in summaries)
        out.append({"seq": day, "time": day, "summary": {
            "items_satisfied": satisfied, "items_applicable": applicable, "blocking_failures": blocking,
            "line": f"{len(latest)} repositories: {satisfied} of {applicable} applicable items satisfied · "
                    f"{blocking} blocking failures"}})
    return out


def render_org_html(audits: Sequence[StreamAudit], *, store_name: str, generated_at: datetime | None = None) -> str:
    """The audit page of a whole store (see the module's docstring)."""
    audits = [StreamAudit(a.stream, [_shaped(e) for e in a.events if isinstance(e, Mapping)], a.verification)
              for a in audits]
    now = generated_at or datetime.now(UTC)
    when = now.isoformat(timespec="seconds").replace("+00:00", "Z")
    records = sum(len(a.events) for a in audits)
    evals = sum(len(a.evals) for a in audits)
    broken = [a for a in audits if not a.verification.get("ok")]
    latest = {a.stream: a.evals[-1] for a in audits if a.evals}
    blocked = sum(1 for e in latest.values() if int((e.get("summary") or {}).get("blocking_failures") or 0))
    signed = sum(1 for a in audits if a.stream in latest
                 and str((latest[a.stream].get("repo") or {}).get("commit")) in _signed_commits(a))
    waivers = _expiring(audits, now.date())
    cards = [
        (f'<b class="{"bad" if broken else "ok"}">{len(audits) - len(broken)} / {len(audits)}</b>chains intact'),
        f"<b>{evals}</b>evaluations ({records} records)",
        f'<b class="{"bad" if blocked else "ok"}">{blocked}</b>repositories blocked now',
        f"<b>{signed} / {len(latest)}</b>latest commits signed off",
        f'<b class="{"warn" if waivers else "ok"}">{len(waivers)}</b>waivers expired or expiring',
    ]
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>anops-policy audit · {_e(store_name)}</title>",
        f"<style>{CSS.strip()}{EXTRA_CSS.strip()}{ORG_CSS.strip()}</style></head><body><main>",
        f"<h1>Decision store audit · <code>{_e(store_name)}</code></h1>",
        f'<div class="meta">{_count(len(audits), "repository stream")}'
        f" · {_count(records, 'record')} · {_count(evals, 'evaluation')} · generated {_e(when)}</div>",
        '<div class="cards">' + "".join(f'<div class="card">{c}</div>' for c in cards) + "</div>",
    ]
    if broken:
        out.append("<h2>Broken chains</h2><ul>" + "".join(
            f'<li class="bad"><a href="#{_anchor(a.stream)}">{_e(a.stream)}</a>: '
            f"{_e(((a.verification.get('problems') or [{}])[0]).get('text'))}</li>" for a in broken) + "</ul>")
    days = _daily(audits)
    daily = trend_svg(days, unit=f"day{'' if len(days) == 1 else 's'} (each repository's last evaluation of a day, "
                      "added up)")
    out += ["<h2>Trend across the organisation</h2>", f'<div class="chart">{daily}</div>']
    out += _repositories(audits)
    out += _matrix(audits)
    out += _waiver_table(waivers)
    out += _signoff_table(audits)
    out.append("</main></body></html>")
    # a lone surrogate (a "\ud800" escape in a hand-written record) has no UTF-8 form: shown replaced
    return ("\n".join(out) + "\n").encode("utf-8", "replace").decode("utf-8")


def _anchor(stream: str) -> str:
    return "s-" + "".join(c if c.isalnum() else "-" for c in stream)


def _repositories(audits: Sequence[StreamAudit]) -> list[str]:
    rows = []
    for a in audits:
        evals = a.evals
        ok = bool(a.verification.get("ok"))
        chain = '<span class="ok">✓ intact</span>' if ok else '<span class="bad">✗ BROKEN</span>'
        if not evals:
            rows.append(f'<tr id="{_anchor(a.stream)}"{"" if ok else " class=broken"}><td>{_e(a.stream)}</td>'
                        f'<td>{chain}</td><td class="num">{len(a.events)}</td>'
                        '<td colspan="6" class="none">no evaluation recorded</td></tr>')
            continue
        last = evals[-1]
        summary = last.get("summary") or {}
        applicable, satisfied = int(_applicable(summary) or 0), int(summary.get("items_satisfied") or 0)
        blocking = int(summary.get("blocking_failures") or 0)
        commit = str((last.get("repo") or {}).get("commit"))
        signoff = _signed_commits(a).get(commit)
        signed = (f'<span class="ok">✓ {_e(signoff.get("by"))}</span>' if signoff is not None
                  else '<span class="warn">pending</span>')
        width = 100 * satisfied / applicable if applicable else 0
        rows.append(
            f'<tr id="{_anchor(a.stream)}"{"" if ok else " class=broken"}><td>{_e(a.stream)}</td><td>{chain}</td>'
            f'<td class="num">{len(a.events)}</td><td>{_e(_time(last.get("time")))}</td>'
            f"<td><code>{_e(_short(commit))}</code></td>"
            f'<td class="num">{satisfied} / {applicable} <span class="bar"><i style="width:{width:.0f}%"></i>'
            f'</span></td><td class="num {"bad" if blocking else "ok"}">{blocking}</td>'
            f"<td>{spark_svg(evals)}</td><td>{signed}</td></tr>")
    return ["<h2>Repositories</h2>",
            "<table><tr><th>repository (stream)</th><th>chain</th><th>records</th><th>last evaluation</th>"
            "<th>commit</th><th>applicable items satisfied</th><th>blocking</th><th>trend</th>"
            "<th>latest commit signed off</th></tr>" + "".join(rows) + "</table>"]


def _matrix(audits: Sequence[StreamAudit]) -> list[str]:
    columns: dict[tuple[str, str], str] = {}
    for a in audits:
        for item in (a.evals[-1].get("items") or []) if a.evals else []:
            columns.setdefault((str(item.get("pack")), str(item.get("id"))), str(item.get("title")))
    if not columns:
        return ["<h2>Checklist items by repository</h2>", '<p class="none">no evaluation recorded</p>']
    satisfied = dict.fromkeys(columns, 0)
    rows = []
    for a in audits:
        if not a.evals:
            continue
        status = {(str(i.get("pack")), str(i.get("id"))): str(i.get("status")) for i in a.evals[-1].get("items") or []}
        cells = []
        for key in columns:
            mark, cls = STATUS.get(status.get(key, ""), ("", "none"))
            satisfied[key] += status.get(key) == "satisfied"
            cells.append(f'<td class="{cls}" title="{_e(status.get(key, "not in this pack"))}">{mark}</td>')
        rows.append(f"<tr><td>{_e(a.stream)}</td>{''.join(cells)}</tr>")
    packs = len({pack for pack, _id in columns})
    head = "".join(f'<th title="{_e(title)}">{_e(item if packs == 1 else pack + " " + item)}</th>'
                   for (pack, item), title in columns.items())
    foot = "".join(f'<td class="num">{n}</td>' for n in satisfied.values())
    legend = " · ".join(f"{mark} {name.replace('_', ' ')}" for name, (mark, _c) in STATUS.items())
    return ["<h2>Checklist items by repository</h2>",
            f'<p class="none small">each repository\'s latest evaluation; hover an item for its title · {legend}</p>',
            f'<table class="matrix"><tr><th>repository</th>{head}</tr>{"".join(rows)}'
            f"<tr><th>satisfied in</th>{foot}</tr></table>"]


def _expiring(audits: Sequence[StreamAudit], today: date) -> list[tuple[str, Mapping[str, Any], int | None]]:
    out = []
    for a in audits:
        for w in (a.evals[-1].get("waivers") or []) if a.evals else []:
            left = _days_left(w.get("expires"), today)
            if w.get("status") == "expired" or w.get("expiring_soon") or (left is not None and left <= EXPIRY_DAYS):
                out.append((a.stream, w, left))
    return sorted(out, key=lambda x: (x[2] if x[2] is not None else -10**6, x[0]))


def _waiver_table(waivers: Sequence[tuple[str, Mapping[str, Any], int | None]]) -> list[str]:
    out = [f"<h2>Waivers expired or expiring within {EXPIRY_DAYS} days</h2>"]
    if not waivers:
        return [*out, '<p class="none">none: no repository\'s latest evaluation has a waiver ending soon</p>']
    rows = []
    for stream, w, left in waivers:
        cls = "bad" if (left is not None and left < 0) or w.get("status") == "expired" else "warn"
        days = "?" if left is None else ("expired" if left < 0 else "today" if left == 0 else f"{left} days")
        rows.append(f"<tr><td>{_e(stream)}</td><td><code>{_e(w.get('policy'))}</code></td>"
                    f"<td>{_e(w.get('subject') or w.get('fingerprint'))}</td><td>{_e(w.get('owner'))}</td>"
                    f"<td>{_e(w.get('ticket'))}</td><td>{_e(w.get('expires'))}</td>"
                    f'<td class="{cls}">{_e(days)}</td><td>{_e(w.get("status"))}</td></tr>')
    return [*out, "<table><tr><th>repository</th><th>policy</th><th>subject / fingerprint</th><th>owner</th>"
                  "<th>ticket</th><th>expires</th><th>left</th><th>status</th></tr>" + "".join(rows) + "</table>"]


def _signoff_table(audits: Sequence[StreamAudit]) -> list[str]:
    found = sorted(((str(s.get("time")), a.stream, s, bound) for a in audits for s, bound in _bound_signoffs(a)),
                   key=lambda x: x[0], reverse=True)
    out = [f"<h2>Sign-offs ({len(found)}{f', latest {MAX_SIGNOFFS}' if len(found) > MAX_SIGNOFFS else ''})</h2>"]
    if not found:
        return [*out, '<p class="none">no sign-off recorded in any repository</p>']
    rows = []
    for _t, stream, s, bound in found[:MAX_SIGNOFFS]:
        override = s.get("override") if isinstance(s.get("override"), Mapping) else {}
        rows.append(f"<tr><td>{_e(stream)}</td><td>{_e(_time(s.get('time')))}</td><td>{_e(s.get('by'))}</td>"
                    f"<td><code>{_e(_short(s.get('commit')))}</code></td><td><code>{_e(s.get('decision_id'))}</code>"
                    f'</td><td class="{"ok" if bound else "bad"}">{"bound" if bound else "not bound"}</td>'
                    f"<td>{_e((override or {}).get('reason'))}</td></tr>")
    return [*out, "<table><tr><th>repository</th><th>time</th><th>by</th><th>commit</th><th>decision</th>"
                  "<th>binding</th><th>override reason</th></tr>" + "".join(rows) + "</table>"]
