"""``github``: GitHub Actions workflow commands, one annotation per failing or erroring decision.

``::error`` for a blocking decision, ``::warning`` for one that does not block (advisory, below
``--fail-on``, or unchanged against the baseline). Each annotation sits on the first evidence location
(file relative to the checkout root, so it shows on the pull request's diff) and lists the others in its
text. Blocking ones come first: GitHub shows at most 10 annotations of each level per step.

``eval`` writes these to stderr by itself when ``GITHUB_ACTIONS=true`` (the runner reads workflow commands
from both streams; stderr keeps ``--format json`` on stdout parseable), and appends the ``markdown`` format
to ``$GITHUB_STEP_SUMMARY``; ``--no-github`` turns both off. ``--output github=FILE`` writes the
commands to a file.
"""

from __future__ import annotations

import os
from pathlib import Path

from anops_policy.evaluation.report import Report
from anops_policy.outputs.common import repo_path, where, why_lines
from anops_policy.outputs.markdown import MarkdownFormatter
from anops_policy.policy.model import Decision, Outcome

MAX_SUMMARY_BYTES = 1024 * 1024  # GitHub rejects a step summary over 1 MiB


def escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def annotation(report: Report, d: Decision) -> str:
    level = "error" if d.blocking else "warning"
    props: list[tuple[str, str]] = []
    if d.evidence:
        first = d.evidence[0]
        props.append(("file", repo_path(report, str(first["path"]))))
        if isinstance(first.get("line"), int):
            props.append(("line", str(first["line"])))
    subject = f" [{d.subject}]" if d.subject else ""
    props.append(("title", f"{d.checklist} {d.policy}{subject} ({d.enforcement.value}"
                           f"{', blocking' if d.blocking else ', not blocking'})"))
    lines = [d.message, *(f"why: {line}" for line in why_lines(d))]
    if len(d.evidence) > 1:
        lines.append("also at: " + ", ".join(where(report, e) for e in d.evidence[1:10]))
    if d.remediation:
        lines.append(f"fix: {d.remediation.strip()}")
    rendered = ",".join(f"{key}={escape_property(value)}" for key, value in props)
    return f"::{level} {rendered}::{escape_data(chr(10).join(lines))}"


class GithubFormatter:
    name = "github"
    description = "GitHub Actions annotations (::error/::warning workflow commands)"

    def render(self, report: Report) -> str:
        failing = [d for d in report.decisions if d.outcome in (Outcome.FAIL, Outcome.ERROR)]
        failing.sort(key=lambda d: not d.blocking)  # stable: blocking first, each group in report order
        notes = [f"::notice title=anops-policy::{escape_data(note)}" for note in report.notes]
        return "".join(line + "\n" for line in [*(annotation(report, d) for d in failing), *notes])


def in_github_actions() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


def step_summary(report: Report) -> str:
    summary = MarkdownFormatter().render(report)
    data = summary.encode("utf-8")
    if len(data) > MAX_SUMMARY_BYTES:
        cut = data[: MAX_SUMMARY_BYTES - 200].decode("utf-8", errors="ignore")
        summary = cut + "\n\n… (truncated: the step summary is limited to 1 MiB; see the uploaded reports)\n"
    return summary


def append_step_summary(report: Report) -> Path | None:
    """Append the Markdown summary to ``$GITHUB_STEP_SUMMARY`` (when set); returns the file written."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return None
    path = Path(target)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(step_summary(report) + "\n")
    return path
