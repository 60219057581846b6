"""One declared input of the ``files`` collector: its files found, parsed, listed item by item, checked
against the input's schema and bounded (documents, bytes, listed errors)."""

from __future__ import annotations

import posixpath
from collections.abc import Mapping, Sequence
from typing import Any

import jsonschema
from anops_policy.collectors.files.documents import has_keys, list_items, redact
from anops_policy.collectors.files.kustomize import patch_files
from anops_policy.collectors.files.parsers import PARSERS, Document, ParseFailure

from anops_policy.collection.collector import CollectContext
from anops_policy.collection.gitignore import pattern_spec
from anops_policy.facts import line_at, pointer

DEFAULT_MAX_DOCUMENTS = 5000
DEFAULT_MAX_BYTES = 8 * 1024 * 1024  # of files parsed per input: one input cannot push the section past its limit
MAX_LISTED = 200  # errors and skipped entries kept per input
HELM_TEMPLATES = "templates"


class Input:
    def __init__(self, ctx: CollectContext, name: str, spec: Mapping[str, Any]) -> None:
        self.ctx, self.name = ctx, name
        self.parser = str(spec["parser"])
        self.globs = [str(g) for g in spec["files"]]
        self.exclude = pattern_spec([str(g) for g in spec.get("exclude", [])])
        self.require = [str(k) for k in spec.get("require_keys", [])]
        self.max_documents = int(spec.get("max_documents", DEFAULT_MAX_DOCUMENTS))
        self.max_bytes = int(spec.get("max_bytes", DEFAULT_MAX_BYTES))
        schema = spec.get("schema")
        self.validator = jsonschema.Draft202012Validator(schema) if isinstance(schema, dict) else None
        self.mismatches: list[dict[str, Any]] = []
        self.documents: list[dict[str, Any]] = []
        self.errors: list[dict[str, Any]] = []
        self.skipped: list[dict[str, Any]] = []
        self.ignored = 0
        self.files = 0

    def collect(self) -> dict[str, Any]:
        paths = [p for p in self.ctx.glob(self.globs) if not self.exclude.match_file(p)]
        charts = {posixpath.dirname(p) for p in self.ctx.files() if posixpath.basename(p) == "Chart.yaml"}
        patches = patch_files(self.ctx, paths) if self.parser == "yaml" else set()
        budget = self.max_bytes
        for path in paths:
            if _helm_template(path, charts):
                self._skip(path, "a Helm chart template (not valid YAML until rendered): point an input at the "
                                 "output of `helm template` to judge it")
                continue
            text = self.ctx.read_text(path)
            if text is None:
                continue  # recorded by the context (binary, too large, not UTF-8, a link out of the tree)
            size = len(text.encode("utf-8", "replace"))
            if size > budget:
                self._skip(path, f"over the input's max_bytes ({self.max_bytes} bytes of files parsed per input)")
                continue
            budget -= size
            self.files += 1
            try:
                parsed = PARSERS[self.parser](text)
            except ParseFailure as failure:
                self._error(path, failure)
                continue
            self._add(path, parsed, path in patches)
        return {
            "parser": self.parser,
            "documents": self.documents,
            "count": len(self.documents),
            "files": self.files,
            "ignored": self.ignored,
            "errors": self.errors[:MAX_LISTED],
            "skipped": self.skipped[:MAX_LISTED],
            "mismatches": self.mismatches[:MAX_LISTED],
        }

    def _add(self, path: str, parsed: Sequence[Document], patch: bool) -> None:
        for index, document in enumerate(parsed):
            for item, data, lines in list_items(document.data, document.lines):
                if self.require and not has_keys(data, self.require):
                    self.ignored += 1
                    continue
                if len(self.documents) >= self.max_documents:
                    self.ignored += 1
                    continue
                self._validate(path, index, data, lines)
                self.documents.append({
                    "path": path,
                    "doc": index,
                    "item": item,
                    "parser": self.parser,
                    "line": lines.get("", document.line),
                    "patch": patch,
                    "data": redact(data),
                    "lines": lines,
                })

    def _validate(self, path: str, index: int, data: Any, lines: Mapping[str, int]) -> None:
        """Report where a document does not match the input's schema (the first problem of each document)."""
        if self.validator is None or len(self.mismatches) >= MAX_LISTED:
            return
        errors = sorted(self.validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
        if not errors:
            return
        target = pointer(errors[0].absolute_path)
        line = line_at(lines, target)
        self.mismatches.append(
            {"path": path, "doc": index, "line": line, "pointer": target, "message": errors[0].message[:300]}
        )

    def _error(self, path: str, failure: ParseFailure) -> None:
        self.errors.append({"path": path, "line": failure.line, "column": failure.column, "reason": failure.reason})

    def _skip(self, path: str, reason: str) -> None:
        self.skipped.append({"path": path, "reason": reason})


def _helm_template(path: str, charts: set[str]) -> bool:
    """Inside ``<chart>/templates/`` of a folder holding a ``Chart.yaml``."""
    parts = path.split("/")
    return any(parts[i] == HELM_TEMPLATES and "/".join(parts[:i]) in charts for i in range(len(parts) - 1))
