"""How one Python module configures logging, read with ``ast``: ``logging.basicConfig``,
``logging.config.dictConfig``/``fileConfig``, ``structlog.configure``, loguru's ``logger.add``, handlers
with a ``Formatter``/JSON formatter, and level settings (``setLevel``, uvicorn's ``log_level``).

A level is traced to where it comes from: a literal (``logging.INFO``, ``"INFO"``, ``20``), an
environment variable (``os.getenv("LOG_LEVEL", "INFO")``, also through ``.upper()``, ``getattr(logging,
...)`` and local variables), a config file, or an expression the scan cannot follow."""

from __future__ import annotations

import ast
import configparser
import json
import logging as std_logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from anops_policy.collection.collector import CollectContext
from anops_policy.errors import ConfigError
from anops_policy.syntax.python_ast import (
    ENVIRON,
    GETENV,
    Imports,
    ParsedModule,
    call_arg,
    const_str,
    last_name,
    parse_python,
    print_lines,
    short_source,
)
from anops_policy.yamlsafe import load_yaml

LEVEL_NAMES = ("CRITICAL", "FATAL", "ERROR", "WARNING", "WARN", "INFO", "DEBUG", "NOTSET", "TRACE", "SUCCESS")
PASS_THROUGH = frozenset({"upper", "lower", "strip", "getLevelName", "str", "int", "casefold"})
JSON_FORMATTER = re.compile(r"(?i)json|ecs_logging|msgspecformatter")
CONFIG_FILE = re.compile(
    r"(^|/)(logging|log_config|logging_config|log-config|logging-config|log)\.(ya?ml|ini|conf|cfg|json)$"
)
MAX_DEPTH = 5


