"""``logging``: whether services log properly instead of printing.

Python (per service, keyed by the ``python`` section's service paths — the layout components' paths —
and per project): is logging configured (``basicConfig``, ``dictConfig``, ``fileConfig``, structlog,
loguru, handlers with a formatter, a logging config file), the level and where it comes from (literal,
environment variable with its default, config file), the format (format string or JSON formatter), and
``print(`` calls in non-test code. Rust (per crate): derived from the ``rust`` section — ``log``/``tracing``
dependencies, logger initialisation, ``println!``-style output.

Named ``logging.py`` for "one module per fact key"; every import in the package is absolute
(``anops_policy.collectors.logging``), so this module never shadows the standard library's ``logging``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from anops_policy.collectors.logging.python import (
    Config,
    ModuleLogging,
    is_config_file,
    module_logging,
    parse_config_file,
)

from anops_policy.collection.collector import CollectContext
from anops_policy.errors import NotConfigured
from anops_policy.syntax.python_ast import gc_paused, is_under

CONFIG_PRIORITY = {
    "basicConfig": 0,
    "dictConfig": 0,
    "fileConfig": 0,
    "structlog": 0,
    "loguru": 0,
    "handler": 1,
    "config_file": 2,
}
RUST_LOG_CRATES = {"log": "log", "tracing": "tracing"}


def _deepest(path: str, folders: list[str]) -> str | None:
    containing = [f for f in folders if is_under(path, f)]
    return max(containing, key=lambda f: -1 if f == "." else len(f)) if containing else None


class LoggingCollector:
    name = "logging"
    version = "1"
    depends_on: tuple[str, ...] = ("python", "rust")

    def collect(self, ctx: CollectContext) -> dict[str, Any]:
        python = ctx.facts.get("python")
        rust = ctx.facts.get("rust")
        if python is None and rust is None:
            raise NotConfigured(
                "neither python nor rust facts are available (no Python or Rust code, or those collectors failed)",
                "logging facts are derived from the python and rust collectors",
            )
        return {
            "python": self._python_paused(ctx, python) if python is not None else _unavailable_python(),
            "rust": self._rust(rust) if rust is not None else _unavailable_rust(),
        }

    def _python_paused(self, ctx: CollectContext, python: Mapping[str, Any]) -> dict[str, Any]:
        with gc_paused():
            return self._python(ctx, python)

    # ---- python -----------------------------------------------------------------------------------
    def _python(self, ctx: CollectContext, python: Mapping[str, Any]) -> dict[str, Any]:
        services: Mapping[str, Any] = python.get("services", {})
        projects = sorted(python.get("projects", {}))
        tests = set(python.get("test_files", {})) | set(python.get("e2e", {}).get("files", []))
        syntax_errors = {e["path"] for e in python.get("syntax_errors", [])}
        scans: dict[str, ModuleLogging] = {}
        prints: dict[str, list[dict[str, Any]]] = {}
        for path in ctx.files():
            if not path.endswith(".py") or path in tests or path in syntax_errors:
                continue
            found = module_logging(ctx, path)
            if found is None:
                continue
            scans[path], lines = found
            if lines:
                prints[path] = [{"path": path, "line": line} for line in lines]
        config_files: dict[str, Config] = {}
        for path in ctx.files():
            if is_config_file(path) and not any(part in {"tests", "test"} for part in path.split("/")[:-1]):
                text = ctx.read_text(path)
                if text is None:
                    continue
                config, problem = parse_config_file(path, text)
                if config is None:
                    ctx.skip(path, f"logging config file: {problem}")
                else:
                    config_files[path] = config
        self._link_config_files(scans, config_files)
        by_service = {}
        for path, service in sorted(services.items()):
            files = list(service.get("source_files", []))
            entry = (service.get("entry_point") or {}).get("path")
            by_service[path] = self._summary(path, files, scans, prints, config_files, entry)
        by_project = {}
        project_files: dict[str | None, list[str]] = {}  # each file under its deepest project, found once
        for p in sorted(scans):
            project_files.setdefault(_deepest(p, projects), []).append(p)
        for project in projects:
            files = project_files.get(project, [])
            by_project[project] = self._summary(project, files, scans, prints, config_files, None, nested=projects)
        by_path = {}
        for path in sorted(set(scans) | set(prints)):
            scan = scans.get(path)
            configs = [c.fact() for c in scan.configs] if scan else []
            if configs or path in prints:
                by_path[path] = {"configurations": configs, "prints": prints.get(path, [])}
        return {
            "available": True,
            "reason": None,
            "by_service": by_service,
            "by_project": by_project,
            "by_path": by_path,
            "config_files": [config_files[p].fact() for p in sorted(config_files)],
            "counts": {
                "source_files": len(scans),
                "configurations": sum(len(s.configs) for s in scans.values()) + len(config_files),
                "prints": sum(len(v) for v in prints.values()),
                "files_with_prints": len(prints),
            },
        }

    @staticmethod
    def _link_config_files(scans: Mapping[str, ModuleLogging], config_files: Mapping[str, Config]) -> None:
        """``fileConfig("logging.ini")`` / ``dictConfig(yaml.safe_load(open("logging.yaml")))``: the code
        configures logging and the file says how; take level and format from the file."""
        for path, scan in scans.items():
            folder = path.rsplit("/", 1)[0] if "/" in path else ""
            for config in scan.configs:
                if config.kind not in {"fileConfig", "dictConfig"} or (config.level and config.format):
                    continue
                for line, ref in scan.config_file_refs:
                    if abs(line - config.line) > 10:
                        continue
                    name = ref.lstrip("./")
                    for candidate in (f"{folder}/{name}" if folder else name, name):
                        found = config_files.get(candidate)
                        if found is not None:
                            config.level = config.level or found.level
                            config.format = config.format or found.format
                            break

    @staticmethod
    def _summary(
        path: str,
        files: list[str],
        scans: Mapping[str, ModuleLogging],
        prints: Mapping[str, list[dict[str, Any]]],
        config_files: Mapping[str, Config],
        entry: str | None,
        nested: list[str] | None = None,
    ) -> dict[str, Any]:
        configs: list[Config] = [c for f in sorted(files) if f in scans for c in scans[f].configs]
        folders = nested or []
        configs += [
            c
            for p, c in sorted(config_files.items())
            if is_under(p, path) and (not folders or _deepest(p, folders) == path)
        ]
        configs.sort(key=lambda c: (CONFIG_PRIORITY.get(c.kind, 3), c.path != entry, c.path, c.line))
        primary = configs[0] if configs else None
        level_config = next((c for c in configs if c.level), None)
        format_config = next((c for c in configs if c.format), None)
        settings = [
            {
                "target": s["target"],
                **(
                    s["level"]
                    or {"source": "expression", "value": None, "env_var": None, "default": None, "expression": None}
                ),
                "path": f,
                "line": s["line"],
            }
            for f in sorted(files)
            if f in scans
            for s in scans[f].level_settings
        ]
        level = level_config.fact()["level"] if level_config else None
        if level is None:
            root = next((s for s in settings if s["target"] == "root"), None)
            level = {k: v for k, v in root.items() if k != "target"} if root else None
        fmt = format_config.fact()["format"] if format_config else None
        print_items = [item for f in sorted(files) for item in prints.get(f, [])]
        return {
            "path": path,
            "configured": primary is not None,
            "configurations": [c.fact() for c in configs],
            "primary": primary.fact() if primary else None,
            "level": level,
            "level_from_env": bool(level and level["source"] == "env"),
            "level_env_var": level["env_var"] if level else None,
            "format": fmt,
            "has_format": bool(fmt and fmt["kind"] in {"format_string", "json", "console"}),
            "json": bool(fmt and fmt["kind"] == "json"),
            "level_settings": settings,
            "print_count": len(print_items),
            "prints": print_items,
        }

    # ---- rust -------------------------------------------------------------------------------------
    @staticmethod
    def _rust(rust: Mapping[str, Any]) -> dict[str, Any]:
        by_crate: dict[str, Any] = {}
        for path, crate in sorted((rust.get("crates") or {}).items()):
            logging_facts = crate.get("logging") or {}
            output = crate.get("output") or {}
            crates = sorted(str(c) for c in logging_facts.get("crates", []))
            dependencies = crate.get("dependencies") or {}
            console = [item for items in (output.get("by_path") or {}).values() for item in items]
            by_crate[path] = {
                "name": crate.get("name"),
                "path": path,
                "logs_via": logging_facts.get("logs_via"),
                "log_dependency": "log" in dependencies,
                "tracing_dependency": "tracing" in dependencies,
                "logging_crates": crates,
                "logger_initialised": bool(logging_facts.get("logger_initialised", False)),
                "logger_inits": list(logging_facts.get("inits", [])),
                "log_macro_count": int(logging_facts.get("log_macro_count", 0)),
                "println_count": int(output.get("println_count", 0)),
                "eprintln_count": int(output.get("eprintln_count", 0)),
                "dbg_count": int(output.get("dbg_count", 0)),
                "console_output_count": int(output.get("console_output_count", 0)),
                "console_output": sorted(console, key=lambda i: (i.get("path", ""), i.get("line", 0))),
            }
        return {
            "available": True,
            "reason": None,
            "by_crate": by_crate,
            "counts": {
                "crates": len(by_crate),
                "crates_with_logging": sum(1 for c in by_crate.values() if c["logs_via"]),
                "console_output": sum(c["console_output_count"] for c in by_crate.values()),
            },
        }


def _unavailable_python() -> dict[str, Any]:
    return {
        "available": False,
        "reason": "no python facts (no Python code, or the python collector failed): Python logging is unknown",
        "by_service": {},
        "by_project": {},
        "by_path": {},
        "config_files": [],
        "counts": {"source_files": 0, "configurations": 0, "prints": 0, "files_with_prints": 0},
    }


def _unavailable_rust() -> dict[str, Any]:
    return {
        "available": False,
        "reason": "no rust facts (no Cargo.toml, or the rust collector failed): Rust logging is unknown",
        "by_crate": {},
        "counts": {"crates": 0, "crates_with_logging": 0, "console_output": 0},
    }
