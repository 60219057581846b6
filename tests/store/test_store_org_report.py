"""``audit report --html`` over a whole store (a PostgreSQL URL without --stream) and over several file
logs: one self-contained page covering every repository — chains, items satisfied, trends, the
checklist matrix, expiring waivers and sign-offs — rendered in headless Chromium (screenshot kept in
test-artifacts/org-report.png) without console errors or network access."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from org_builder import git
from store_helpers import invoke

from tests.headless_chromium import ARTIFACTS, chromium, console_problems, find_chromium

TODAY = datetime.now(UTC).date()
NOW = f"{TODAY.isoformat()}T09:00:00Z"
EXPIRES = (TODAY + timedelta(days=10)).isoformat()
PACK = """\
apiVersion: anops.dev/pack/v1
id: org
version: 2.1.0
title: Organisation pack
sections: [Code, Tests, Deployment, Sign-off]
items:
  - {id: "1.1", section: Code, title: Source files carry no TODO}
  - {id: "2.1", section: Tests, title: Test files carry no TODO}
  - {id: "3.1", section: Deployment, title: Deployment scripts carry no TODO}
  - {id: "4.1", section: Sign-off, title: The responsible engineer signed off this commit}
"""
AREA_POLICY = """\
id: no-todos-in-{area}
title: Files under {area}/ carry no TODO
checklist: "{item}"
severity: high
enforcement: soft
requires: [todos, layout]
for_each: facts.layout.release_files.filter(f, f.startsWith("{area}/"))
variables:
  - name: found
    expression: "subject in facts.todos.by_path ? facts.todos.by_path[subject] : []"
rule: size(vars.found) == 0
message: "{{subject}} has {{size(vars.found)}} markers"
remediation: Resolve the markers.
examples:
  - name: clean
    facts: {{layout: {{release_files: [{area}/a]}}, todos: {{by_path: {{}}}}}}
    expect: pass
"""
SIGNOFF_POLICY = """\
id: engineer-signed-off
title: The responsible engineer signed off an evaluation of this commit
checklist: "4.1"
severity: medium
enforcement: advisory
requires: [signoff]
rule: facts.signoff.current.signed_off
message: "sign-off pending: run {facts.signoff.pending.command}"
remediation: Review the evaluation and sign it off.
examples:
  - name: pending
    facts: {signoff: {current: {signed_off: false}, pending: {command: x}}}
    expect: fail
