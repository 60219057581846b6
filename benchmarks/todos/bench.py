"""Benchmark the todos collector against ripgrep on a large synthetic multi-language tree.

    python benchmarks/todos/bench.py [--files 20000] [--kb 10] [--marker-rate 0.0005] [--git] [--repeat 3] [--dir DIR]

Generates DIR (default: a temp dir) with FILES source files of about KB kilobytes each in eight languages,
a few markers per hundred files (in comments, and decoys in strings), then times, best of REPEAT:

* ``rg -n '\\b(TODO|FIXME|XXX|HACK)\\b'`` over the tree (the line-level search the collector must match),
* the todos collector through the public API (``collect_facts(..., only=["todos"])``), blame off, with
  each search backend (rg, git grep, Python),

and prints each time and its ratio to ripgrep's. With ``--git`` the tree is committed first, so the
listing goes through ``git ls-files`` as in a real checkout (and the git-grep backend applies).
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from anops_policy.collection.repo import Repo
from anops_policy.config import config_from_data
from anops_policy.pipeline.collect import collect_facts

TEMPLATES = {
    "py": ("# {m}: tune the batch size\n", 'label = "{m}: not a comment"\n', "def f{i}(x):\n    return x + {i}\n"),
    "rs": ("// {m}: handle the error\n", 'let s = "{m}: in a string";\n', "fn f{i}(x: u32) -> u32 {{ x + {i} }}\n"),
    "go": ("// {m}: context deadline\n", 's := "{m} in a string"\n', "func f{i}(x int) int {{ return x + {i} }}\n"),
    "ts": ("// {m}: strict types\n", "const s = `{m} in a template`;\n",
           "export const f{i} = (x: number) => x + {i};\n"),
    "c": ("/* {m}: bounds check */\n", 'const char *s = "{m}";\n', "int f{i}(int x) {{ return x + {i}; }}\n"),
    "sh": ("# {m}: quote this\n", 'echo "{m} in quotes"\n', "f{i}() {{ echo $(( $1 + {i} )); }}\n"),
    "yaml": ("# {m}: pin the version\n", 'k{i}: "{m} in a scalar"\n', "key{i}: value-{i}\n"),
    "toml": ("# {m}: move to config\n", 'k{i} = "{m} in a string"\n', "key{i} = {i}\n"),
}
TAGS = ("TODO", "FIXME", "XXX", "HACK")


def generate(root: Path, files: int, kb: int, rate: float = 0.0005, seed: int = 7) -> int:
    """Write the tree; return the number of markers placed in comments."""
    rng = random.Random(seed)
    exts = sorted(TEMPLATES)
    markers = 0
    for n in range(files):
        ext = exts[n % len(exts)]
        comment, decoy, code = TEMPLATES[ext]
        folder = root / f"pkg{n % 200:03d}" / f"mod{n % 7}"
        folder.mkdir(parents=True, exist_ok=True)
        parts: list[str] = []
        size = 0
        i = 0
        while size < kb * 1024:
            roll = rng.random()
            if roll < rate:
                parts.append(comment.format(m=rng.choice(TAGS)))
                markers += 1
            elif roll < 2 * rate:
                parts.append(decoy.format(m=rng.choice(TAGS), i=i))
            else:
                parts.append(code.format(i=i))
            size += len(parts[-1])
            i += 1
        (folder / f"file{n}.{ext}").write_text("".join(parts))
    return markers


def best(fn: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=20000)
    ap.add_argument("--kb", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--marker-rate", type=float, default=0.0005,
                    help="chance per line of a marker in a comment (and, again, of a decoy in a string)")
    ap.add_argument("--git", action="store_true", help="commit the tree first (git ls-files listing)")
    ap.add_argument("--dir", type=Path, help="where to generate (default: a new temp dir, removed afterwards)")
    args = ap.parse_args()
    rg = shutil.which("rg")
    if rg is None:
        print("ripgrep not found: pip install --only-binary :all: ripgrep==14.1.0", file=sys.stderr)
        return 2
    root = args.dir or Path(tempfile.mkdtemp(prefix="todos-bench-"))
    try:
        start = time.perf_counter()
        placed = generate(root, args.files, args.kb, args.marker_rate)
        if args.git:
            env_args = ["-c", "user.name=bench", "-c", "user.email=bench@example.com"]
            subprocess.run(["git", "init", "-q", str(root)], check=True)
            subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
            subprocess.run(["git", "-C", str(root), *env_args, "commit", "-q", "-m", "tree"], check=True)
        size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and ".git" not in p.parts)
        tag_args = [arg for tag in ("TODO", "FIXME", "XXX", "HACK") for arg in ("-e", tag)]
        with_tags = subprocess.run([rg, "--no-config", "-l", *tag_args, "."],
                                   cwd=root, capture_output=True, text=True, check=False).stdout.count("\n")
        print(f"tree: {args.files} files ({with_tags} contain a tag), {size / 1e6:.0f} MB, "
              f"{placed} markers in comments "
              f"(generated in {time.perf_counter() - start:.1f}s){' , committed to git' if args.git else ''}")

        def run_rg() -> None:
            subprocess.run([rg, "--no-config", "-n", r"\b(TODO|FIXME|XXX|HACK)\b", "."], cwd=root,
                           capture_output=True, check=False)

        results = {"rg -n": best(run_rg, args.repeat)}
        # the listing every collector shares (git ls-files or a .gitignore-aware walk), for reference
        results["listing (Repo.files)"] = best(lambda: Repo(root, use_git=args.git).files(), args.repeat)
        found = {}
        for search in ("rg", "git", "python"):
            if search == "git" and not args.git:
                continue
            data = {"apiVersion": "anops.dev/config/v1",
                    "collect": {"options": {"todos": {"search": search, "blame": False}}}}
            config = config_from_data(data, None, "bench")

            def run(config: object = config, search: str = search) -> None:
                doc = collect_facts(root, config, now=datetime.now(UTC), only=["todos"],  # type: ignore[arg-type]
                                    use_git=args.git)
                found[search] = doc["todos"]["counts"]["total"]

            results[f"todos (search={search})"] = best(run, args.repeat)
        base = results["rg -n"]
        print(f"{'what':<24} {'best of ' + str(args.repeat):>12} {'× rg':>8}")
        for name, secs in results.items():
            print(f"{name:<24} {secs:>11.3f}s {secs / base:>8.1f}")
        print(f"markers reported: {found} (placed in comments: {placed})")
    finally:
        if args.dir is None:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
