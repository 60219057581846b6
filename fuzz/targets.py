"""Fuzz targets shared by the hypothesis tests (``tests/fuzz``) and the atheris runner (``fuzz/run.py``).

Each target takes the raw bytes of one untrusted input and feeds it to the public function that reads
that input in a real run. The contract it asserts: the function returns a result, raises one of
anops-policy's own errors (``AnopsError``, a CEL syntax error, a Dockerfile syntax error), or records
the file as skipped. Any other exception escapes the target (a finding); a collector that reports an
internal error or produces facts its schema rejects raises ``ContractViolation`` (a finding too).
Hangs and runaway memory are caught by the runners (hypothesis deadline, atheris watchdog and RSS limit).
"""

from __future__ import annotations

import atexit
import gzip
import hashlib
import json
import os
import shutil
import tempfile
import traceback
import zlib
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from anops_policy.audit import store as log_store
from anops_policy.audit.decision_log import head_path, objects_dir, read_events
from anops_policy.audit.verify import VerifyOptions, repair_log, verify_log
from anops_policy.cel import evaluator as cel
from anops_policy.cel.deadline import DeadlineExceeded, deadline
from anops_policy.cel.values import timestamp, to_cel
from anops_policy.config import RepoConfig
from anops_policy.errors import AnopsError
from anops_policy.evaluation.examples import test_policy
from anops_policy.pipeline.collect import collect_facts
from anops_policy.policy.check import Names, check_tree, infer
from anops_policy.policy.packs import load_policies
from anops_policy.policy.schema_nav import fact_root

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
# the decision-log target's input is the log, then (optionally) the head file, then a stored object
LOG_PARTS_SEPARATOR = b"\n--8<--\n"


class ContractViolation(AssertionError):
    """The function did not raise, but its result breaks the contract (an internal error it swallowed,
    facts that fail their schema)."""


_workdir: list[Path] = []  # the process's base folder, created on first use


def _scratch(name: str, *, fresh: bool = True) -> Path:
    """The folder for one input (one per process, in memory where the machine allows). ``fresh=False``
    keeps it: a target that writes the same file names every time only overwrites them, which spares
    a directory removal per input (a fifth of a collector target's time on overlay file systems)."""
    if not _workdir:
        shm = Path("/dev/shm")
        base = str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None
        _workdir.append(Path(tempfile.mkdtemp(prefix=f"anops-fuzz-{os.getpid()}-", dir=base)))
        atexit.register(shutil.rmtree, _workdir[0], ignore_errors=True)
    case = _workdir[0] / name
    if fresh and case.exists():
        shutil.rmtree(case)
    case.mkdir(exist_ok=True)
    return case


def _write(root: Path, files: Mapping[str, bytes]) -> None:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


# ---- collectors ---------------------------------------------------------------------------------------

SUSPECT_SKIP = ("could not parse", "internal error")


def _collect(name: str, files: Mapping[str, bytes], key: str) -> None:
    """Run collector ``name`` (and what it depends on) on a repository holding ``files``; check that no
    collector swallowed an internal error and every section matches its schema (``collect_facts`` turns
    a schema mismatch into status ``error`` with that reason)."""
    root = _scratch(key, fresh=False)  # every call of one target writes the same names
    _write(root, files)
    _check_collect(root, name)


def _check_collect(root: Path, name: str) -> None:
    try:
        doc = collect_facts(root, RepoConfig(), now=NOW, only=[name], use_git=False)
    except AnopsError:
        return
    for collector, meta in doc["meta"]["collectors"].items():
        error = meta.get("error") or ""
        if meta["status"] == "error" and ("internal error" in error or "do not match its schema" in error):
            raise ContractViolation(f"collector {collector}: {error}")
        for skip in meta.get("skipped", []):
            if any(s in skip["reason"] for s in SUSPECT_SKIP):
                raise ContractViolation(f"collector {collector} skipped {skip['path']}: {skip['reason']}")
    section = doc.get(name)
    if section is not None and "internal error" in json.dumps(section):
        raise ContractViolation(f"collector {name} recorded an internal error: {json.dumps(section)[:2000]}")


def dockerfile(data: bytes) -> None:
    _collect("dockerfiles", {"Dockerfile": data, "app/main.py": b"print('hi')\n"}, "dockerfile")


def github_workflow(data: bytes) -> None:
    _collect(
        "ci",
        {
            ".github/workflows/ci.yml": data,
            ".github/actions/setup/action.yml": b"name: setup\nruns:\n  using: composite\n  steps:\n"
            b"    - run: make deps\n      shell: bash\n",
        },
        "github_workflow",
    )


def gitlab_ci(data: bytes) -> None:
    _collect(
        "ci",
        {".gitlab-ci.yml": data, "ci/common.yml": b".base:\n  image: python:3.11\n  script: [make test]\n"},
        "gitlab_ci",
    )


