"""``json``: the whole report (schema: schemas/report.schema.json), for machines and baselines."""

from __future__ import annotations

import json

from anops_policy.evaluation.report import Report


class JsonFormatter:
    name = "json"
    description = "the full report as JSON (schemas/report.schema.json)"

    def render(self, report: Report) -> str:
        return json.dumps(report.to_json(), indent=2, sort_keys=False, ensure_ascii=False) + "\n"
