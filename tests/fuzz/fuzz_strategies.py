"""Hypothesis strategies for the fuzz targets: structured generators (plausible YAML, Dockerfiles, JUnit
XML, TOML, Markdown, CEL, decision logs) and mutations of the seed corpus in ``fuzz/corpus/<target>``
with the tokens of ``fuzz/dict/<target>.dict``. Shared by ``tests/fuzz`` and ``fuzz/run.py --hypothesis``."""

from __future__ import annotations

import ast
import importlib.util
import json
import sys
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml
from hypothesis import strategies as st

FUZZ = Path(__file__).resolve().parents[2] / "fuzz"


def load_targets() -> ModuleType:
    """``fuzz/targets.py`` (not a package: the atheris runner imports it under instrumentation)."""
    name = "anops_fuzz_targets"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, FUZZ / "targets.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@cache
def seeds(target: str) -> tuple[bytes, ...]:
    return tuple(p.read_bytes() for p in sorted((FUZZ / "corpus" / target).iterdir()) if p.is_file())


@cache
def tokens(target: str) -> tuple[bytes, ...]:
    path = FUZZ / "dict" / f"{target}.dict"
    if not path.is_file():
        return ()
    out = []
    for line in path.read_text().splitlines():
        if line.startswith('"'):
            # libFuzzer's dictionary escapes (\" \\ \xNN) are a subset of Python's bytes literal syntax
            out.append(ast.literal_eval("b" + line))
    return tuple(out)


ODD = (b"\x00", b"\xff\xfe", b"\r\n", b"\r", b"\t", b"\xe2\x80\xae", b"\xed\xa0\x80", b"\\", b"'", b'"', b"%", b"{{")


@st.composite
def mutated(draw: st.DrawFn, target: str) -> bytes:
    """A seed with one to five edits: insert a token or an odd byte sequence, delete or duplicate a
    slice, cut it short, or swap two lines."""
    data = bytearray(draw(st.sampled_from(seeds(target))))
    pool = tokens(target) + ODD
    for _ in range(draw(st.integers(1, 5))):
        pos = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(("token", "bytes", "delete", "duplicate", "truncate", "swap")))
        if kind == "token":
            data[pos:pos] = draw(st.sampled_from(pool))
        elif kind == "bytes":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "delete":
            del data[pos : pos + draw(st.integers(1, 40))]
        elif kind == "duplicate":
            chunk = data[pos : pos + draw(st.integers(1, 80))]
            data[pos:pos] = chunk * draw(st.integers(1, 20))
        elif kind == "truncate":
            del data[pos:]
        else:
            lines = bytes(data).split(b"\n")
            if len(lines) > 1:
                i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
                lines[i], lines[j] = lines[j], lines[i]
                data = bytearray(b"\n".join(lines))
    return bytes(data)


# ---- structured generators ----------------------------------------------------------------------------

WORDS = st.sampled_from(["a", "x", "main", "test", "build", "src/a.rs", "1.0", "true", "null", "~", "-1", "é", ""])
TEXT = st.one_of(WORDS, st.text(max_size=12))
SCALAR: st.SearchStrategy[Any] = st.one_of(
    TEXT, st.integers(-(2**70), 2**70), st.floats(allow_nan=True), st.booleans(), st.none()
)


def values(keys: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    return st.recursive(
        SCALAR,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys | TEXT, inner, max_size=4),
        max_leaves=12,
    )


def yaml_doc(keys: list[str], base: dict[str, Any]) -> st.SearchStrategy[bytes]:
    """``base`` with some keys replaced by arbitrary values, some deleted, some added; dumped as YAML."""
    key = st.sampled_from(keys)

    @st.composite
    def build(draw: st.DrawFn) -> bytes:
        doc = json.loads(json.dumps(base))
        for _ in range(draw(st.integers(0, 4))):
            k = draw(key)
            action = draw(st.sampled_from(("set", "delete", "nest")))
            if action == "set":
                doc[k] = draw(values(key))
            elif action == "delete":
                doc.pop(k, None)
            else:
                doc = {draw(key): doc} if draw(st.booleans()) else doc
        flow = draw(st.booleans())
        return yaml.safe_dump(doc, default_flow_style=flow, allow_unicode=draw(st.booleans())).encode()

    return build()


