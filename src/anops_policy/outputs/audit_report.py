"""``audit report --html``: one static page for auditors, built from the decision log alone.

Self-contained by construction: inline CSS, an inline SVG chart, no script, no external resource (a
Content-Security-Policy of ``default-src 'none'`` makes the browser refuse any that slipped in). It shows
the chain's verification, the pass-rate trend, the latest evaluation by checklist section, waivers with
owner/ticket/expiry, sign-offs, and the evaluations. ``render_run_html`` (one run's page) is the
``html`` output format's renderer, re-exported so both pages share one look."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from html import escape
from typing import Any

from anops_policy.outputs.html import CSS, OUTCOME, STATUS, render_run_html

__all__ = ["render_html", "render_run_html", "trend_svg"]

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
EXTRA_CSS = """
.chart{background:#fff;border:1px solid #d1d9e0;border-radius:8px;padding:8px}
.chart svg{display:block;width:100%;height:auto}.chart text{font:11px system-ui,sans-serif;fill:#59636e}
.badge{display:inline-block;border-radius:10px;padding:1px 8px;font-size:12px;border:1px solid currentColor}
td.num{text-align:right;font-variant-numeric:tabular-nums}.small{font-size:12px}
"""
MAX_ROWS = 200


def _e(value: Any) -> str:
    if value is None:
        return ""
    return escape(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True))


def _short(digest: Any, n: int = 12) -> str:
    return str(digest).split(":", 1)[-1][:n] if digest else ""


def _time(value: Any) -> str:
    text = str(value or "")
    return text[:19].replace("T", " ") if text else ""


def _applicable(summary: Mapping[str, Any]) -> Any:
    """Items something checked (events written before items were counted apart name only the total)."""
    return summary.get("items_applicable", summary.get("items_total"))


def _rate(event: Mapping[str, Any]) -> float | None:
    summary = event.get("summary") or {}
    total = _applicable(summary) or 0
    return (summary.get("items_satisfied") or 0) / total if total else None


def trend_svg(evals: Sequence[Mapping[str, Any]], width: int = 960, height: int = 240,
              unit: str = "evaluations") -> str:
    """Applicable checklist items satisfied (%) per evaluation, oldest to newest, with blocking failures as bars."""
    points = [(e, r) for e in evals if (r := _rate(e)) is not None]
    left, right, top, bottom, pad = 44, 16, 14, 34, 12
    plot_w, plot_h = width - left - right, height - top - bottom
    out = [f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="pass-rate trend">']
    for pct in (0, 25, 50, 75, 100):
        y = top + plot_h * (1 - pct / 100)
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#d1d9e0"/>'
                   f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{pct}%</text>')
    if not points:
        out.append(f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle">no evaluations yet</text></svg>')
        return "".join(out)
    step = (plot_w - 2 * pad) / max(len(points) - 1, 1)
    most_blocking = max(int((e.get("summary") or {}).get("blocking_failures") or 0) for e, _ in points) or 1
    bar_w = max(min(step * 0.5, 14), 1.5)
    coords = []
    for index, (event, rate) in enumerate(points):
        x = left + pad + (step * index if len(points) > 1 else plot_w / 2 - pad)
        y = top + plot_h * (1 - rate)
        coords.append((x, y, event, rate))
        blocking = int((event.get("summary") or {}).get("blocking_failures") or 0)
        if blocking:
            bar_h = plot_h * 0.35 * blocking / most_blocking
            out.append(f'<rect x="{x - bar_w / 2:.1f}" y="{top + plot_h - bar_h:.1f}" width="{bar_w:.1f}" '
                       f'height="{bar_h:.1f}" fill="#d1242f" opacity="0.25"><title>{blocking} blocking failures'
                       "</title></rect>")
    path = " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y, _e2, _r) in enumerate(coords))
    out.append(f'<path d="{path}" fill="none" stroke="#0969da" stroke-width="2"/>')
    for x, y, event, rate in coords:
        tip = (f"seq {event.get('seq')} · {_time(event.get('time'))} · "
               f"{(event.get('summary') or {}).get('line', '')} · {rate:.0%}")
        out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#0969da"><title>{_e(tip)}</title></circle>')
    first, last = coords[0][2], coords[-1][2]
    out.append(f'<text x="{left}" y="{height - 10}">{_e(_time(first.get("time")))}</text>')
    out.append(f'<text x="{width - right}" y="{height - 10}" text-anchor="end">{_e(_time(last.get("time")))}</text>')
    out.append(f'<text x="{width / 2}" y="{height - 10}" text-anchor="middle">{len(points)} {unit} · '
               "line: applicable checklist items satisfied · bars: blocking failures</text>")
    out.append("</svg>")
    return "".join(out)


def render_html(events: Sequence[Mapping[str, Any]], verification: Mapping[str, Any], *, log_name: str,
                generated_at: datetime | None = None) -> str:
    """The audit page for a whole log. ``verification`` is ``VerifyResult.to_json()``."""
    evals = [e for e in events if e.get("kind") == "eval"]
    signoffs = [e for e in events if e.get("kind") == "signoff"]
    when = (generated_at or datetime.now(UTC)).isoformat(timespec="seconds").replace("+00:00", "Z")
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>anops-policy audit · {_e(log_name)}</title>",
        f"<style>{CSS.strip()}{EXTRA_CSS.strip()}</style></head><body><main>",
        f"<h1>Decision log audit · <code>{_e(log_name)}</code></h1>",
        f'<div class="meta">{_count(len(events), "record")} · {_count(len(evals), "evaluation")} · '
        f'{_count(len(signoffs), "sign-off")}'
        + (f" · {_e(_time(events[0].get('time')))} → {_e(_time(events[-1].get('time')))}" if events else "")
        + f" · generated {_e(when)}</div>",
        _chain(verification),
        "<h2>Pass-rate trend</h2>",
        f'<div class="chart">{trend_svg(evals)}</div>',
    ]
    if evals:
        out.extend(_latest(evals[-1]))
    out.extend(_waivers(evals))
    out.extend(_signoffs(signoffs, evals))
    out.extend(_evaluations(evals))
    out.append("</main></body></html>")
    return "\n".join(out) + "\n"


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _chain(v: Mapping[str, Any]) -> str:
    ok = bool(v.get("ok"))
    cls, mark, text = ("ok", "✓", "intact") if ok else ("bad", "✗", "BROKEN")
    cards = [
        f'<div class="card"><b class="{cls}">{mark} {text}</b>hash chain</div>',
        f'<div class="card"><b>{_e(str(v.get("records", 0)))}</b>records</div>',
        f'<div class="card"><b>{_e(str(v.get("signed", 0)))}</b>signed records</div>',
        f'<div class="card"><b><code>{_e(_short(v.get("last_hash"), 16))}</code></b>head (seq '
        f'{_e(str(v.get("last_seq", 0)))})</div>',
    ]
    body = [f'<div class="cards">{"".join(cards)}</div>']
    problems = v.get("problems") or []
    if problems:
        body.append('<p class="bad"><b>First broken record:</b> ' + _e(problems[0].get("text")) + "</p>")
        if len(problems) > 1:
            body.append("<ul>" + "".join(f"<li>{_e(p.get('text'))}</li>" for p in problems[1:20]) + "</ul>")
    for note in v.get("notes") or []:
        body.append(f'<p class="none">{_e(note)}</p>')
    body.append(f'<p class="none small">full head hash: <code>{_e(v.get("last_hash") or "(empty log)")}</code>. '
                "Without a signing key or a head recorded elsewhere (<code>audit verify --expect-head</code>), the "
                "chain detects edits, deletions and reordering, but not a rewrite of the whole log.</p>")
    return "<h2>Chain</h2>" + "".join(body)


def _latest(event: Mapping[str, Any]) -> list[str]:
    decisions = list(event.get("decisions") or [])
    repo = event.get("repo") or {}
    out = [f"<h2>Latest evaluation · {_e((event.get('summary') or {}).get('line'))}</h2>",
           f'<div class="meta">decision <code>{_e(event.get("decision_id"))}</code> · seq {_e(str(event.get("seq")))}'
           f" · {_e(_time(event.get('time')))} · by {_e((event.get('actor') or {}).get('name'))} · commit "
           f"<code>{_e(_short(repo.get('commit')))}</code>"
           + (" (dirty)" if repo.get("dirty") else "")
           + " · " + ", ".join(f"{_e(p.get('id'))} {_e(p.get('version'))}" for p in event.get("packs") or [])
           + "</div>"]
    section = None
    for item in event.get("items") or []:
        if item.get("section") != section:
            section = item.get("section")
            out.append(f"<h3>{_e(section)}</h3>")
        mark, cls = STATUS.get(str(item.get("status")), ("?", "none"))
        chosen = [d for d in decisions if d.get("checklist") == item.get("id") and d.get("pack") == item.get("pack")]
        rows = "".join(_decision_row(d) for d in chosen if d.get("outcome") not in ("pass", "not_applicable"))
        quiet = sum(1 for d in chosen if d.get("outcome") in ("pass", "not_applicable"))
        out.append(f'<div class="item"><span class="mark {cls}">{mark}</span> <b>{_e(item.get("id"))}</b> '
                   f"{_e(item.get('title'))}"
                   + (f'<table class="small"><tr><th></th><th>policy</th><th>subject</th><th>message</th>'
                      f"<th>why</th></tr>{rows}</table>" if rows else "")
                   + (f'<div class="none small">{quiet} passed or not applicable</div>' if quiet else "")
                   + ("" if chosen else '<div class="none small">no policy decided this item</div>')
                   + "</div>")
    return out


def _decision_row(d: Mapping[str, Any]) -> str:
    mark, cls = OUTCOME.get(str(d.get("outcome")), ("?", "none"))
    level = str(d.get("enforcement", "")) + (", blocking" if d.get("blocking") else "")
    waiver = d.get("waiver") or {}
    extra = (f"<br><span class=\"warn\">waiver {_e(waiver.get('status'))}: {_e(waiver.get('note'))}</span>"
             if waiver else "")
    return (f'<tr><td><span class="mark {cls}">{mark}</span></td><td><code>{_e(d.get("policy"))}</code>'
            f'<br><span class="none">{_e(level)}</span></td><td>{_e(d.get("subject"))}</td>'
            f"<td>{_e(d.get('message'))}{extra}</td><td><code>{_e(d.get('explanation'))}</code></td></tr>")


def _waivers(evals: Sequence[Mapping[str, Any]]) -> list[str]:
    latest: dict[tuple[str, str], tuple[Mapping[str, Any], Mapping[str, Any]]] = {}
    for event in evals:
        for waiver in event.get("waivers") or []:
            key = (str(waiver.get("policy")), str(waiver.get("subject") or waiver.get("fingerprint")))
            latest[key] = (waiver, event)
    out = ["<h2>Waivers</h2>"]
    if not latest:
        return [*out, '<p class="none">no waiver appears in the logged evaluations</p>']
    rows = []
    for (policy, target), (w, event) in sorted(latest.items()):
        status = str(w.get("status"))
        cls = {"applied": "warn", "expired": "bad", "ignored": "err"}.get(status, "none")
        soon = ' <span class="badge warn">expires soon</span>' if w.get("expiring_soon") else ""
        rows.append(f"<tr><td><code>{_e(policy)}</code></td><td>{_e(target)}</td><td>{_e(w.get('owner'))}</td>"
                    f"<td>{_e(w.get('ticket'))}</td><td>{_e(w.get('expires'))}{soon}</td><td>{_e(w.get('reason'))}</td>"
                    f'<td class="{cls}">{_e(status)}</td><td class="num">{_e(str(event.get("seq")))}</td></tr>')
    return [*out, "<table><tr><th>policy</th><th>subject / fingerprint</th><th>owner</th><th>ticket</th>"
                  "<th>expires</th><th>reason</th><th>status (last seen)</th><th>seq</th></tr>"
            + "".join(rows) + "</table>"]


def _signoffs(signoffs: Sequence[Mapping[str, Any]], evals: Sequence[Mapping[str, Any]]) -> list[str]:
    out = ["<h2>Sign-offs</h2>"]
    if not signoffs:
        return [*out, '<p class="none">no sign-off recorded</p>']
    hashes = {str(e.get("decision_id")): e.get("hash") for e in evals}
    rows = []
    for s in signoffs[-MAX_ROWS:]:
        bound = hashes.get(str(s.get("decision_id"))) == s.get("decision_hash")
        override = s.get("override") or None
        rows.append(
            f"<tr><td>{_e(_time(s.get('time')))}</td><td>{_e(s.get('by'))}</td>"
            f"<td><code>{_e(_short(s.get('commit')))}</code></td><td><code>{_e(s.get('decision_id'))}</code></td>"
            f"<td>{'yes' if s.get('signature') else 'no'}</td>"
            f'<td class="{"ok" if bound else "bad"}">{"bound" if bound else "not bound"}</td>'
            f"<td>{_e(override.get('reason')) if isinstance(override, Mapping) else ''}</td></tr>")
    return [*out, "<table><tr><th>time</th><th>by</th><th>commit</th><th>decision</th><th>signed</th>"
                  "<th>binding</th><th>override reason</th></tr>" + "".join(rows) + "</table>"]


def _evaluations(evals: Sequence[Mapping[str, Any]]) -> list[str]:
    rows = []
    for e in list(evals)[-MAX_ROWS:][::-1]:
        summary = e.get("summary") or {}
        blocking = int(summary.get("blocking_failures") or 0)
        rows.append(
            f'<tr><td class="num">{_e(str(e.get("seq")))}</td><td>{_e(_time(e.get("time")))}</td>'
            f"<td>{_e((e.get('actor') or {}).get('name'))}</td>"
            f"<td><code>{_e(_short((e.get('repo') or {}).get('commit')))}</code></td>"
            f'<td class="num">{_e(str(summary.get("items_satisfied")))} / {_e(str(_applicable(summary)))}</td>'
            f'<td class="num {"bad" if blocking else "ok"}">{blocking}</td>'
            f"<td><code>{_e(e.get('decision_id'))}</code></td><td><code>{_e(_short(e.get('hash')))}</code></td></tr>")
    shown = f" (latest {MAX_ROWS})" if len(evals) > MAX_ROWS else ""
    return [f"<h2>Evaluations{shown}</h2>",
            "<table><tr><th>seq</th><th>time</th><th>actor</th><th>commit</th><th>applicable items</th>"
            "<th>blocking</th><th>decision</th><th>hash</th></tr>" + "".join(rows) + "</table>"]