"""
FILES = ("src/main.rs", "tests/e2e.rs", "deploy/run.sh")


@dataclass
class Service:
    path: Path
    stream: str
    log: str

    def write(self, todos: set[str], waive_deploy: bool = False) -> None:
        for name in FILES:
            marker = ("// " if name.endswith(".rs") else "# ") + "TODO: finish\n"
            (self.path / name).write_text("step\n" + (marker if name.split("/")[0] in todos else ""), encoding="utf-8")
        config = "release_files: [" + ", ".join(FILES) + "]\n"
        if waive_deploy:
            config += (f"waivers:\n  - {{policy: no-todos-in-deploy, subject: deploy/run.sh, owner: ops@example.com,"
                       f" reason: blue-green rollout lands in OPS-7, ticket: OPS-7, expires: {EXPIRES}}}\n")
        (self.path / "anops-policy.yaml").write_text(config, encoding="utf-8")
        git(self.path, "add", "-A")
        git(self.path, "commit", "-q", "--allow-empty", "-m", "change")

    def evaluate(self, pack: Path) -> None:
        result = invoke("eval", str(self.path), "--policies", str(pack), "--decision-log", self.log, "--stream",
                        self.stream, "--now", NOW)
        assert result.exit_code in (0, 1), result.output

    def sign_off(self) -> None:
        result = invoke("signoff", str(self.path), "--decision", "latest", "--as", "jane@example.com",
                        "--decision-log", self.log, "--stream", self.stream)
        assert result.exit_code == 0, result.output


def org_pack(root: Path) -> Path:
    pack = root / "org-pack"
    pack.mkdir(parents=True)
    (pack / "pack.yaml").write_text(PACK, encoding="utf-8")
    for area, item in (("src", "1.1"), ("tests", "2.1"), ("deploy", "3.1")):
        (pack / f"no-todos-in-{area}.yaml").write_text(AREA_POLICY.format(area=area, item=item), encoding="utf-8")
    (pack / "engineer-signed-off.yaml").write_text(SIGNOFF_POLICY, encoding="utf-8")
    return pack


def service(root: Path, name: str, log: str) -> Service:
    path = root / name
    for folder in ("src", "tests", "deploy"):
        (path / folder).mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    return Service(path, f"github.com/acme/{name}", log)


# each repository's history: the TODO areas of each commit (a trend), whether the deploy TODO is waived,
# and whether its last evaluation is signed off
HISTORIES = {
    "payments": ([{"src", "tests", "deploy"}, {"tests", "deploy"}, {"deploy"}, set()], False, True),
    "checkout": ([{"src"}, set()], False, False),
    "ledger": ([{"deploy"}, {"deploy"}], True, True),
    "search": ([{"src", "tests"}, {"src", "tests"}, {"src"}], False, False),
    "identity": ([set()], False, True),
    "notifications": ([{"tests", "deploy"}, {"deploy"}], True, False),
    "billing": ([{"src", "tests", "deploy"}], False, False),
    "gateway": ([{"tests"}, set(), set()], False, True),
}


@pytest.fixture()
def org_store(pg_url: str, tmp_path: Path) -> tuple[str, Path]:
    pack = org_pack(tmp_path)
    for name, (commits, waived, signed) in HISTORIES.items():
        svc = service(tmp_path / "repos", name, pg_url)
        for todos in commits:
            svc.write(todos, waive_deploy=waived)
            svc.evaluate(pack)
        if signed:
            svc.sign_off()
    return pg_url, pack


def test_org_report_of_a_store_renders_in_headless_chromium(org_store: tuple[str, Path], tmp_path: Path) -> None:
    url, _pack = org_store
    page = tmp_path / "org.html"
    result = invoke("audit", "report", "--log", url, "--html", str(page))
    assert result.exit_code == 0, result.output
    assert re.search(r"8 streams, 22 records, every chain intact", result.output), result.output
    html = page.read_text(encoding="utf-8")
    assert "default-src 'none'" in html
    for forbidden in ("<script", "<link", "src=", "@import", "url(", "http://", "https://"):
        assert forbidden not in html, forbidden
    for name in HISTORIES:
        assert html.count(f"github.com/acme/{name}") >= 2, name  # the repositories table and the matrix
    assert "8 / 8</b>chains intact" in html and "4 / 8</b>latest commits signed off" in html
    assert "Checklist items by repository" in html and html.count('class="spark"') == 8
    # the matrix's last row: how many repositories satisfy each item in their latest evaluation (src: 6 of 8;
    # tests: 7; deploy: 7, two through a waiver; sign-off: none, as every sign-off came after the evaluation)
    footer = re.search(r"<tr><th>satisfied in</th>(.*?)</tr>", html)
    assert footer and re.findall(r">(\d+)<", footer.group(1)) == ["6", "7", "7", "0"], footer
    waivers = html.split("Waivers expired or expiring", 1)[1].split("<h2>", 1)[0]
    assert waivers.count("OPS-7") == 2 and "10 days" in waivers and "ops@example.com" in waivers
    signoffs = html.split("<h2>Sign-offs", 1)[1]
    assert signoffs.count("jane@example.com") == 4 and "not bound" not in signoffs

    browser = find_chromium()
    if browser is None:
        pytest.skip("no chromium binary on PATH (Debian: apt-get install -y chromium)")
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "org-report.png"
    shot.unlink(missing_ok=True)
    run = chromium(browser, tmp_path / "profile-shot", f"--screenshot={shot}", "--window-size=1400,2000",
                   "--hide-scrollbars", page.as_uri())
    assert run.returncode == 0, run.stderr[-3000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000
    assert (int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")) == (1400, 2000)
    dom = chromium(browser, tmp_path / "profile-dom", "--dump-dom", page.as_uri())
    assert dom.returncode == 0 and "Decision store audit" in dom.stdout and dom.stdout.count("<svg") >= 9
    assert console_problems(run.stderr + dom.stderr) == []
    (ARTIFACTS / "org-report.html").write_text(html, encoding="utf-8")


def test_org_report_of_file_logs_shows_a_broken_chain(tmp_path: Path) -> None:
    pack = org_pack(tmp_path)
    logs = []
    for name in ("alpha", "beta", "gamma"):
        svc = service(tmp_path / "repos", name, str(tmp_path / "repos" / name / ".anops-policy" / "decisions.jsonl"))
        for todos in ({"src"}, set()):
            svc.write(todos)
            svc.evaluate(pack)
        svc.sign_off()
        logs.append(Path(svc.log))
    lines = logs[1].read_bytes().splitlines(keepends=True)
    logs[1].write_bytes(lines[0] + lines[2])  # the second evaluation of beta deleted
    page = tmp_path / "org.html"
    result = invoke("audit", "report", *[a for log in logs for a in ("--log", str(log))], "--html", str(page))
    assert result.exit_code == 0, result.output
    assert "3 streams, 8 records, 1 chain(s) BROKEN (beta)" in result.output, result.output
    html = page.read_text(encoding="utf-8")
    assert "2 / 3</b>chains intact" in html and "Broken chains" in html and "missing seq 2" in html
    assert html.count("✗ BROKEN") == 1 and "not bound" in html  # beta's sign-off lost its evaluation
    one = invoke("audit", "report", "--log", str(logs[0]), "--org", "--html", str(tmp_path / "one.html"))
    assert one.exit_code == 0 and "1 streams, 3 records, every chain intact" in one.output, one.output


def test_org_report_and_export_of_a_database_without_records(pg_url: str, tmp_path: Path) -> None:
    for args in (["report", "--log", pg_url, "--html", str(tmp_path / "x.html")], ["export", pg_url]):
        empty = invoke("audit", *args)
        assert empty.exit_code == 2, empty.output
        assert "has no anops-policy tables — nothing has been recorded in this database yet" in empty.output