def junit(data: bytes) -> None:
    _collect("tests", {"reports/junit.xml": data}, "junit")


def cargo_toml(data: bytes) -> None:
    _collect(
        "rust",
        {
            "Cargo.toml": data,
            "src/main.rs": b'fn main() {\n    println!("hi");\n}\n',
            "src/lib.rs": b"pub fn f() -> u8 { 1 }\n",
            "tests/cli.rs": b"#[test]\nfn runs() { assert!(true); }\n",
            "crates/core/Cargo.toml": b'[package]\nname = "core"\nversion.workspace = true\n',
            "crates/core/src/lib.rs": b"pub fn g() {}\n",
        },
        "cargo_toml",
    )


def markdown_docs(data: bytes) -> None:
    files = {"README.md": data, "ACTIONPLAN.md": data, "docs/guide.md": b"# Guide\n\nSee [x](../README.md)\n"}
    _collect("docs", files, "markdown_docs")


# ---- policies and CEL ---------------------------------------------------------------------------------


def policy_load(data: bytes) -> None:
    """``anops-policy test`` on one policy file: load (YAML, schema, CEL compile and static check), then
    run its examples."""
    root = _scratch("policy_load")
    path = root / "fuzzed.yaml"
    path.write_bytes(data)
    try:
        policies = load_policies([path])
        for policy in policies:
            test_policy(policy, coverage=True)
    except AnopsError:
        return


def cel_scope() -> dict[str, Any]:
    facts = fact_root()
    return {
        "facts": facts,
        "params": Names("parameter", {"max_markers": None, "threshold": None}),
        "vars": Names("variable", {"found": None}),
        "now": None,
        "subject": None,
    }


FACTS_SAMPLE: dict[str, Any] = {
    "todos": {"count": 1, "by_path": {"a.rs": [{"path": "a.rs", "line": 3, "tag": "TODO", "text": "x"}]}},
    "layout": {"release_files": ["a.rs"], "components": [{"name": "cli", "kind": "rust-cli", "path": "."}]},
}


def cel_check(data: bytes) -> None:
    """The static check of one expression; an expression it accepts is then evaluated (under a deadline)
    and must give a value or a CEL runtime error — never a raw exception or unbounded recursion."""
    source = data.decode("utf-8", "replace")
    try:
        compiled = cel.compile_expr(source)
    except cel.CelSyntaxError:
        return
    scope = cel_scope()
    problems = check_tree(compiled.tree, scope)
    if problems:
        return
    infer(compiled.tree, scope)
    activation = {
        "facts": to_cel(FACTS_SAMPLE),
        "params": to_cel({"max_markers": 0, "threshold": 0.5}),
        "vars": to_cel({"found": []}),
        "now": timestamp(NOW),
        "subject": to_cel("a.rs"),
    }
    try:
        with deadline(2.0):
            cel.evaluate(compiled.tree, activation)
    except (cel.CelRuntimeError, DeadlineExceeded):
        return


# ---- decision log -------------------------------------------------------------------------------------


def decision_log(data: bytes) -> None:
    """The signoff collector, ``audit verify`` (with a sign-off requirement), the listing reader, the
    object store reader, and ``audit repair`` on a log whose file, head file and one stored object come
    from ``data``."""
    root = _scratch("decision_log")
    parts = data.split(LOG_PARTS_SEPARATOR, 2)
    log = root / ".anops-policy" / "decisions.jsonl"
    log.parent.mkdir()
    log.write_bytes(parts[0])
    if len(parts) > 1:
        head_path(log).write_bytes(parts[1])
    store = objects_dir(log)
    if len(parts) > 2:
        address = "sha256:" + hashlib.sha256(_gunzip(parts[2])).hexdigest()
        path = log_store.object_path(store, address)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(parts[2])
        try:
            log_store.problem(store, address)
            log_store.get(store, address)
        except AnopsError:
            pass
    _check_collect(root, "signoff")  # the one collector that reads the log (a pull request can commit one)
    try:
        verify_log(log, VerifyOptions(require_signoff="0123456789abcdef"))
        read_events(log)
        repair_log(log)
        verify_log(log)
    except AnopsError:
        return


def _gunzip(data: bytes) -> bytes:
    """The object's content when it decompresses (so its address matches and the reader gets as far as
    parsing it), else the raw bytes."""
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error):
        return data


# ---- gRPC ---------------------------------------------------------------------------------------------


class _Aborted(Exception):
    pass


class _Context:
    """The parts of ``grpc.ServicerContext`` the servicer uses: no deadline, always active, and
    ``abort`` records the status the client would get."""

    def __init__(self) -> None:
        self.status: Any = None
        self.details = ""

    def code(self) -> Any:
        return self.status

    def abort(self, code: Any, details: str) -> None:
        self.status, self.details = code, details
        raise _Aborted(details)

    def time_remaining(self) -> float | None:
        return None

    def is_active(self) -> bool:
        return True

    def set_trailing_metadata(self, metadata: Any) -> None:
        return None

    def invocation_metadata(self) -> tuple[tuple[str, str], ...]:
        return ()  # an anonymous caller, as on a loopback server without issuers

    def peer(self) -> str:
        return "ipv4:127.0.0.1:0"

    def auth_context(self) -> dict[str, list[bytes]]:
        return {}


