"""Headless Chromium for the tests of the HTML pages (the audit report of one log and of a whole store):
find the binary, run it with a throwaway profile and no network helpers, and read console problems from
its log. Screenshots go to test-artifacts/ (ignored by git) so a closing note can cite them."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def chromium(browser: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
         f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", *args],
        capture_output=True, text=True, timeout=180, check=False)


def console_problems(stderr: str) -> list[str]:
    """Console messages (errors, CSP refusals, uncaught exceptions) in Chromium's log: the page has no
    script, so any console message at all is a problem."""
    return [line for line in stderr.splitlines()
            if ":CONSOLE" in line or "Uncaught" in line or "Refused to" in line or "net::ERR" in line]
