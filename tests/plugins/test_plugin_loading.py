"""Collector plugins in one process, installed as real ``.dist-info`` folders (conftest ``site``): listing
imports nothing; a plugin that clashes, is misnamed, registered twice, fails to import, has no valid
SCHEMA, raises in ``collect`` or returns facts its SCHEMA rejects is reported, never a crash; a working one
is collected only when asked for, checked against its SCHEMA, and the static check reads that SCHEMA."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from anops_policy import plugins
from anops_policy.cli.main import cli
from anops_policy.config import RepoConfig
from anops_policy.errors import ConfigError, PolicyLoadError
from anops_policy.facts import document_errors
from anops_policy.pipeline.collect import builtin_collectors, collect_facts
from anops_policy.pipeline.plugins import plugin_collectors
from anops_policy.pipeline.run import EvalRequest, run_eval
from anops_policy.policy.packs import load_pack
from anops_policy.validation import BASE_URI

from .conftest import MARKDOWN, Site

NOW = datetime(2026, 11, 26, tzinfo=UTC)
RAISES_ON_IMPORT = 'raise RuntimeError("no import for you")\n'


def _collect(repo: Path, *only: str) -> dict:
    return collect_facts(repo, RepoConfig(), now=NOW, only=list(only), use_git=False, jobs=1)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "docs").mkdir(parents=True)
    (root / "README.md").write_text("# hello\n", encoding="utf-8")
    (root / "docs" / "guide.md").write_text("# guide\n", encoding="utf-8")
    return root


def test_listing_imports_nothing(site: Site) -> None:
    module = site.add("broken", RAISES_ON_IMPORT, dist="anops-broken", version="0.4.0")
    [plugin] = plugins.installed()
    assert (plugin.section, plugin.distribution, plugin.version, plugin.ignored) == (
        "broken", "anops-broken", "0.4.0", None)
    listed = CliRunner().invoke(cli, ["plugins"])
    assert listed.exit_code == 0, listed.output
    assert "broken" in listed.output and "anops-broken" in listed.output and "0.4.0" in listed.output
    assert module not in sys.modules, "listing imported the plugin"
    checked = CliRunner().invoke(cli, ["plugins", "--check", "--format", "json"])
    assert checked.exit_code == 1
    [row] = json.loads(checked.output)["plugins"]
    assert row["status"] == "error"
    assert "plugin anops-broken 0.4.0" in row["error"] and "RuntimeError: no import for you" in row["error"]


def test_a_plugin_never_replaces_a_builtin_section(site: Site, repo: Path) -> None:
    module = site.add("todos", MARKDOWN.replace('"markdown"', '"todos"'))
    [plugin] = plugins.installed()
    assert plugin.ignored is not None and "built-in section 'todos'" in plugin.ignored
    assert plugins.find("todos") is None and plugins.load("todos") is None
    assert plugin_collectors(["todos"], builtin_collectors()).collectors == {}
    document = _collect(repo, "todos")
    assert document["meta"]["collectors"]["todos"]["version"] == builtin_collectors()["todos"].version
    assert module not in sys.modules
    listed = json.loads(CliRunner().invoke(cli, ["plugins", "--format", "json"]).output)["plugins"]
    assert listed[0]["status"] == "ignored"


def test_bad_names_and_two_registrations_of_one_section_are_ignored(site: Site) -> None:
    site.add("Not-A-Name", MARKDOWN, dist="anops-misnamed")
    site.add("markdown", MARKDOWN, dist="anops-one")
    site.add("markdown", MARKDOWN, dist="anops-two")
    by_dist = {p.distribution: p for p in plugins.installed()}
    assert "not a snake_case CEL identifier" in str(by_dist["anops-misnamed"].ignored)
    assert "also registered by plugin anops-two 1.2.3" in str(by_dist["anops-one"].ignored)
    assert "also registered by plugin anops-one 1.2.3" in str(by_dist["anops-two"].ignored)
    assert plugins.usable_sections() == ()


@pytest.mark.parametrize(
    ("schema", "cause"),
    [
        (None, "it has no SCHEMA"),
        ('{"type": "array"}', 'its SCHEMA must describe an object'),
        ('{"type": "object", "properties": {"n": {"type": 12}}}', "its SCHEMA is not a valid JSON Schema (2020-12)"),
        ('{"type": "object", "enum": {1, 2}}', "its SCHEMA is not JSON data"),
        ('["type", "object"]', "its SCHEMA is a list, not a JSON Schema object"),
        ('{"type": "object", "properties": {"x": {"$ref": "#/$defs/gone"}}}', "refers to '#/$defs/gone'"),
        ('{"type": "object", "prefixItems": [{"$ref": "https://example.com/x.json"}]}', "which resolves nowhere"),
    ],
)
def test_a_plugin_without_a_valid_schema_is_an_error(site: Site, repo: Path, schema: str | None, cause: str) -> None:
    source = MARKDOWN.replace("        SCHEMA = {", "        OLD_SCHEMA = {")
    if schema is not None:
        source += f"\n    Collector.SCHEMA = {schema}\n"
    site.add("markdown", source, dist="anops-markdown", version="0.9.1")
    loaded = plugins.load("markdown")
    assert loaded is not None and loaded.error is not None
    assert loaded.error.startswith("plugin anops-markdown 0.9.1 (markdown = ")
    assert cause in loaded.error
    meta = _collect(repo, "markdown")["meta"]["collectors"]["markdown"]
    assert meta["status"] == "error" and meta["error"] == loaded.error
    assert meta["version"] == "anops-markdown 0.9.1"


@pytest.mark.parametrize(
    ("source", "attribute", "cause"),
    [
        ("import anops_no_such_module\n", "Collector", "cannot import: ModuleNotFoundError: No module named"),
        ("import sys\nsys.exit(3)\n", "Collector", "cannot import: SystemExit: 3"),
        (MARKDOWN, "Missing", "cannot import: AttributeError"),
        ("class Collector:\n    def __init__(self, x): pass\n", "Collector", "cannot create the collector"),
        ("class Collector:\n    SCHEMA = {'type': 'object'}\n", "Collector", "has no collect(ctx) method"),
        (MARKDOWN.replace('name = "markdown"', 'name = "md"'), "Collector", "its name 'md' differs"),
        (MARKDOWN.replace("depends_on = ()", 'depends_on = ("nothing",)'), "Collector", "depends on 'nothing'"),
        (MARKDOWN.replace('version = "2"', "version = 2"), "Collector", "version must be a non-empty string"),
    ],
)
def test_a_plugin_that_cannot_be_loaded_names_itself(site: Site, source: str, attribute: str, cause: str) -> None:
    site.add("markdown", source, attribute=attribute)
    loaded = plugins.load("markdown")
    assert loaded is not None and loaded.collector is None
    assert loaded.error is not None and loaded.error.startswith("plugin anops-fake-plugin 1.2.3 (markdown = ")
    assert cause in loaded.error
    assert "Traceback" not in loaded.error


def test_the_compiled_policy_cache_sees_plugins_come_and_go(site: Site) -> None:
    before = plugins.registrations()
    site.add("markdown", MARKDOWN, version="1.0.0")
    installed = plugins.registrations()
    assert installed != before
    upgraded = site.folder / "anops_fake_plugin-1.0.0.dist-info"
    upgraded.rename(site.folder / "anops_fake_plugin-1.0.1.dist-info")
    assert plugins.registrations() not in (before, installed)


def test_plugin_schemas_sit_among_the_projects() -> None:
    assert plugins.schema_uri("markdown") == f"{BASE_URI}plugins/markdown.schema.json"


def test_a_working_plugin_is_collected_when_asked_for_and_checked_against_its_schema(site: Site, repo: Path) -> None:
    module = site.add("markdown", MARKDOWN, dist="anops-markdown", version="1.0.0")
    everything = collect_facts(repo, RepoConfig(), now=NOW, use_git=False, jobs=1)
    assert "markdown" not in everything and module not in sys.modules, "collected without being asked for"
    document = _collect(repo, "markdown", "layout")
    assert document["markdown"] == {
        "count": 2, "files": [{"path": "README.md", "line": 1}, {"path": "docs/guide.md", "line": 1}]}
    meta = document["meta"]["collectors"]["markdown"]
    assert (meta["status"], meta["error"], meta["version"]) == ("ok", None, "anops-markdown 1.0.0 (collector 2)")
    assert document_errors(document) == []  # the saved document (eval --facts) is valid with its plugin section
    document["markdown"]["count"] = "two"
    assert document_errors(document) == ["markdown/count: 'two' is not of type 'integer'"]


@pytest.mark.parametrize(
    ("body", "cause"),
    [
        ('raise ValueError("boom")', "collect raised ValueError: boom"),
        ('return {"count": "many", "files": []}', "produced facts that do not match its SCHEMA: markdown/count"),
        ("return [1]", "collect returned a list, not a mapping"),
        ('from anops_policy.errors import CollectorFailed; raise CollectorFailed("no API token")', ": no API token"),
    ],
)
def test_a_plugin_that_fails_in_collect_is_its_collectors_error(site: Site, repo: Path, body: str, cause: str) -> None:
    source = MARKDOWN.split("        def collect")[0] + f"        def collect(self, ctx):\n            {body}\n"
    site.add("markdown", source, dist="anops-markdown", version="1.0.1")
    document = _collect(repo, "markdown", "layout")
    meta = document["meta"]["collectors"]["markdown"]
    assert meta["status"] == "error" and "markdown" not in document
    assert meta["error"].startswith("plugin anops-markdown 1.0.1: ") and cause in meta["error"]
    assert document["meta"]["collectors"]["layout"]["status"] == "ok", "one plugin's failure stopped the run"


def test_not_configured_passes_through(site: Site, repo: Path) -> None:
    body = 'from anops_policy.errors import NotConfigured; raise NotConfigured("no markdown", "add some")'
    source = MARKDOWN.split("        def collect")[0] + f"        def collect(self, ctx):\n            {body}\n"
    site.add("markdown", source)
    meta = _collect(repo, "markdown")["meta"]["collectors"]["markdown"]
    assert (meta["status"], meta["error"]) == ("not_configured", "no markdown (add some)")


def test_facts_only_names_an_unknown_section(site: Site, repo: Path) -> None:
    site.add("markdown", MARKDOWN)
    with pytest.raises(ConfigError, match="unknown collector 'markdwn'"):
        _collect(repo, "markdwn")


POLICY = """\
id: docs-exist
title: The repository has Markdown docs
checklist: "1"
severity: low
enforcement: soft
requires: [markdown]
rule: {rule}
message: "{{facts.markdown.count}} Markdown files"
remediation: Write some.
examples:
  - {{name: some, facts: {{markdown: {{count: 1, files: []}}}}, expect: pass}}
  - {{name: none, facts: {{markdown: {{count: 0, files: []}}}}, expect: fail}}
