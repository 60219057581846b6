"""``anops-policy query``: values as JSON with path:line, the static check's errors and suggestions (exit 2),
runtime errors (exit 1), and the interactive prompt's completion of fact paths in a real terminal (tmux)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from anops_policy.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "anops"
CASES = [
    # (arguments after `query`, exit code, text the output must contain)
    (["facts.todos.by_path.map(p, p)", str(EXAMPLE)], 0, '"ao-cli/src/build.rs"'),
    (['facts.todos.items.filter(i, i.tag == "FIXME")', str(EXAMPLE)], 0, "ao-cli/src/utils.rs:20"),
    (["facts.todo.by_path.map(p, p)", str(EXAMPLE)], 2, "query:1:7: unknown field 'facts.todo' (did you mean"),
    (["sise(facts.todos.items)", str(EXAMPLE)], 2, "unknown function 'sise' (did you mean 'size'?)"),
    (["facts.todos.items[1000]", str(EXAMPLE)], 1, "evaluates to an error"),
    (["facts.todos.(", str(EXAMPLE)], 2, "query:1:13: invalid CEL"),
]


@pytest.mark.parametrize(("args", "code", "shown"), CASES, ids=[c[0][0] for c in CASES])
def test_query(args: list[str], code: int, shown: str) -> None:
    result = CliRunner().invoke(cli, ["query", *args])
    assert result.exit_code == code, result.output
    assert shown in result.output


def test_typo_gets_the_same_suggestion_as_check(tmp_path: Path) -> None:
    policy = (ROOT / "tests/authoring/mutation_cases/weak-examples/max-todo-count.yaml").read_text()
    typo = policy.replace("facts.todos.counts.total <=", "facts.todo.counts.total <=")
    (tmp_path / "max-todo-count.yaml").write_text(typo)
    checked = CliRunner().invoke(cli, ["check", str(tmp_path)])
    queried = CliRunner().invoke(cli, ["query", "facts.todo.counts.total", str(EXAMPLE)])
    assert checked.exit_code == queried.exit_code == 2
    suggestion = queried.output.split(": ", 2)[2].strip()
    assert suggestion in checked.output


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (apt-get install tmux)")
def test_prompt_completes_fact_paths_in_a_terminal(tmp_path: Path) -> None:
    facts = tmp_path / "facts.json"
    subprocess.run([sys.executable, "-m", "anops_policy", "facts", str(EXAMPLE), "--only", "todos", "-o", str(facts)],
                   check=True, capture_output=True)
    session = f"anops-query-{time.monotonic_ns()}"
    command = f"HOME={tmp_path} {sys.executable} -m anops_policy query --facts {facts}"
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "120", "-y", "30", command], check=True)
    try:
        _wait_for(session, "query>")
        subprocess.run(["tmux", "send-keys", "-t", session, "facts.to", "Tab"], check=True)
        screen = _wait_for(session, "facts.todos")
        assert "query> facts.todos" in screen
        subprocess.run(["tmux", "send-keys", "-t", session, ".counts.total", "Enter"], check=True)
        screen = _wait_for(session, "query>", count=2)
        total = json.loads(facts.read_text())["todos"]["counts"]["total"]
        assert f"\n{total}\n" in screen
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], check=False, capture_output=True)


def _wait_for(session: str, text: str, count: int = 1, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        capture = ["tmux", "capture-pane", "-p", "-t", session]
        screen = subprocess.run(capture, check=False, capture_output=True, text=True).stdout
        if screen.count(text) >= count:
            return screen
        time.sleep(0.2)
    raise AssertionError(f"{text!r} did not appear:\n{screen}")