POLICY_BASE: dict[str, Any] = {
    "id": "fuzzed",
    "title": "t",
    "checklist": "5.1",
    "severity": "high",
    "enforcement": "soft",
    "requires": ["todos", "layout"],
    "params": {"max_markers": {"type": "integer", "default": 0}},
    "for_each": "facts.layout.release_files",
    "rule": "size(facts.todos.by_path) <= params.max_markers",
    "message": "{subject} has markers",
    "remediation": "fix",
    "examples": [
        {"name": "e", "facts": {"layout": {"release_files": ["a"]}, "todos": {"by_path": {}}}, "expect": "pass"}
    ],
}


@st.composite
def cel_expr(draw: st.DrawFn, depth: int = 0) -> str:
    leaves = st.sampled_from(
        ["facts.todos.by_path", "facts.layout.release_files", "params.max_markers", "vars.found", "subject", "now",
         "1", "2.5", "-3", "'a'", '"src/*.rs"', "true", "null", "[]", "{}", "x", "facts.todos.count",
         "18446744073709551615u"]
    )
    if depth > 3 or draw(st.integers(0, 3)) == 0:
        return draw(leaves)
    a, b = draw(cel_expr(depth + 1)), draw(cel_expr(depth + 1))
    form = draw(st.sampled_from(("bin", "macro", "call", "index", "ternary", "not", "list")))
    if form == "bin":
        return f"({a} {draw(st.sampled_from(['&&', '||', '==', '<', '+', '-', '*', '/', '%', 'in']))} {b})"
    if form == "macro":
        return f"{a}.{draw(st.sampled_from(['all', 'exists', 'exists_one', 'map', 'filter']))}(x, {b})"
    if form == "call":
        functions = ["size", "has", "glob", "lowerAscii", "split", "join", "int", "string", "days_between"]
        fn = draw(st.sampled_from(functions))
        return f"{fn}({a}, {b})" if fn in ("glob", "split", "join", "days_between") else f"{fn}({a})"
    if form == "index":
        return f"{a}[{b}]"
    if form == "ternary":
        return f"{a} ? {b} : {draw(cel_expr(depth + 1))}"
    if form == "not":
        return f"!{a}"
    return f"[{a}, {b}]"


DOCKER_KEYWORDS = ["FROM", "RUN", "CMD", "ENTRYPOINT", "COPY", "ADD", "ENV", "ARG", "USER", "WORKDIR", "EXPOSE",
                   "HEALTHCHECK", "LABEL", "SHELL", "ONBUILD", "VOLUME", "STOPSIGNAL", "MAINTAINER", "from", "BOGUS"]


@st.composite
def dockerfile(draw: st.DrawFn) -> bytes:
    lines = [b"FROM " + draw(st.sampled_from([b"debian:12", b"scratch", b"${BASE}", b"a AS b", b""]))]
    args = st.lists(st.sampled_from(tokens("dockerfile")) | st.binary(max_size=6), max_size=6).map(b" ".join)
    for _ in range(draw(st.integers(0, 12))):
        lines.append(draw(st.sampled_from(DOCKER_KEYWORDS)).encode() + b" " + draw(args))
    return b"\n".join(lines) + draw(st.sampled_from([b"\n", b"", b"\\\n", b"\n<<EOF\n"]))


def _xml_text(draw: st.DrawFn) -> str:
    text = draw(TEXT)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;") if draw(st.booleans()) else text


