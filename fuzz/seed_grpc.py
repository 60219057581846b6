"""Write the ``grpc_evaluate`` seeds: EvaluateRequests carrying a fact document collected now, by the
current collectors, from a small repository made of other targets' seeds. Run it again when the fact
schema changes (``tests/fuzz`` fails when a seed is no longer judged):

    python fuzz/seed_grpc.py
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import targets  # noqa: E402

from anops_policy.config import config_from_data  # noqa: E402
from anops_policy.pipeline.collect import collect_facts  # noqa: E402
from anops_policy.server import policy_pb2  # noqa: E402

WAIVER = {
    "policy": "no-todos-in-release-files",
    "subject": "src/main.py",
    "owner": "jane@example.com",
    "reason": "tracked",
    "ticket": "ANOPS-1",
    "expires": "2026-12-31",
}


def requests(facts: bytes) -> dict[str, policy_pb2.EvaluateRequest]:
    return {
        "tests_policies": policy_pb2.EvaluateRequest(
            facts_json=facts, policies=["tests-passed", "test-results-present"]
        ),
        "one_policy": policy_pb2.EvaluateRequest(
            facts_json=facts,
            policies=["no-todos-in-release-files"],
            params_json=b'{"no-todos-in-release-files": {"max_markers": 2}}',
            fail_on="hard",
            now="2026-11-27T00:00:00Z",
        ),
        "waiver": policy_pb2.EvaluateRequest(
            facts_json=facts,
            packs=["production-readiness"],
            policies=["no-todos-in-release-files", "dockerfiles-install-nothing-unnecessary"],
            config_json=json.dumps({"waivers": [WAIVER]}).encode(),
            policy_deadline_s=0.5,
            display_path="repo",
        ),
    }


def main() -> int:
    corpus = HERE / "corpus"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        files = {
            "Dockerfile": (corpus / "dockerfile" / "shell_forms").read_bytes(),
            "reports/junit.xml": (corpus / "junit" / "pytest.xml").read_bytes(),
            "src/main.py": b"# TODO: later\nprint('x')\n",
        }
        for rel, data in files.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_bytes(data)
        config = config_from_data({"release_files": ["src/main.py"]}, None, "seed config")
        document = collect_facts(
            root, config, now=targets.NOW, use_git=False, only=["todos", "dockerfiles", "tests", "layout"]
        )
    facts = json.dumps(document, separators=(",", ":")).encode()
    out = corpus / "grpc_evaluate"
    out.mkdir(exist_ok=True)
    for name, request in requests(facts).items():
        wire: bytes = request.SerializeToString()
        (out / name).write_bytes(b"\x01" + wire)  # first byte: recompute the digest (see targets.grpc_evaluate)
        print(f"{out / name}: {len(wire) + 1} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
