"""Output formats: one module per format behind one protocol, listed in one explicit dict."""

from __future__ import annotations

from typing import Protocol

from anops_policy.evaluation.report import Report
from anops_policy.outputs.github import GithubFormatter
from anops_policy.outputs.html import HtmlFormatter
from anops_policy.outputs.json_report import JsonFormatter
from anops_policy.outputs.junit import JunitFormatter
from anops_policy.outputs.markdown import MarkdownFormatter
from anops_policy.outputs.sarif import SarifFormatter
from anops_policy.outputs.text import TextFormatter


class Formatter(Protocol):
    name: str
    description: str

    def render(self, report: Report) -> str: ...


FORMATTERS: dict[str, Formatter] = {
    "json": JsonFormatter(),
    "text": TextFormatter(),
    "sarif": SarifFormatter(),
    "junit": JunitFormatter(),
    "markdown": MarkdownFormatter(),
    "github": GithubFormatter(),
    "html": HtmlFormatter(),
}
