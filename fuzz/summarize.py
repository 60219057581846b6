"""A Markdown table of atheris runs from their logs: ``python fuzz/summarize.py LOG...``.

Reads what libFuzzer prints with ``-print_final_stats=1`` (executions, exec/s, peak RSS, new units), the
last status line (coverage edges ``cov``, features ``ft``, corpus size) and whether the run ended on a
finding (``==FINDING==``/``==WATCHDOG==`` from ``fuzz/run.py``, or libFuzzer's timeout or deadly signal).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path


def summarize(path: Path) -> str:
    text = path.read_text(errors="replace")
    stats = dict(re.findall(r"^stat::(\w+):\s+(\d+)", text, re.M))
    status = re.findall(r"^#\d+\s+(?:DONE|pulse|NEW|REDUCE)\s+cov: (\d+) ft: (\d+) corp: (\d+)/", text, re.M)
    cov, ft, corp = status[-1] if status else ("?", "?", "?")
    done = re.search(r"^Done (\d+) runs in (\d+) second", text, re.M)
    seconds = done.group(2) if done else "?"
    if any(m in text for m in ("==FINDING==", "==WATCHDOG==", "libFuzzer: timeout", "libFuzzer: deadly signal")):
        outcome = "finding"
    elif done:
        outcome = "none"
    else:
        outcome = "incomplete"
    name = re.sub(r"^[a-z0-9]+-", "", path.stem)
    return (
        f"| {name} | {seconds} | {stats.get('number_of_executed_units', '?')} "
        f"| {stats.get('average_exec_per_sec', '?')} | {cov} | {ft} | {corp} "
        f"| {stats.get('peak_rss_mb', '?')} | {outcome} |"
    )


def main(paths: list[str]) -> int:
    print("| target | seconds | executions | exec/s | cov | ft | corpus | peak RSS MB | findings |")
    print("|---|---|---|---|---|---|---|---|---|")
    for p in paths:
        print(summarize(Path(p)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