@st.composite
def junit_xml(draw: st.DrawFn) -> bytes:
    attrs = ["name", "classname", "file", "line", "time", "tests", "failures", "errors", "skipped"]

    def attributes() -> str:
        chosen = draw(st.lists(st.sampled_from(attrs), max_size=5, unique=True))
        nums = st.sampled_from(["0", "1", "-1", "1e400", "nan", "0.5", "99999999999999999999", "x", ""])
        return "".join(f' {a}="{draw(nums) if draw(st.booleans()) else _xml_text(draw)}"' for a in chosen)

    cases = []
    for _ in range(draw(st.integers(0, 5))):
        inner = draw(st.sampled_from(["", "<failure message='m'>trace</failure>", "<error/>", "<skipped/>",
                                      "<system-out>out</system-out>", "<failure>panicked at src/a.rs:1:2</failure>"]))
        cases.append(f"<testcase{attributes()}>{inner}</testcase>")
    suite = f"<testsuite{attributes()}>{''.join(cases)}</testsuite>"
    root = draw(st.sampled_from(["{}", "<testsuites{a}>{}</testsuites>", "<testsuites>{}{}</testsuites>"]))
    return ('<?xml version="1.0"?>' + root.replace("{a}", attributes()).replace("{}", suite)).encode()


@st.composite
def cargo_toml(draw: st.DrawFn) -> bytes:
    tables = ["[package]", "[workspace]", "[dependencies]", "[dev-dependencies]", "[[bin]]", "[[test]]", "[lib]",
              "[workspace.package]", "[features]", "[target.'cfg(unix)'.dependencies]", "[package.metadata]"]
    keys = ["name", "version", "path", "members", "edition", "workspace", "autobins", "version.workspace", "'a b'",
            "default-run", "exclude", "serde", "build"]
    vals = st.sampled_from(['"x"', '"0.1.0"', "true", "1", '["crates/*"]', '{ workspace = true }', '{ path = "../a" }',
                            '"src/main.rs"', "[]", "{}", "1979-05-27", "inf", '"""\nmulti\n"""', "'lit'"])
    out = []
    for _ in range(draw(st.integers(1, 6))):
        out.append(draw(st.sampled_from(tables)))
        for _ in range(draw(st.integers(0, 4))):
            out.append(f"{draw(st.sampled_from(keys))} = {draw(vals)}")
    return "\n".join(out).encode()


@st.composite
def markdown(draw: st.DrawFn) -> bytes:
    blocks = st.sampled_from(["# Title", "## Running the tests", "Setext\n===", "```bash\ncargo test\n```",
                              "```\npytest -q\n", "~~~console\n$ make test\n~~~", "    indented", "- [ ] todo",
                              "- [x] done", "[link](docs/a.md#x)", "[ref]: ./README.md", "> quote", "<details>",
                              "| a | b |\n|---|---|\n| 1 | 2 |", "`ao build`", "<!-- comment", "1. step"])
    parts = draw(st.lists(blocks | TEXT, min_size=1, max_size=12))
    return "\n\n".join(parts).encode("utf-8", "surrogatepass")


@st.composite
def decision_log(draw: st.DrawFn) -> bytes:
    """A seed log whose events (as JSON) get one field changed to an arbitrary value, re-serialised
    canonically or not."""
    seed = draw(st.sampled_from(seeds("decision_log")))
    log, *rest = seed.split(load_targets().LOG_PARTS_SEPARATOR)
    lines = log.splitlines()
    events = []
    for line in lines:
        try:
            events.append(json.loads(line))
        except ValueError:  # the torn seed's last line
            continue
    if events:
        event = draw(st.sampled_from(events))
        field = draw(st.sampled_from([*event, "extra"]))
        event[field] = draw(values(st.sampled_from(["seq", "hash", "kind", "decision_id", "facts"])))
    compact = draw(st.booleans())
    body = b"".join(
        json.dumps(e, separators=(",", ":") if compact else None, sort_keys=compact).encode() + b"\n" for e in events
    )
    separator: bytes = load_targets().LOG_PARTS_SEPARATOR
    return separator.join([body, *rest])


