"""``docs``: what the repository's documentation says and whether it still matches the code.

* READMEs (root and per directory; ``README.md``/``README.rst``/``README``…): heading tree, fenced code
  blocks with their language and commands, sections recognised as onboarding / development / testing /
  contributing, whether the README tells how to run the tests (a test command in a code block) and what
  to expect (expectation words in the same section as that command).
* Plan documents (``docs.action_plan`` of the config, else ``ACTIONPLAN.md``; plus
  ``collect.options.docs.plans``): last commit that touched them, how many days they lag behind the
  newest code commit, open/closed checklist items, a declared "Last updated: DATE", and references to
  repository paths and CLI subcommands that do not exist, or release-critical subcommands never mentioned.
* Broken relative links in every Markdown file.

Options (``collect.options.docs``): ``plans: [paths or globs]`` — more plan documents to analyse.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from typing import Any

from anops_policy.collectors.docs.clis import find_clis
from anops_policy.collectors.docs.markdown import Document, MissingDependency, parse
from anops_policy.collectors.docs.plans import History, find_plan_paths, iso, plan_facts
from anops_policy.collectors.docs.readme import absent_readme, readme_facts
from anops_policy.collectors.docs.references import link_facts
from anops_policy.collectors.docs.tree import Tree

from anops_policy.collection.collector import CollectContext
from anops_policy.collection.summary_cache import SummaryStore
from anops_policy.errors import CollectorFailed
from anops_policy.validation import suggest

README = re.compile(r"(?i)^readme(?:\.(md|markdown|rst|txt))?$")
MARKDOWN_SUFFIXES = (".md", ".markdown")
# Largest README / action plan parsed: real ones are tens of KB, and markdown-it parses hostile text at
# ~200 KB/s of CPU. collect.options.docs.max_file_bytes raises it.
MAX_DOC_BYTES = 512 * 1024


class DocsCollector:
    name = "docs"
    version = "1"
    depends_on: tuple[str, ...] = ("layout",)

    def collect(self, ctx: CollectContext) -> dict[str, Any]:
        plans_option = _options(ctx.options("docs"))
        layout: Mapping[str, Any] = ctx.facts.get("layout") or {}
        files = ctx.files()
        tree = Tree(ctx, files)
        docs_config = {str(k): str(v) for k, v in (layout.get("docs") or ctx.config.docs).items()}
        components: list[Mapping[str, Any]] = list(layout.get("components") or [])
        clis = find_clis(ctx, components, tree)

        parsed: dict[str, Document | None] = {}
        store = ctx.summaries(self)  # parsed documents kept between runs by content (summary_cache)

        def load(path: str) -> Document | None:
            if path not in parsed:
                parsed[path] = _load(ctx, path, store)
            return parsed[path]

        readme_paths = [p for p in files if README.match(p.rsplit("/", 1)[-1])]
        readmes: dict[str, dict[str, Any]] = {}
        for path in readme_paths:
            doc = load(path)
            if doc is not None:
                readmes[path] = readme_facts(path, doc, components, clis, tree)
        root_path = docs_config.get("readme") or next(
            (p for name in ("README.md", "README.rst", "README", "README.markdown", "README.txt")
             for p in readme_paths if p.lower() == name.lower()), "README.md")
        readme = readmes.get(root_path) or absent_readme(root_path)

        history = History(ctx)
        plan_paths = find_plan_paths(ctx, docs_config, plans_option, tree)
        plans = {path: plan_facts(ctx, path, load(path) if tree.is_file(path) else None, clis, tree, history)
                 for path in plan_paths}
        main_plan = plan_paths[0]

        links = link_facts([p for p in files if p.lower().endswith(MARKDOWN_SUFFIXES) or
                             (README.match(p.rsplit("/", 1)[-1]) and "." not in p.rsplit("/", 1)[-1])],
                       load, tree)
        component_readmes: dict[str, str] = {}
        for comp in components:
            base = str(comp.get("path", "")).strip("/")
            found = next((p for p in readme_paths if posixpath.dirname(p) == base and p in readmes), None)
            if found:
                component_readmes[str(comp.get("name"))] = found
        section: dict[str, Any] = {
            "readme": readme,
            "readmes": readmes,
            "component_readmes": component_readmes,
            "components_without_readme": sorted(
                str(c.get("name")) for c in components if str(c.get("name")) not in component_readmes),
            "action_plan": plans[main_plan],
            "plans": plans,
            "clis": {c.component: {"binaries": c.binaries, "commands": dict(sorted(c.commands.items()))}
                     for c in clis},
            "links": links,
            "counts": {
                "readmes": len(readmes),
                "plans_present": sum(1 for p in plans.values() if p["present"]),
                "broken_links": len(links["broken"]),
            },
        }
        code_time = history.code_last_commit_time()
        if code_time is not None:
            section["code_last_commit_time"] = iso(code_time)
        return section


# ---- options and files ------------------------------------------------------------------------------


def _options(raw: Mapping[str, Any]) -> list[str]:
    known = ["plans", "max_file_bytes"]
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise CollectorFailed(f"collect.options.docs: unknown option '{unknown[0]}'{suggest(unknown[0], known)}")
    plans = raw.get("plans", [])
    if not isinstance(plans, list) or not all(isinstance(p, str) for p in plans):
        raise CollectorFailed("collect.options.docs.plans must be a list of paths or globs")
    return [str(p) for p in plans]


def _load(ctx: CollectContext, path: str, store: SummaryStore) -> Document | None:
    limit = ctx.options("docs").get("max_file_bytes", MAX_DOC_BYTES)
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1024:
        raise CollectorFailed("collect.options.docs.max_file_bytes must be an integer of at least 1024")
    text = ctx.read_text(path, max_bytes=limit)
    if text is None:
        return None
    fmt = "rst" if path.lower().endswith(".rst") else "markdown"
    key = store.key(path, text, fmt) if store.enabled else ""
    cached = store.get(key, Document)
    if cached is not None:
        return cached
    try:
        doc = parse(text, fmt)
        store.put(key, doc, Document)
        return doc
    except MissingDependency as exc:
        raise CollectorFailed(str(exc)) from None
    except Exception as exc:  # one odd document must not cost the whole section
        ctx.skip(path, f"could not parse as {fmt}: {type(exc).__name__}: {exc}"[:300])
        return None