def _level_literal(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        name = std_logging.getLevelName(value)
        return name if isinstance(name, str) and not name.startswith("Level ") else str(value)
    if isinstance(value, str) and value.strip():
        return value.strip().upper()
    return None


@dataclass
class Scope:
    """Assignments visible at a call: the enclosing function's (before the call) and the module's."""

    module: ParsedModule
    functions: list[tuple[int, int, dict[str, list[tuple[int, ast.expr]]]]] = field(default_factory=list)
    module_names: dict[str, list[tuple[int, ast.expr]]] = field(default_factory=dict)

    @classmethod
    def of(cls, module: ParsedModule) -> Scope:
        scope = cls(module)
        scope.module_names = _assignments(module.tree.body)
        for node in module.nodes:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                end = node.end_lineno or node.lineno
                scope.functions.append((node.lineno, end, _assignments(node.body)))
        return scope

    def lookup(self, name: str, line: int) -> ast.expr | None:
        inner = [f for f in self.functions if f[0] <= line <= f[1]]
        for _start, _end, names in sorted(inner, key=lambda f: f[0], reverse=True):
            earlier = [value for at, value in names.get(name, []) if at <= line]
            if earlier:
                return earlier[-1]
        values = self.module_names.get(name)
        return values[-1][1] if values else None


def _assignments(body: list[ast.stmt]) -> dict[str, list[tuple[int, ast.expr]]]:
    out: dict[str, list[tuple[int, ast.expr]]] = {}
    stack = list(body)
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    out.setdefault(target.id, []).append((stmt.lineno, stmt.value))
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
            out.setdefault(stmt.target.id, []).append((stmt.lineno, stmt.value))
        elif isinstance(stmt, ast.If | ast.Try | ast.With | ast.For | ast.While):
            for name in ("body", "orelse", "finalbody"):
                stack.extend(getattr(stmt, name, []) or [])
            if isinstance(stmt, ast.Try):
                for handler in stmt.handlers:
                    stack.extend(handler.body)
    for values in out.values():
        values.sort(key=lambda v: v[0])
    return out


def level_of(node: ast.AST | None, scope: Scope, line: int, depth: int = 0) -> dict[str, Any] | None:
    """Where a level comes from: ``{source, value, env_var, default, expression}`` (path/line added by
    the caller), or None when no level is given."""
    if node is None or depth > MAX_DEPTH:
        return None
    imports = scope.module.imports
    out = {"source": "expression", "value": None, "env_var": None, "default": None, "expression": short_source(node)}
    if isinstance(node, ast.Constant):
        value = _level_literal(node.value)
        return {**out, "source": "literal", "value": value, "expression": None} if value else None
    if isinstance(node, ast.Attribute):
        qual = imports.dotted(node) or ""
        if node.attr in LEVEL_NAMES and qual.split(".")[0] in {"logging", "structlog", "loguru"}:
            return {**out, "source": "literal", "value": node.attr, "expression": None}
        return out
    if isinstance(node, ast.Subscript) and imports.dotted(node.value) == ENVIRON:
        name = const_str(node.slice)
        return {**out, "source": "env", "env_var": name, "expression": None} if name else out
    if isinstance(node, ast.Name):
        assigned = scope.lookup(node.id, line)
        if assigned is None:
            return out
        return level_of(assigned, scope, line, depth + 1) or out
    if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
        first = level_of(node.values[0], scope, line, depth + 1)
        if first and first["source"] == "env" and first["default"] is None:
            fallback = level_of(node.values[-1], scope, line, depth + 1)
            if fallback and fallback["source"] == "literal":
                first = {**first, "default": fallback["value"]}
        return first or out
    if isinstance(node, ast.Call):
        return _level_of_call(node, scope, line, depth) or out
    return out


def _level_of_call(node: ast.Call, scope: Scope, line: int, depth: int) -> dict[str, Any] | None:
    imports = scope.module.imports
    qual = imports.dotted(node.func) or ""
    name = last_name(node.func) or ""
    if qual in GETENV:
        env_var = const_str(call_arg(node, 0, "key"))
        default = call_arg(node, 1, "default")
        default_level = level_of(default, scope, line, depth + 1) if default is not None else None
        return {
            "source": "env",
            "value": None,
            "env_var": env_var,
            "default": default_level["value"] if default_level else None,
            "expression": None if env_var else short_source(node),
        }
    if name in PASS_THROUGH:
        inner = (
            node.func.value
            if isinstance(node.func, ast.Attribute) and name in {"upper", "lower", "strip", "casefold"}
            else call_arg(node, 0)
        )
        return level_of(inner, scope, line, depth + 1)
    if name == "getattr" and len(node.args) >= 2:
        found = level_of(node.args[1], scope, line, depth + 1)
        if found and found["source"] == "env" and found["default"] is None and len(node.args) >= 3:
            fallback = level_of(node.args[2], scope, line, depth + 1)
            found = {**found, "default": fallback["value"] if fallback else None}
        return found
    if name == "make_filtering_bound_logger":
        return level_of(call_arg(node, 0, "min_level"), scope, line, depth + 1)
    return None


def format_of(node: ast.AST | None, scope: Scope, line: int, depth: int = 0) -> dict[str, Any] | None:
    """``{kind: format_string|json|console|expression, value}`` for a format argument or formatter."""
    if node is None or depth > MAX_DEPTH:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {"kind": "format_string", "value": node.value}
    if isinstance(node, ast.Name):
        value = scope.lookup(node.id, line)
        return (
            format_of(value, scope, line, depth + 1) if value is not None else {"kind": "expression", "value": node.id}
        )
    if isinstance(node, ast.Call):
        qual = scope.module.imports.dotted(node.func) or short_source(node.func)
        if JSON_FORMATTER.search(qual):
            return {"kind": "json", "value": qual}
        if (last_name(node.func) or "") == "Formatter":
            return format_of(call_arg(node, 0, "fmt"), scope, line, depth + 1) or {"kind": "default", "value": None}
    return {"kind": "expression", "value": short_source(node)}


@dataclass
class Config:
    path: str
    line: int
    kind: str
    level: dict[str, Any] | None = None
    format: dict[str, Any] | None = None
    level_line: int | None = None  # where the level argument is written, when not on the call's line
    format_line: int | None = None

    def fact(self) -> dict[str, Any]:
        level = None if self.level is None else {**self.level, "path": self.path, "line": self.level_line or self.line}
        fmt = None if self.format is None else {**self.format, "path": self.path, "line": self.format_line or self.line}
        return {"path": self.path, "line": self.line, "kind": self.kind, "level": level, "format": fmt}


@dataclass
class ModuleLogging:
    configs: list[Config] = field(default_factory=list)
    level_settings: list[dict[str, Any]] = field(default_factory=list)
    config_file_refs: list[tuple[int, str]] = field(default_factory=list)


def _dict_value(node: ast.AST | None, key: str) -> ast.expr | None:
    if isinstance(node, ast.Dict):
        for k, v in zip(node.keys, node.values, strict=True):
            if const_str(k) == key:
                return v
    elif isinstance(node, ast.Call) and (last_name(node.func) or "") == "dict":
        return call_arg(node, 99, key)
    return None


def _dict_config(arg: ast.AST | None, scope: Scope, line: int) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    if isinstance(arg, ast.Name):
        arg = scope.lookup(arg.id, line)
    root = _dict_value(arg, "root") or _dict_value(_dict_value(arg, "loggers"), "")
    level = level_of(_dict_value(root, "level"), scope, line)
    fmt: dict[str, Any] | None = None
    formatters = _dict_value(arg, "formatters")
    if isinstance(formatters, ast.Dict):
        for value in formatters.values:
            factory = const_str(_dict_value(value, "()")) or const_str(_dict_value(value, "class")) or ""
            if JSON_FORMATTER.search(factory):
                return level, {"kind": "json", "value": factory}
            fmt = fmt or format_of(_dict_value(value, "format"), scope, line)
    return level, fmt


# Every call the scan reacts to has one of these words in its name or in the import that names it
# (``logging.*``, structlog, loguru, handlers and formatters, ``setLevel``, JSON formatters, uvicorn),
# and so does every logging config file name: a module without any of them has nothing to find.
SCAN_WORDS = ("log", "formatter", "handler", "setlevel", "json", "uvicorn")


def scan_module(module: ParsedModule) -> ModuleLogging:
    lowered = module.text.lower() if module.text.isascii() else None  # (non-ASCII: names are NFKC-normalized)
    if lowered is not None and not any(word in lowered for word in SCAN_WORDS):
        return ModuleLogging()
    scope = Scope.of(module)
    imports: Imports = module.imports
    out = ModuleLogging()
    formatters: list[tuple[int, dict[str, Any]]] = []
    handlers_added: list[int] = []
    root_levels: list[tuple[int, dict[str, Any] | None]] = []
    for node in module.nodes:
        if not isinstance(node, ast.Call):
            continue
        qual = imports.dotted(node.func) or ""
        name = last_name(node.func) or ""
        line = node.lineno
        for arg in node.args:
            text = const_str(arg)
            if text and CONFIG_FILE.search(text):
                out.config_file_refs.append((line, text))
        fmt: dict[str, Any] | None
        if qual == "logging.basicConfig":
            level_arg, format_arg = call_arg(node, 99, "level"), call_arg(node, 99, "format")
            fmt = format_of(format_arg, scope, line) or {"kind": "default", "value": None}
            level = level_of(level_arg, scope, line)
            config = Config(module.path, line, "basicConfig", level, fmt)
            config.level_line, config.format_line = _line(level_arg), _line(format_arg)
            out.configs.append(config)
        elif qual == "logging.config.dictConfig":
            level, fmt = _dict_config(call_arg(node, 0, "config"), scope, line)
            out.configs.append(Config(module.path, line, "dictConfig", level, fmt))
        elif qual == "logging.config.fileConfig":
            out.configs.append(Config(module.path, line, "fileConfig"))
        elif qual == "structlog.configure":
            out.configs.append(Config(module.path, line, "structlog", *_structlog(node, scope, line)))
        elif qual == "loguru.logger.add":
            fmt = format_of(call_arg(node, 99, "format"), scope, line)
            serialize = call_arg(node, 99, "serialize")
            if isinstance(serialize, ast.Constant) and serialize.value is True:
                fmt = {"kind": "json", "value": "serialize=True"}
            out.configs.append(
                Config(module.path, line, "loguru", level_of(call_arg(node, 99, "level"), scope, line), fmt)
            )
        elif name == "setFormatter" or JSON_FORMATTER.search(qual) or qual == "logging.Formatter":
            found = format_of(node.args[0] if name == "setFormatter" and node.args else node, scope, line)
            if found and found["kind"] != "expression":
                formatters.append((line, found))
        elif name == "addHandler":
            handlers_added.append(line)
        elif name == "setLevel" and isinstance(node.func, ast.Attribute):
            target = _logger_target(node.func.value, imports)
            level = level_of(call_arg(node, 0, "level"), scope, line)
            out.level_settings.append({"target": target, "line": line, "level": level})
            if target == "root":
                root_levels.append((line, level))
        elif qual == "uvicorn.run":
            level_arg = call_arg(node, 99, "log_level")
            level = level_of(level_arg, scope, line)
            if level is not None:
                out.level_settings.append({"target": "uvicorn", "line": _line(level_arg) or line, "level": level})
    if handlers_added:
        handler_format = formatters[0][1] if formatters else None
        root_level = next((lvl for _l, lvl in root_levels if lvl), None)
        out.configs.append(Config(module.path, handlers_added[0], "handler", root_level, handler_format))
    out.configs.sort(key=lambda c: c.line)
    out.level_settings.sort(key=lambda s: s["line"])
    return out


def _line(node: ast.AST | None) -> int | None:
    return getattr(node, "lineno", None)


def _logger_target(node: ast.AST, imports: Imports) -> str:
    if isinstance(node, ast.Call) and (imports.dotted(node.func) or "") == "logging.getLogger":
        name = call_arg(node, 0, "name")
        return (
            "root"
            if name is None or (isinstance(name, ast.Constant) and name.value in (None, ""))
            else (const_str(name) or short_source(name))
        )
    if (imports.dotted(node) or "") == "logging.root":
        return "root"
    return short_source(node, 60)


def _structlog(node: ast.Call, scope: Scope, line: int) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    level = None
    wrapper = call_arg(node, 99, "wrapper_class")
    if isinstance(wrapper, ast.Call):
        level = level_of(wrapper, scope, line)
    fmt: dict[str, Any] | None = None
    processors = call_arg(node, 99, "processors")
    if isinstance(processors, ast.Name):
        processors = scope.lookup(processors.id, line)
    if isinstance(processors, ast.List | ast.Tuple):
        for proc in processors.elts:
            renderer = last_name(proc) or ""
            if "JSONRenderer" in renderer:
                fmt = {"kind": "json", "value": renderer}
            elif renderer.endswith("Renderer"):
                fmt = fmt or {"kind": "console", "value": renderer}
    return level, fmt


# ---- config files -------------------------------------------------------------------------------------
def is_config_file(path: str) -> bool:
    return bool(CONFIG_FILE.search(path))


def _line_of(text: str, pattern: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if re.search(pattern, line):
            return number
    return 1


def parse_config_file(path: str, text: str) -> tuple[Config | None, str | None]:
    """A logging config file (dictConfig YAML/JSON, fileConfig INI) → its root level and format.
    Returns (config, problem)."""
    level_value: Any = None
    fmt: dict[str, Any] | None = None
    if path.endswith((".ini", ".conf", ".cfg")):
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read_string(text, source=path)
        except configparser.Error as exc:
            return None, f"invalid INI: {str(exc).splitlines()[0]}"
        level_value = parser.get("logger_root", "level", fallback=None)
        for section in parser.sections():
            if section.startswith("formatter_"):
                cls = parser.get(section, "class", fallback="") or parser.get(section, "()", fallback="")
                if JSON_FORMATTER.search(cls):
                    fmt = {"kind": "json", "value": cls}
                    break
                value = parser.get(section, "format", fallback=None)
                fmt = fmt or ({"kind": "format_string", "value": value} if value else None)
    else:
        try:
            data = json.loads(text) if path.endswith(".json") else load_yaml(text, path)[0]
        except (json.JSONDecodeError, ConfigError) as exc:
            return None, f"invalid {'JSON' if path.endswith('.json') else 'YAML'}: {str(exc).splitlines()[0][:200]}"
        if not isinstance(data, Mapping):
            return None, "not a mapping"
        root = data.get("root") or (data.get("loggers") or {}).get("") or {}
        level_value = root.get("level") if isinstance(root, Mapping) else None
        for formatter in (data.get("formatters") or {}).values():
            if not isinstance(formatter, Mapping):
                continue
            factory = str(formatter.get("()") or formatter.get("class") or "")
            if JSON_FORMATTER.search(factory):
                fmt = {"kind": "json", "value": factory}
                break
            if isinstance(formatter.get("format"), str):
                fmt = fmt or {"kind": "format_string", "value": formatter["format"]}
    level = None
    literal = _level_literal(level_value)
    if literal:
        level = {"source": "config_file", "value": literal, "env_var": None, "default": None, "expression": None}
    config = Config(path, _line_of(text, r"(?i)\blevel\b") if level else 1, "config_file", level, fmt)
    if fmt is not None:
        config.format_line = _line_of(text, re.escape(str(fmt["value"])))
    return config, None


# ---- sharing with the python collector ----------------------------------------------------------------
_MEMO_KEY = "logging_python.modules"


def remember_module(ctx: CollectContext, module: ParsedModule, prints: list[int] | None) -> None:
    """Called by the python collector while it holds ``module``'s syntax tree (it drops every tree once
    the module is summarised): the module's logging scan and ``print`` lines, kept in the run's memo for
    the logging collector, which then parses nothing twice. ``prints`` None: a test or generated module,
    which the logging collector skips."""
    remember_summary(ctx, module.path, None if prints is None else (scan_module(module), prints))


def remember_summary(ctx: CollectContext, path: str, summary: tuple[ModuleLogging, list[int]] | None) -> None:
    """``remember_module`` with the summary already made (the python collector's summary cache)."""
    memo: dict[str, tuple[ModuleLogging, list[int]] | None] = ctx.memo.setdefault(_MEMO_KEY, {})
    memo[path] = summary


def module_logging(ctx: CollectContext, path: str) -> tuple[ModuleLogging, list[int]] | None:
    """``path``'s logging scan and ``print`` lines (None for a test or generated module, or one that does
    not parse): the python collector's when it ran first in this process, else parsed here."""
    memo: dict[str, tuple[ModuleLogging, list[int]] | None] = ctx.memo.get(_MEMO_KEY, {})
    if path in memo:
        return memo[path]
    module = parse_python(ctx, path)
    if module is None or module.test or module.generated:
        return None
    return scan_module(module), print_lines(module)