"""


def _pack(tmp_path: Path, rule: str) -> Path:
    folder = tmp_path / "pack"
    folder.mkdir(exist_ok=True)
    (folder / "docs-exist.yaml").write_text(POLICY.format(rule=rule), encoding="utf-8")
    return folder


def test_the_static_check_reads_the_plugins_schema(site: Site, tmp_path: Path) -> None:
    good = _pack(tmp_path, "facts.markdown.count > 0 && facts.markdown.files.all(f, f.path != '')")
    with pytest.raises(PolicyLoadError, match="unknown fact section 'markdown'"):
        load_pack(good)  # nothing installed yet
    module = site.add("markdown", MARKDOWN)
    assert module not in sys.modules
    assert len(load_pack(good).policies) == 1
    assert module in sys.modules, "the section's SCHEMA is read when a policy reads inside it"
    typo = _pack(tmp_path, "facts.markdown.cuont > 0")
    expected = r"unknown field 'facts\.markdown\.cuont' \(did you mean 'facts\.markdown\.count'\?\)"
    with pytest.raises(PolicyLoadError, match=expected):
        load_pack(typo)


def test_a_plugin_that_cannot_be_loaded_is_an_open_section_for_the_static_check(site: Site, tmp_path: Path) -> None:
    site.add("markdown", RAISES_ON_IMPORT)
    assert len(load_pack(_pack(tmp_path, "facts.markdown.cuont > 0")).policies) == 1


def test_the_policies_that_require_a_broken_plugin_decide_error(site: Site, repo: Path, tmp_path: Path) -> None:
    site.add("markdown", RAISES_ON_IMPORT, dist="anops-markdown", version="3.0.0")
    request = EvalRequest(path=repo, policies=[_pack(tmp_path, "facts.markdown.count > 0")], now=NOW)
    report, document, _config, _packs = run_eval(request)
    [decision] = report.decisions
    assert decision.outcome.value == "error" and decision.blocking
    assert "plugin anops-markdown 3.0.0" in decision.message and "RuntimeError: no import for you" in decision.message
    assert document["meta"]["collectors"]["markdown"]["status"] == "error"
    assert report.exit_code == 1
