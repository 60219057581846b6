"""Benchmark 2, evaluation: the pack through the engine vs the same checks in plain cel-python and in Rego.

For each generated fact document (``benchmarks/generate_facts.py``), in this one process and interleaved
(so machine noise hits all three alike):

  pack   ``anops_policy.evaluation.evaluate.evaluate_packs`` — what ``anops-policy eval --facts FILE`` runs after
         reading the file: every policy of the built-in pack with its explanations, evidence and messages, on the
         default CEL backend (Google's C++ runtime when ``cel-expr-python`` is installed, else cel-python)
  pack-python  the same with ``ANOPS_CEL_BACKEND=python`` (cel-python only)
  celpy  ``plain_cel.CHECKS`` — one cel-python expression per policy, the whole document converted with
         ``celpy.json_to_cel``, programs compiled once beforehand
  rego   ``checks.rego`` through ``regopy`` — the document handed over as JSON, one query for all checks

Each timing starts from the parsed JSON document and ends with every check's result. The three must give
the same pass/fail for every (policy, subject); a disagreement is printed and makes the exit status 1.
Peak RSS is measured per engine in a fresh child process (load the document, evaluate once).

    python benchmarks/generate_facts.py /tmp/facts
    python benchmarks/evaluation/run.py /tmp/facts --sizes 1000,10000,100000 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
ENGINES = ("pack", "pack-python", "celpy", "rego")
Results = dict[str, Any]  # policy id -> None (not applicable) | bool | {subject: bool}


# ---- the three engines: prepare once, then run(document) -> Results ---------------------------------------


def pack_engine(deadline: float, backend: str) -> Callable[[dict[str, Any]], Results]:
    from anops_policy.cel.backend import use_backend  # noqa: PLC0415 - a peak-RSS child loads only its engine
    from anops_policy.evaluation.evaluate import RunSettings, evaluate_packs  # noqa: PLC0415 - a peak-RSS child loads only its engine
    from anops_policy.policy.packs import load_pack, resolve_pack_ref  # noqa: PLC0415 - a peak-RSS child loads only its engine

    pack = load_pack(resolve_pack_ref("builtin:production-readiness", Path()))
    settings = RunSettings(now=NOW, deadline_s=deadline)

    def run(document: dict[str, Any]) -> Results:
        use_backend(backend)
        out: Results = {p.id: None for p in pack.policies}
        for d in evaluate_packs([pack], document, {}, settings):
            if d.outcome.value == "not_applicable":
                continue
            value: Any = d.outcome.value == "pass" if d.outcome.value in ("pass", "fail") else d.outcome.value
            if d.subject is None:
                out[d.policy] = value
            else:
                if not isinstance(out[d.policy], dict):
                    out[d.policy] = {}
                out[d.policy][d.subject] = value
        return out

    return run


def celpy_engine() -> Callable[[dict[str, Any]], Results]:
    import celpy  # noqa: PLC0415 - a peak-RSS child loads only its engine
    import celpy.adapter  # noqa: PLC0415
    import celpy.celtypes as ct  # noqa: PLC0415 - a peak-RSS child loads only its engine
    from plain_cel import CHECKS  # noqa: PLC0415 - a peak-RSS child loads only its engine

    env = celpy.Environment()
    programs = {pid: env.program(env.compile(src)) for pid, src in CHECKS.items()}

    def plain(value: Any) -> Any:
        if isinstance(value, ct.BoolType):
            return bool(value)
        if isinstance(value, list):
            return {str(pair[0]): plain(pair[1]) for pair in value}
        if value is None:
            return None
        return f"error: {value}"

    def run(document: dict[str, Any]) -> Results:
        activation = {"facts": celpy.adapter.json_to_cel(document)}
        return {pid: plain(prog.evaluate(activation)) for pid, prog in programs.items()}

    return run


def rego_engine() -> Callable[[dict[str, Any]], Results]:
    import regopy  # type: ignore[import-untyped]  # noqa: PLC0415 - a peak-RSS child loads only its engine
    from plain_cel import CHECKS  # noqa: PLC0415 - a peak-RSS child loads only its engine

    module = (HERE / "checks.rego").read_text()

    def run(document: dict[str, Any]) -> Results:
        rego = regopy.Interpreter()
        rego.add_module("checks", module)
        rego.set_input_term(json.dumps(document))
        output = json.loads(str(rego.query("x = data.checks.result")))
        found = output["bindings"]["x"]
        return {pid: found.get(pid) for pid in CHECKS}

    return run


def make(engine: str, deadline: float) -> Callable[[dict[str, Any]], Results]:
    if engine in ("pack", "pack-python"):
        return pack_engine(deadline, "auto" if engine == "pack" else "python")
    return celpy_engine() if engine == "celpy" else rego_engine()


# ---- comparing ------------------------------------------------------------------------------------------


def decisions(results: Results) -> dict[tuple[str, str], Any]:
    flat: dict[tuple[str, str], Any] = {}
    for pid, value in results.items():
        if isinstance(value, dict):
            flat.update({(pid, subject): v for subject, v in value.items()})
        elif value is not None:
            flat[(pid, "")] = value
    return flat


def disagreements(all_results: dict[str, Results]) -> tuple[int, list[str]]:
    flat = {engine: decisions(r) for engine, r in all_results.items()}
    keys = sorted(set().union(*flat.values()))
    out = []
    for key in keys:
        values = {engine: f.get(key, "n/a") for engine, f in flat.items()}
        # a lone engine (above --others-up-to) is still checked: an error or deadline outcome is no answer
        if len({json.dumps(v) for v in values.values()}) > 1 or not all(isinstance(v, bool) for v in values.values()):
            out.append(f"{key[0]} {key[1]}: " + ", ".join(f"{e}={v}" for e, v in values.items()))
    return len(keys), out


# ---- peak RSS in a child --------------------------------------------------------------------------------


def peak_rss_mb(engine: str, facts: Path, deadline: float) -> float:
    child = subprocess.run(
        [sys.executable, __file__, "--child", engine, str(facts), "--deadline", str(deadline)],
        check=True,
        capture_output=True,
        text=True,
    )
    return float(child.stdout.strip().splitlines()[-1])


def child(engine: str, facts: Path, deadline: float) -> None:
    run = make(engine, deadline)
    run(json.loads(facts.read_text()))
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            print(int(line.split()[1]) / 1024)


# ---- main -----------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description="pack vs plain cel-python vs Rego on generated fact documents")
    parser.add_argument("facts_dir", type=Path, help="folder written by benchmarks/generate_facts.py")
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per engine (median reported)")
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--deadline", type=float, default=2.0, help="the engine's per-policy deadline (s)")
    parser.add_argument("--no-rss", action="store_true", help="skip the peak-RSS children")
    parser.add_argument(
        "--others-up-to",
        type=int,
        default=None,
        help="run celpy and rego only up to this many TODOs (they take minutes per run at 100,000)",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.facts_dir, args.deadline)
        return 0
    engines = args.engines.split(",")
    runners = {e: make(e, args.deadline) for e in engines}
    rows = []
    failed = False
    for size in (int(s) for s in args.sizes.split(",")):
        facts = args.facts_dir / f"facts-{size}.json"
        document = json.loads(facts.read_text())
        here = [e for e in engines if e.startswith("pack") or args.others_up_to is None or size <= args.others_up_to]
        times: dict[str, list[float]] = {e: [] for e in here}
        results: dict[str, Results] = {}
        for _ in range(args.repeat):
            for engine in here:  # interleaved: noise from other work hits every engine alike
                start = time.perf_counter()
                results[engine] = runners[engine](document)
                times[engine].append(time.perf_counter() - start)
        compared, bad = disagreements(results)
        for line in bad:
            print(f"DISAGREE at {size}: {line}", file=sys.stderr)
        failed = failed or bool(bad)
        median = {e: statistics.median(t) for e, t in times.items()}
        rss = {} if args.no_rss else {e: peak_rss_mb(e, facts, args.deadline) for e in here}
        rows.append((size, facts.stat().st_size / 1e6, median, rss, compared, len(bad)))
        print(f"{size}: " + ", ".join(f"{e} {median[e]:.3f}s" for e in here), file=sys.stderr)
    print_table(rows, engines)
    print(f"\ncommand: python {' '.join(sys.argv)}")
    return 1 if failed else 0


def print_table(rows: list[Any], engines: list[str]) -> None:
    head = ["TODOs", "facts MB"] + [f"{e} s" for e in engines]
    bases = [b for b in engines if b.startswith("pack")]
    others = [e for e in engines if not e.startswith("pack")]
    head += [f"{e} / {b}" for b in bases for e in others]
    head += [f"{e} peak MB" for e in engines] + ["decisions compared", "disagreements"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---:|" * len(head))
    for size, mb, median, rss, compared, bad in rows:
        cells = [f"{size:,}", f"{mb:.1f}"] + [f"{median[e]:.3f}" if e in median else "-" for e in engines]
        cells += [f"{median[e] / median[b]:.1f}×" if e in median else "-" for b in bases for e in others]
        cells += [f"{rss[e]:.0f}" if e in rss else "-" for e in engines] + [str(compared), str(bad)]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    raise SystemExit(main())