POLICY_IDS = ["no-todos-in-release-files", "tests-passed", "test-results-present", "dockerfiles-bake-in-no-secrets",
              "dockerfiles-install-nothing-unnecessary", "engineer-signed-off", "nope"]


def _set_at(doc: Any, path: list[str], value: Any) -> None:
    """Set ``value`` at the deepest existing prefix of ``path`` (dict keys only)."""
    for key in path[:-1]:
        if not isinstance(doc, dict) or key not in doc:
            break
        doc = doc[key]
    if isinstance(doc, dict):
        doc[path[-1]] = value


@st.composite
def grpc_request(draw: st.DrawFn) -> bytes:
    """A seed EvaluateRequest with its fields replaced by odd values and one value of its fact document
    changed (the target recomputes the digest when the first byte asks for it)."""
    from anops_policy.server import policy_pb2  # noqa: PLC0415 - grpc only for this target

    seed = draw(st.sampled_from(seeds("grpc_evaluate")))
    request = policy_pb2.EvaluateRequest.FromString(seed[1:])
    facts = json.loads(request.facts_json)
    section = draw(st.sampled_from(sorted(facts)))
    keys = st.sampled_from(["meta", "collectors", "status", "count", "by_path", "paths", "summary", "now", "digest",
                            "release_files", "components", "problems", "cases", "failed", section])
    path = [section, *draw(st.lists(keys, max_size=3))]
    _set_at(facts, path, draw(values(keys)))
    request.facts_json = json.dumps(facts).encode()
    odd_json = st.sampled_from([b"", b"{}", b"[]", b"null", b'{"x": 1}', b'{"tests-passed": {"x": 1}}', b"{", b"\xff"])
    for _ in range(draw(st.integers(0, 3))):
        field = draw(st.sampled_from(["policies", "packs", "params_json", "config_json", "now", "fail_on",
                                      "policy_deadline_s", "display_path"]))
        if field in ("policies", "packs"):
            del getattr(request, field)[:]
            getattr(request, field).extend(draw(st.lists(st.sampled_from([*POLICY_IDS, "production-readiness"]),
                                                         min_size=1, max_size=3)))
        elif field in ("params_json", "config_json"):
            setattr(request, field, draw(odd_json | values(keys).map(lambda v: json.dumps(v).encode())))
        elif field == "policy_deadline_s":
            request.policy_deadline_s = draw(st.floats())
        else:
            setattr(request, field, draw(TEXT | st.sampled_from(["2026-13-01", "soft", "hard", "advisory"])))
    wire: bytes = request.SerializeToString()
    return bytes([draw(st.sampled_from([0, 1, 1, 1]))]) + wire


STRUCTURED: dict[str, st.SearchStrategy[bytes]] = {
    "policy_load": yaml_doc([*POLICY_BASE, "variables", "applies_when", "evidence"], POLICY_BASE),
    "cel_check": cel_expr().map(str.encode),
    "dockerfile": dockerfile(),
    "github_workflow": yaml_doc(
        ["on", "jobs", "name", "env", "defaults", "permissions", "concurrency"],
        {"on": ["push"], "jobs": {"t": {"runs-on": "ubuntu-latest", "steps": [{"run": "pytest"}, {"uses": "a/b@v1"}]}}},
    ),
    "gitlab_ci": yaml_doc(
        ["stages", "include", "test", "default", "variables", ".base", "workflow"],
        {"stages": ["test"], "include": [{"local": "ci/common.yml"}], "test": {"stage": "test", "script": ["pytest"]}},
    ),
    "junit": junit_xml(),
    "cargo_toml": cargo_toml(),
    "markdown_docs": markdown(),
    "decision_log": decision_log(),
    "grpc_evaluate": grpc_request(),
}


def inputs(target: str) -> st.SearchStrategy[bytes]:
    """Structured documents, seed mutations, and (rarely useful but cheap) plain random bytes."""
    return st.one_of(STRUCTURED[target], mutated(target), st.binary(max_size=200))
