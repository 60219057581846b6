"""``html``: one self-contained page for one run (inline CSS, no script, no external resource), readable
offline and safe to attach as a CI artifact. It renders the report's JSON form (``render_run_html``), so a
page can also be made later from a saved report or a logged event."""

from __future__ import annotations

import json
from html import escape
from typing import Any

from anops_policy.evaluation.report import Report

STATUS = {"satisfied": ("✓", "ok"), "failed": ("✗", "bad"), "error": ("!", "err"), "not_applicable": ("–", "none"),
          "no_decision": ("?", "none")}
OUTCOME = {"pass": ("✓", "ok"), "fail": ("✗", "bad"), "error": ("!", "err"), "not_applicable": ("–", "none"),
           "waived": ("~", "warn")}
CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1f2328;background:#f6f8fa}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}h3{font-size:15px;margin:18px 0 6px}
.meta{color:#59636e;margin-bottom:16px}.cards{display:flex;gap:12px;flex-wrap:wrap;margin:16px 0}
.card{background:#fff;border:1px solid #d1d9e0;border-radius:8px;padding:10px 14px;min-width:120px}
.card b{display:block;font-size:22px}table{border-collapse:collapse;width:100%;background:#fff}
th,td{border:1px solid #d1d9e0;padding:6px 8px;text-align:left;vertical-align:top}
th{background:#f0f3f6}.ok{color:#1a7f37}.bad{color:#d1242f}.err{color:#8250df}.none{color:#59636e}
.warn{color:#9a6700}.mark{font-weight:700;width:1.2em;display:inline-block}
details{background:#fff;border:1px solid #d1d9e0;border-radius:6px;margin:6px 0;padding:6px 10px}
summary{cursor:pointer}pre{background:#f6f8fa;padding:8px;overflow:auto;white-space:pre-wrap}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace}.item{margin:4px 0 10px}
"""


class HtmlFormatter:
    name = "html"
    description = "one self-contained HTML page for this run"

    def render(self, report: Report) -> str:
        return render_run_html(report.to_json())


def _e(value: Any) -> str:
    return escape(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True))


def _where(location: dict[str, Any], prefix: str) -> str:
    path = f"{prefix}/{location['path']}" if prefix else str(location["path"])
    return f"{path}:{location['line']}" if location.get("line") else path


def render_run_html(data: dict[str, Any]) -> str:
    """The page for one report (the ``eval --format json`` document)."""
    run, summary = data.get("run", {}), data.get("summary", {})
    decisions: list[dict[str, Any]] = data.get("decisions", [])
    prefix = str(run.get("repo_prefix") or "").strip("/")
    title = f"anops-policy · {run.get('path', '.')}"
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title><style>{CSS.strip()}</style></head><body><main>",
        f"<h1>{_e(summary.get('line', ''))}</h1>",
        f'<div class="meta">{_e(_meta_line(data))}</div>',
        _cards(summary),
    ]
    out.extend(_sections(data, decisions, prefix))
    out.extend(_baseline(data))
    out.extend(_collectors(data))
    notes = data.get("notes", [])
    if notes:
        out.append("<h2>Notes</h2><ul>" + "".join(f"<li>{_e(n)}</li>" for n in notes) + "</ul>")
    out.append("</main></body></html>")
    return "\n".join(out) + "\n"


def _meta_line(data: dict[str, Any]) -> str:
    run = data.get("run", {})
    parts = [str(run.get("path", "."))]
    parts.extend(f"{p.get('id')} {p.get('version')}" for p in data.get("packs", []))
    parts.append(f"now {run.get('now')}")
    parts.append(f"fail-on {run.get('fail_on')}")
    if run.get("commit"):
        parts.append(f"commit {str(run['commit'])[:12]}")
    parts.append(f"exit code {data.get('exit_code')}")
    return " · ".join(parts)


def _cards(summary: dict[str, Any]) -> str:
    outcomes = summary.get("outcomes", {})
    applicable = summary.get("items_applicable", summary.get("items_total", 0))
    cards = [
        ("applicable items satisfied", f"{summary.get('items_satisfied', 0)} / {applicable}",
         "ok" if summary.get("items_satisfied") == applicable else "bad"),
        ("items not applicable", summary.get("items_not_applicable", 0), "none"),
        ("blocking failures", summary.get("blocking_failures", 0), "bad" if summary.get("blocking_failures") else "ok"),
    ]
    cards.extend((name.replace("_", " "), outcomes.get(name, 0), OUTCOME[name][1]) for name in OUTCOME)
    body = "".join(f'<div class="card"><b class="{cls}">{_e(str(value))}</b>{_e(label)}</div>'
                   for label, value, cls in cards)
    return f'<div class="cards">{body}</div>'


def _sections(data: dict[str, Any], decisions: list[dict[str, Any]], prefix: str) -> list[str]:
    out: list[str] = []
    section = None
    for item in data.get("items", []):
        if item.get("section") != section:
            section = item.get("section")
            out.append(f"<h2>{_e(section)}</h2>")
        mark, cls = STATUS.get(item.get("status", ""), ("?", "none"))
        out.append(f'<div class="item"><span class="mark {cls}">{mark}</span> '
                   f"<b>{_e(item.get('id'))}</b> {_e(item.get('title'))}")
        chosen = [decisions[i] for i in item.get("decisions", []) if 0 <= i < len(decisions)]
        if not chosen:
            out.append('<div class="none">no policy decided this item</div>')
        quiet = [d for d in chosen if d.get("outcome") in ("pass", "not_applicable")]
        for decision in chosen:
            if decision not in quiet:
                out.append(_decision(decision, prefix))
        if quiet:
            rows = "".join(
                f"<tr><td>{_mark(d)}</td><td><code>{_e(d.get('policy'))}</code></td>"
                f"<td>{_e(d.get('subject') or '')}</td><td>{_e(d.get('message'))}</td></tr>"
                for d in quiet
            )
            out.append(f"<details><summary>{len(quiet)} passed or not applicable</summary>"
                       f"<table><tr><th></th><th>policy</th><th>subject</th><th>message</th></tr>{rows}</table>"
                       "</details>")
        out.append("</div>")
    return out


def _mark(decision: dict[str, Any]) -> str:
    mark, cls = OUTCOME.get(decision.get("outcome", ""), ("?", "none"))
    return f'<span class="mark {cls}">{mark}</span>'


def _decision(d: dict[str, Any], prefix: str) -> str:
    level = str(d.get("enforcement", ""))
    if d.get("blocking"):
        level += ", blocking"
    subject = f" [{d['subject']}]" if d.get("subject") else ""
    body = [f"<p>{_e(d.get('message'))}</p>"]
    clauses = d.get("explanation", {}).get("failed_clauses", [])
    if clauses:
        body.append("<pre>" + "\n".join(_e(_clause(c)) for c in clauses) + "</pre>")
    if d.get("evidence"):
        body.append("<p>at: " + ", ".join(f"<code>{_e(_where(e, prefix))}</code>" for e in d["evidence"][:20]) + "</p>")
    if d.get("waiver"):
        body.append(f"<p>waiver: {_e(d['waiver'])}</p>")
    if d.get("remediation") and d.get("outcome") != "pass":
        body.append(f"<p><b>fix:</b> {_e(d['remediation'])}</p>")
    body.append(f"<p class=\"none\">fingerprint <code>{_e(d.get('fingerprint'))}</code></p>")
    opened = " open" if d.get("blocking") else ""
    return (f"<details{opened}><summary>{_mark(d)} <code>{_e(d.get('policy'))}</code>{_e(subject)} "
            f"<span class=\"none\">({_e(level)})</span></summary>{''.join(body)}</details>")


def _clause(clause: dict[str, Any]) -> str:
    text = str(clause.get("text", ""))
    if "op" in clause:
        return f"{text}  →  {_plain(clause.get('left'))} {clause['op']} {_plain(clause.get('right'))}"
    if clause.get("macro") in ("all", "not exists"):
        lines = [f"{text}  →  {clause.get('failing_count', 0)} of {clause.get('total', 0)} elements fail"]
        for element in clause.get("failing", [])[:10]:
            at = f"{element['path']}:{element.get('line', '')} " if element.get("path") else ""
            lines.append(f"  - {at}{_plain(element.get('element'))}")
        return "\n".join(lines)
    if "note" in clause:
        return f"{text}  →  {clause['note']}"
    return f"{text}  →  {_plain(clause.get('value'))}"


def _plain(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 300 else text[:299] + "…"


def _baseline(data: dict[str, Any]) -> list[str]:
    baseline = data.get("baseline")
    if not baseline:
        return []
    counts = baseline.get("counts", {})
    out = [f"<h2>Baseline <code>{_e(baseline.get('file'))}</code></h2>",
           f"<p>{counts.get('new', 0)} new · {counts.get('unchanged', 0)} unchanged (not blocking) · "
           f"{counts.get('fixed', 0)} fixed</p>"]
    fixed = baseline.get("fixed", [])
    if fixed:
        out.append("<ul>" + "".join(
            f"<li>fixed: <code>{_e(f.get('policy'))}</code> {_e(f.get('subject') or '')}</li>" for f in fixed
        ) + "</ul>")
    return out


def _collectors(data: dict[str, Any]) -> list[str]:
    rows = []
    for name, meta in sorted(data.get("collectors", {}).items()):
        status = str(meta.get("status"))
        cls = {"ok": "ok", "error": "err"}.get(status, "none")
        skipped = len(meta.get("skipped", [])) + int(meta.get("skipped_more", 0))
        rows.append(f"<tr><td><code>{_e(name)}</code></td><td class=\"{cls}\">{_e(status)}</td>"
                    f"<td>{skipped}</td><td>{_e(meta.get('error') or '')}</td></tr>")
    if not rows:
        return []
    return ["<h2>Collectors</h2>", "<table><tr><th>collector</th><th>status</th><th>files skipped</th>"
            "<th>detail</th></tr>" + "".join(rows) + "</table>"]
