"""``junit``: JUnit XML for CI test-report views (GitLab ``artifacts:reports:junit``, Jenkins, Azure).

A ``testsuite`` per checklist section, a ``testcase`` per decision (classname = policy id, name = the
checklist item and subject). ``fail`` → ``<failure>``, ``error`` → ``<error>``, ``not_applicable`` →
``<skipped>``; ``pass`` and ``waived`` pass (a waived case says so in ``system-out``). Counts therefore
equal the decisions' outcome counts. A failure's body is the plain-text explanation: message, why, where,
fix. Advisory and baselined failures are failures too: the ``message`` says they do not block.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from anops_policy.evaluation.baseline import baseline_states
from anops_policy.evaluation.report import Report
from anops_policy.outputs.common import detail_text, level_text
from anops_policy.policy.model import Decision, Outcome

# XML 1.0 cannot carry most control characters; a message quoting a binary file must not break the report.
_XML_BAD = dict.fromkeys([c for c in range(32) if c not in (9, 10, 13)], "\ufffd")


def _clean(text: str) -> str:
    return text.translate(_XML_BAD)


class JunitFormatter:
    name = "junit"
    description = "JUnit XML: a test suite per checklist section, a test case per decision"

    def render(self, report: Report) -> str:
        states = baseline_states(report)
        root = ET.Element("testsuites", {"name": "anops-policy"})
        totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        sections: dict[str, list[Decision]] = {}
        for pack in report.packs:
            for section in pack.sections:
                sections.setdefault(section, [])
        for item in report.items:
            sections.setdefault(item.section, []).extend(item.decisions)
        covered = {id(d) for item in report.items for d in item.decisions}
        orphans = [d for d in report.decisions if id(d) not in covered]
        if orphans:  # a policy naming no item of its pack: still reported, never dropped
            sections.setdefault("(no checklist item)", []).extend(orphans)
        for section, decisions in sections.items():
            counts = _counts(decisions)
            for key, value in counts.items():
                totals[key] += value
            suite = ET.SubElement(root, "testsuite", {
                "name": section, **{k: str(v) for k, v in counts.items()},
                "time": "0", "timestamp": str(report.run.get("now", "")).removesuffix("Z"),
            })
            _item_properties(suite, report, section)
            for decision in decisions:
                _case(suite, report, decision, states.get(decision.fingerprint))
        if report.notes:  # what the run says beside its decisions (config warnings, code nothing analysed)
            suite = ET.SubElement(root, "testsuite", {"name": "anops-policy notes", "tests": "0", "failures": "0",
                                                      "errors": "0", "skipped": "0", "time": "0"})
            props = ET.SubElement(suite, "properties")
            for note in report.notes:
                ET.SubElement(props, "property", {"name": "anops.note", "value": _clean(note)})
        for key, value in totals.items():
            root.set(key, str(value))
        root.set("time", "0")
        ET.indent(root, space="  ")
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _item_properties(suite: ET.Element, report: Report, section: str) -> None:
    """The section's checklist items as properties: satisfied among the applicable ones, and those nothing
    checked (every decision not_applicable), which a test count alone would hide among the skipped."""
    items = [i for i in report.items if i.section == section]
    if not items:
        return
    props = ET.SubElement(suite, "properties")
    values = {
        "anops.items": len(items),
        "anops.items_applicable": sum(1 for i in items if i.applicable),
        "anops.items_not_applicable": sum(1 for i in items if not i.applicable),
        "anops.items_satisfied": sum(1 for i in items if i.satisfied),
    }
    for name, value in values.items():
        ET.SubElement(props, "property", {"name": name, "value": str(value)})
    for item in items:
        ET.SubElement(props, "property", {"name": f"anops.item.{_clean(item.id)}", "value": item.status})


def _counts(decisions: list[Decision]) -> dict[str, int]:
    return {
        "tests": len(decisions),
        "failures": sum(1 for d in decisions if d.outcome == Outcome.FAIL),
        "errors": sum(1 for d in decisions if d.outcome == Outcome.ERROR),
        "skipped": sum(1 for d in decisions if d.outcome == Outcome.NOT_APPLICABLE),
    }


def _case(suite: ET.Element, report: Report, d: Decision, state: str | None) -> None:
    name = f"{d.checklist} {d.subject}" if d.subject else f"{d.checklist} {d.title}"
    case = ET.SubElement(suite, "testcase", {"classname": d.policy, "name": _clean(name), "time": "0"})
    if d.outcome in (Outcome.FAIL, Outcome.ERROR):
        tag = "failure" if d.outcome == Outcome.FAIL else "error"
        message = f"{d.message} ({level_text(d, state)})"
        element = ET.SubElement(case, tag, {"message": _clean(message), "type": f"{d.severity}"})
        element.text = _clean(detail_text(report, d))
    elif d.outcome == Outcome.NOT_APPLICABLE:
        ET.SubElement(case, "skipped", {"message": _clean(d.message)})
    elif d.outcome == Outcome.WAIVED:
        out = ET.SubElement(case, "system-out")
        out.text = _clean("waived\n" + detail_text(report, d))