class _InProcessPool:
    """The worker pool's ``run`` without processes: the same ``judge`` and ``summarize`` a worker runs.
    An exception a worker would report as internal is kept (with its traceback) for the finding."""

    def __init__(self, packs: Any, max_policy_deadline_s: float) -> None:
        from anops_policy.server.revisions import Revisions  # noqa: PLC0415

        self.revisions = Revisions(packs)
        self.max_policy_deadline_s = max_policy_deadline_s
        self.internal: str | None = None
        self.records_to_store = False  # as a server writing no store: a request's stream is not checked

    def run(
        self, job: Any, remaining: float | None, max_evaluation_s: float, active: Callable[[], bool],
        snapshot: Any = None,
    ) -> Any:
        from anops_policy.server.judge import BadRequest, judge, summarize  # noqa: PLC0415

        packs = list((snapshot or self.revisions.current()).packs)
        try:
            return summarize(judge(job, packs, self.max_policy_deadline_s).report)
        except BadRequest:
            raise
        except BaseException:
            self.internal = traceback.format_exc()
            raise


_service: list[Any] = []


def _grpc_service() -> tuple[Any, _InProcessPool]:
    if not _service:
        from anops_policy.policy.packs import builtin_pack_dir, load_pack  # noqa: PLC0415
        from anops_policy.server.service import Limits, PolicyService  # noqa: PLC0415

        packs = [load_pack(builtin_pack_dir("production-readiness"), "builtin:production-readiness")]
        pool = _InProcessPool(packs, 2.0)
        limits = Limits(max_message_bytes=4 * 1024 * 1024, max_evaluation_s=30.0, max_policy_deadline_s=2.0)
        _service.extend([PolicyService(pool, limits), pool])  # type: ignore[arg-type]
    return _service[0], _service[1]


def _fix_digest(request: Any) -> None:
    """Recompute the fact document's meta.digest (anyone can: it is a plain SHA-256), so that mutated
    documents get past the digest check into validation and evaluation."""
    from anops_policy.facts import digest_of  # noqa: PLC0415

    try:
        document = json.loads(request.facts_json)
    except (ValueError, RecursionError):
        return
    if isinstance(document, dict) and isinstance(document.get("meta"), dict):
        try:
            document["meta"]["digest"] = digest_of(document)
        except Exception:  # a document digest_of cannot canonicalise: send it unchanged
            return
        request.facts_json = json.dumps(document).encode()


def grpc_evaluate(data: bytes) -> None:
    """``PolicyService.Evaluate`` on a request decoded from the wire bytes ``data[1:]`` (a protobuf
    DecodeError is the gRPC runtime's answer, INVALID_ARGUMENT-like). ``data[0]``'s low bit asks the
    harness to fix up the facts digest first. The answer must be a response or a status the servicer
    chose on purpose; INTERNAL (a server bug, or a worker exception) is a finding."""
    grpc_status(data)


def grpc_status(data: bytes) -> str:
    """The status name ``Evaluate`` answers ``data`` with ("OK", "INVALID_ARGUMENT", ..., "UNDECODABLE")."""
    import grpc  # noqa: PLC0415
    from google.protobuf.message import DecodeError  # noqa: PLC0415

    from anops_policy.server import policy_pb2  # noqa: PLC0415

    if not data:
        return "UNDECODABLE"
    try:
        request = policy_pb2.EvaluateRequest.FromString(data[1:])
    except DecodeError:
        return "UNDECODABLE"
    if data[0] & 1:
        _fix_digest(request)
    service, pool = _grpc_service()
    pool.internal = None
    context = _Context()
    try:
        response = service.Evaluate(request, context)
    except _Aborted:
        if context.status == grpc.StatusCode.INTERNAL:
            raise ContractViolation(f"Evaluate answered INTERNAL: {context.details}\n{pool.internal or ''}") from None
        return f"{context.status.name}: {context.details}"
    response.SerializeToString()  # the response must encode (strings valid UTF-8, ints in range)
    return "OK"


TARGETS: dict[str, Callable[[bytes], None]] = {
    "policy_load": policy_load,
    "cel_check": cel_check,
    "dockerfile": dockerfile,
    "github_workflow": github_workflow,
    "gitlab_ci": gitlab_ci,
    "junit": junit,
    "cargo_toml": cargo_toml,
    "markdown_docs": markdown_docs,
    "decision_log": decision_log,
    "grpc_evaluate": grpc_evaluate,
}
