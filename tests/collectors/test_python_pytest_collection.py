"""The tests the python collector finds (read with ``ast``) are the tests pytest itself collects:
``pytest --collect-only`` on a suite with module functions, Test classes, unittest.TestCase classes,
parametrised tests, classes and functions pytest ignores, conftest fixtures and helper modules."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from anops_policy.config import RepoConfig
from anops_policy.pipeline.collect import collect_facts

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
FILES = {
    "pytest.ini": "[pytest]\naddopts = -p no:cacheprovider\n",
    "svc/server.py": "from http.server import HTTPServer, BaseHTTPRequestHandler\n"
    "def serve():\n    HTTPServer(('', 0), BaseHTTPRequestHandler).serve_forever()\n",
    "svc/tests/conftest.py": "import pytest\n\n@pytest.fixture\ndef port():\n    yield 0\n    print('closed')\n",
    "svc/tests/helpers.py": "def test_like_helper():\n    return 1\n",
    "svc/tests/test_plain.py": (
        "import pytest\n\n"
        "def test_one(port):\n    assert port == 0\n\n"
        "@pytest.mark.parametrize('n', [1, 2, 3])\ndef test_param(n):\n    assert n\n\n"
        "def helper_not_a_test():\n    pass\n\n"
        "class TestGroup:\n    def test_a(self):\n        pass\n\n    def helper(self):\n        pass\n\n"
        "    @pytest.mark.parametrize('x', ['a', 'b'])\n    def test_b(self, x):\n        assert x\n\n"
        "class Helper:\n    def test_ignored(self):\n        pass\n\n"
        "@pytest.fixture\ndef test_named_fixture():\n    return 1\n"
    ),
    "svc/tests/test_unit.py": (
        "import unittest\n\n"
        "class CaseOne(unittest.TestCase):\n    def setUp(self):\n        self.x = 1\n\n"
        "    def test_x(self):\n        self.assertEqual(self.x, 1)\n\n"
        "    def tearDown(self):\n        self.x = 0\n"
    ),
    "tests/e2e/test_flow.py": "def test_flow():\n    assert True\n\nasync def test_async_flow():\n    assert True\n",
    "tests/test_e2e_smoke.py": "def test_smoke():\n    pass\n",
}
NODE = re.compile(r"^(?P<path>[^:]+\.py)::(?P<name>[^\[\s]+)")


def write(root: Path) -> None:
    for rel, text in FILES.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)


def pytest_collected(root: Path) -> set[tuple[str, str]]:
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "--rootdir", str(root), str(root)],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    found = set()
    for line in out.stdout.splitlines():
        match = NODE.match(line.strip())
        if match:
            found.add((match["path"], match["name"].replace("::", ".")))
    assert found, out.stdout + out.stderr
    return found


def test_collector_finds_what_pytest_collects(tmp_path: Path) -> None:
    write(tmp_path)
    expected = pytest_collected(tmp_path)
    document = collect_facts(tmp_path, RepoConfig(), now=NOW, only=["python"], use_git=False)
    python = document["python"]
    # every test is counted in its file; all of them are listed under the service (svc/) or the e2e files
    counts = {p: f["test_count"] for p, f in python["test_files"].items() if f["test_count"]}
    assert counts == dict(Counter(path for path, _name in expected))
    e2e_files = python["e2e"]["files"]
    found = {(t["path"], t["name"]) for s in python["services"].values() for t in s["tests"]}
    found |= {(t["path"], t["name"]) for p in e2e_files for t in python["test_files"][p]["tests"]}
    assert found == expected
    assert len(expected) == 8
    e2e = python["e2e"]
    assert e2e["files"] == ["tests/e2e/test_flow.py", "tests/test_e2e_smoke.py"]
    assert e2e["test_count"] == 3
