"""Long fuzz runs with atheris (libFuzzer for Python) over the targets in ``fuzz/targets.py``.

    python fuzz/run.py TARGET [libFuzzer flags...]      e.g. python fuzz/run.py dockerfile -max_total_time=600
    python fuzz/run.py --list

The seed corpus is ``fuzz/corpus/TARGET``; new interesting inputs go to ``fuzz/work/TARGET`` (not
committed) and crashing or hanging inputs to ``fuzz/findings/TARGET``. Hangs: libFuzzer's ``-timeout``
(30 s here) is atheris's SIGALRM handler (the CEL deadline uses its own CPU-time timer, SIGPROF); when
the hang holds the GIL (a regular expression backtracking in C) atheris falls back to a native handler
that still writes the input. A watchdog thread (``--hang-seconds``, default 60) is the second net for
hangs in Python code. Memory is bounded by libFuzzer's ``-rss_limit_mb`` (2048 here).

Without atheris installed (``pip install 'anops-policy[fuzz]'``), ``--hypothesis`` runs the same target
for as long under hypothesis with random bytes and the seed mutations of ``tests/fuzz``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import threading
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
INSTRUMENTED = ["anops_policy", "yaml", "markdown_it", "tomllib", "defusedxml", "lark", "celpy", "dockerfile_parse"]


class Watchdog(threading.Thread):
    """Writes the running input to ``findings`` and exits when one input runs over ``limit`` seconds."""

    def __init__(self, limit: float, findings: Path) -> None:
        super().__init__(daemon=True)
        self.limit = limit
        self.findings = findings
        self.current: bytes | None = None
        self.started = 0.0

    def begin(self, data: bytes) -> None:
        self.current, self.started = data, time.monotonic()

    def end(self) -> None:
        self.current = None

    def run(self) -> None:
        while True:
            time.sleep(1.0)
            data = self.current
            if data is not None and time.monotonic() - self.started > self.limit:
                path = save_finding(self.findings, "timeout", data)
                sys.stderr.write(f"\n==WATCHDOG== an input ran over {self.limit:.0f} s; saved as {path}\n")
                sys.stderr.flush()
                os._exit(70)


def save_finding(folder: Path, kind: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{kind}-{hashlib.sha1(data).hexdigest()[:16]}"
    path.write_bytes(data)
    return path


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("target", nargs="?")
    parser.add_argument("--list", action="store_true")
    parser.add_argument("--hang-seconds", type=float, default=60.0)
    parser.add_argument("--hypothesis", action="store_true", help="run under hypothesis instead of atheris")
    args, libfuzzer_args = parser.parse_known_args(argv[1:])
    sys.path.insert(0, str(HERE))
    if args.list or not args.target:
        import targets  # noqa: PLC0415

        print("\n".join(targets.TARGETS))
        return 0
    corpus, work, findings = HERE / "corpus" / args.target, HERE / "work" / args.target, HERE / "findings" / args.target
    if args.hypothesis:
        return _hypothesis(args.target, libfuzzer_args)
    import atheris  # noqa: PLC0415

    with atheris.instrument_imports(include=INSTRUMENTED):
        # imported lazily by the engine: import them here, or they run uninstrumented (no coverage signal)
        import anops_policy.collectors  # noqa: PLC0415
        import targets  # noqa: PLC0415

        if args.target == "grpc_evaluate":
            import anops_policy.server.service  # noqa: F401, PLC0415

    target = targets.TARGETS[args.target]
    watchdog = Watchdog(args.hang_seconds, findings)
    watchdog.start()

    def one_input(data: bytes) -> None:
        watchdog.begin(data)
        try:
            target(data)
        except Exception:
            path = save_finding(findings, "crash", data)
            sys.stderr.write(f"\n==FINDING== saved as {path}\n{traceback.format_exc()}")
            raise
        finally:
            watchdog.end()

    work.mkdir(parents=True, exist_ok=True)
    findings.mkdir(parents=True, exist_ok=True)
    flags = [f"-artifact_prefix={findings}/", "-timeout=30", "-rss_limit_mb=2048", "-max_len=16384"]
    flags.append("-print_final_stats=1")
    dictionary = HERE / "dict" / f"{args.target}.dict"
    if dictionary.is_file():
        flags.append(f"-dict={dictionary}")
    flags += libfuzzer_args  # later flags win
    atheris.Setup([sys.argv[0], *flags, str(work), str(corpus)], one_input)
    atheris.Fuzz()
    return 0


def _hypothesis(name: str, args: list[str]) -> int:
    """The fallback long run: inputs drawn from the hypothesis strategies of ``tests/fuzz`` for
    ``-max_total_time`` seconds (default 600); a finding is saved and re-raised."""
    import warnings  # noqa: PLC0415

    seconds = 600.0
    for arg in args:
        if arg.startswith("-max_total_time="):
            seconds = float(arg.split("=", 1)[1])
    sys.path.insert(0, str(HERE.parent / "tests" / "fuzz"))
    import fuzz_strategies  # noqa: PLC0415
    import targets  # noqa: PLC0415

    warnings.simplefilter("ignore")  # .example() outside a test warns; here it is the point
    target, strategy = targets.TARGETS[name], fuzz_strategies.inputs(name)
    end, count = time.monotonic() + seconds, 0
    while time.monotonic() < end:
        data = strategy.example()
        count += 1
        try:
            target(data)
        except Exception:
            path = save_finding(HERE / "findings" / name, "crash", data)
            sys.stderr.write(f"==FINDING== after {count} inputs, saved as {path}\n")
            raise
    print(f"hypothesis fallback: {count} inputs in {seconds:.0f} s, no finding")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
