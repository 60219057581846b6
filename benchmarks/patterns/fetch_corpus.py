"""Benchmark 5's input: a corpus of real code at pinned versions, fetched from the registries this machine
reaches (PyPI, npm, Debian) into a folder outside the repository (never committed).

    python benchmarks/patterns/fetch_corpus.py [/tmp/pattern-corpus] [--downloads DIR]

* Python: sdists from PyPI (``pip download --no-deps --no-binary NAME NAME==VERSION``), unpacked;
* TypeScript and JavaScript: npm tarballs (``npm pack NAME@VERSION``), unpacked;
* Go and Rust: Debian's ``golang-*-dev`` and ``librust-*-dev`` packages (``apt-get download NAME=VERSION``,
  ``dpkg -x``): their sources under ``/usr/share/gocode/src`` and ``/usr/share/cargo/registry``;
* Java: part of the JDK's own sources, ``src.zip`` of Debian's ``openjdk-17-source``.

Each package lands in ``CORPUS/<registry>/<name>-<version>/``. A package folder that is already there is
kept (the script is idempotent: a second run downloads nothing); downloads are cached in ``--downloads``.

Then the corpus is made one that the patterns collector and the ``ast-grep`` CLI both search whole, so
they search the same files: removed are symbolic links, hidden files and folders (ast-grep skips them), the
folders the collector's listing skips by default (``target/``, ``node_modules/``, ``__pycache__/``, …),
and the source files of the benchmark's languages that the collector would skip and record (over its
4 MiB default file limit, not UTF-8, a NUL byte) or that only one of the two counts as that language
(ast-grep's ``.py3``/``.bzl`` Python, HTML — ast-grep searches its ``<script>`` as JavaScript — and an
upper-case extension). What was removed is printed.

Prints the corpus: per language the files and bytes, per package its files and bytes, and writes the same
as ``CORPUS.json`` beside the folder (``run.py`` reads it).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

# The collector's languages and extensions (syntax.languages); the benchmark's rules use these six.
LANGUAGES: dict[str, tuple[str, ...]] = {
    "go": (".go",),
    "python": (".py", ".pyi"),
    "typescript": (".ts", ".mts", ".cts"),
    "javascript": (".js", ".jsx", ".mjs", ".cjs"),
    "java": (".java",),
    "rust": (".rs",),
}
# Files that ast-grep searches with these languages' rules and the collector does not: ast-grep's ``.py3`` and
# ``.bzl`` Python, and HTML, whose ``<script>`` elements ast-grep searches as JavaScript (language injection)
ONE_SIDED = (".py3", ".bzl", ".html", ".htm")
# The collector's default excludes (collection.repo.DEFAULT_EXCLUDES) that are not hidden folders
EXCLUDED_DIRS = frozenset({"target", "node_modules", "venv", "__pycache__"})
MAX_FILE_BYTES = 4 * 1024 * 1024  # the collector's default collect.max_file_bytes


@dataclass(frozen=True)
class Package:
    registry: str  # pypi | npm | deb
    name: str
    version: str
    keep: tuple[str, ...] = ()  # deb: folders inside the package to keep; java: src.zip member prefixes

    @property
    def folder(self) -> str:
        return f"{self.registry}/{self.name.replace('/', '__').lstrip('@')}-{self.version.replace(':', '_')}"


PACKAGES: tuple[Package, ...] = (
    # Python (~27 MB of .py)
    Package("pypi", "django", "5.1.4"),
    Package("pypi", "ansible-core", "2.18.1"),
    Package("pypi", "flask", "3.1.0"),
    Package("pypi", "requests", "2.32.3"),
    # TypeScript and JavaScript
    Package("npm", "typescript", "5.6.3"),
    Package("npm", "rxjs", "7.8.1"),
    Package("npm", "zod", "3.23.8"),
    Package("npm", "three", "0.170.0"),
    Package("npm", "webpack", "5.96.1"),
    Package("npm", "eslint", "9.15.0"),
    Package("npm", "lodash", "4.17.21"),
    # Go (Debian 12 "bookworm")
    Package("deb", "golang-golang-x-tools-dev", "1:0.5.0+ds-1", ("usr/share/gocode/src",)),
    Package("deb", "golang-google-grpc-dev", "1.33.3-2", ("usr/share/gocode/src",)),
    Package("deb", "golang-github-docker-docker-dev", "20.10.24+dfsg1-1+deb12u1", ("usr/share/gocode/src",)),
    Package("deb", "golang-etcd-server-dev", "3.4.23-4", ("usr/share/gocode/src",)),
    # Rust (Debian's vendored crates)
    Package("deb", "librust-tokio-dev", "1.24.2-1", ("usr/share/cargo/registry",)),
    Package("deb", "librust-syn-dev", "1.0.107-1", ("usr/share/cargo/registry",)),
    Package("deb", "librust-regex-dev", "1.7.1-1", ("usr/share/cargo/registry",)),
    Package("deb", "librust-serde-dev", "1.0.152-2", ("usr/share/cargo/registry",)),
    # Java: the JDK's java.util, java.time, java.io and java.net sources
    Package(
        "deb", "openjdk-17-source", "17.0.21.1+2-1~deb12u1",
        ("java.base/java/util/", "java.base/java/time/", "java.base/java/io/", "java.base/java/net/"),
    ),
)


def run(argv: list[str], cwd: Path) -> None:
    print("  $", " ".join(argv), flush=True)
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"failed ({done.returncode}): {' '.join(argv)}\n{done.stderr[-3000:]}")


def download(pkg: Package, cache: Path) -> Path:
    """The package's archive in ``cache`` (downloaded once)."""
    where = cache / pkg.registry
    where.mkdir(parents=True, exist_ok=True)
    if pkg.registry == "pypi":
        stem = f"{pkg.name.replace('-', '_').lower()}_{pkg.version}"
        found = [p for p in where.iterdir() if p.name.replace("-", "_").lower().startswith(stem + ".")]
        if not found:
            run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", pkg.name,
                 "-d", str(where), f"{pkg.name}=={pkg.version}"], where)
            found = [p for p in where.iterdir() if p.name.replace("-", "_").lower().startswith(stem + ".")]
    elif pkg.registry == "npm":
        stem = f"{pkg.name.lstrip('@').replace('/', '-')}-{pkg.version}.tgz"
        found = [where / stem] if (where / stem).exists() else []
        if not found:
            run(["npm", "pack", f"{pkg.name}@{pkg.version}", "--silent", "--pack-destination", str(where)], where)
            found = [where / stem]
    else:
        version = pkg.version.split(":", 1)[-1]  # the epoch is not in the file name
        found = _debs(where, pkg.name, version)
        if not found:
            run(["apt-get", "download", f"{pkg.name}={pkg.version}"], where)
            found = _debs(where, pkg.name, version)
    if len(found) != 1 or not found[0].exists():
        sys.exit(f"{pkg.name} {pkg.version}: expected one archive in {where}, found {found}")
    return found[0]


def _debs(where: Path, name: str, version: str) -> list[Path]:
    """``NAME_VERSION_ARCH.deb`` files in ``where`` (the version without its epoch, ``%3a``-quoted)."""
    return [
        p for p in where.glob(f"{name}_*.deb")
        if p.name.split("_")[1].replace("%3a", ":").split(":", 1)[-1] == version
    ]


def unpack(pkg: Package, archive: Path, into: Path) -> None:
    """The package's sources from ``archive`` into the new folder ``into``."""
    with tempfile.TemporaryDirectory(dir=into.parent) as tmp:
        work = Path(tmp)
        if pkg.registry in ("pypi", "npm"):
            if archive.suffix == ".zip":
                with zipfile.ZipFile(archive) as zf:
                    zf.extractall(work)
            else:
                with tarfile.open(archive) as tf:
                    tf.extractall(work, filter="data")
            tops = list(work.iterdir())
            if len(tops) != 1 or not tops[0].is_dir():
                sys.exit(f"{archive}: expected one top folder, found {[t.name for t in tops]}")
            tops[0].rename(into)
            return
        run(["dpkg", "-x", str(archive), str(work / "deb")], work)
        out = work / "out"
        out.mkdir()
        if pkg.name.startswith("openjdk-"):
            (src_zip,) = (work / "deb").glob("usr/lib/jvm/*/lib/src.zip")
            with zipfile.ZipFile(src_zip) as zf:
                for member in zf.infolist():
                    if member.filename.startswith(pkg.keep) and not member.is_dir():
                        zf.extract(member, out)
        else:
            for sub in pkg.keep:
                shutil.copytree(work / "deb" / sub, out / sub.rsplit("/", 1)[-1], symlinks=True,
                                dirs_exist_ok=True)
        out.rename(into)


def language_of(name: str) -> str | None:
    lower = name.lower()
    return next((lang for lang, exts in LANGUAGES.items() if lower.endswith(exts)), None)


def source_problem(path: Path, name: str) -> str | None:
    """Why a file makes the collector's and the CLI's file sets differ (None: it does not)."""
    if name.lower().endswith(ONE_SIDED):
        return "searched by ast-grep only (.py3/.bzl as Python, HTML's <script> as JavaScript)"
    lang = language_of(name)
    if lang is None:
        return None
    if not name.endswith(LANGUAGES[lang]):
        return "an upper-case extension (the collector's match is case-insensitive)"
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        return f"over the collector's {MAX_FILE_BYTES} byte file limit"
    data = path.read_bytes()
    if b"\0" in data[:8192]:
        return "a NUL byte (the collector skips binary files)"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "not UTF-8 (the collector skips it)"
    return None


def normalise(corpus: Path) -> list[tuple[str, str]]:
    """Remove what the two tools would not both search; (path, reason) of everything removed."""
    removed: list[tuple[str, str]] = []
    for dirpath, dirnames, filenames in os.walk(corpus):
        here = Path(dirpath)
        for name in list(dirnames):
            path = here / name
            reason = ("a symbolic link" if path.is_symlink() else "a hidden folder" if name.startswith(".")
                      else "a folder the collector skips" if name in EXCLUDED_DIRS else None)
            if reason:
                dirnames.remove(name)
                removed.append((path.relative_to(corpus).as_posix() + "/", reason))
                path.unlink() if path.is_symlink() else shutil.rmtree(path)
        for name in filenames:
            path = here / name
            reason = ("a symbolic link" if path.is_symlink() else "a hidden file" if name.startswith(".")
                      else "" if not path.is_file() else source_problem(path, name))
            try:
                name.encode("utf-8")
            except UnicodeEncodeError:
                reason = "a name that is not UTF-8"
            if reason:
                removed.append((path.relative_to(corpus).as_posix(), reason))
                path.unlink()
    return removed


def census(corpus: Path) -> dict[str, object]:
    """Files and bytes per language, and per package."""
    files: Counter[str] = Counter()
    size: Counter[str] = Counter()
    packages: dict[str, dict[str, list[int]]] = {}
    for pkg in PACKAGES:
        mine: dict[str, list[int]] = {}
        for path in sorted((corpus / pkg.folder).rglob("*")):
            lang = language_of(path.name) if path.is_file() else None
            if lang is None:
                continue
            n = path.stat().st_size
            files[lang] += 1
            size[lang] += n
            mine.setdefault(lang, [0, 0])
            mine[lang][0] += 1
            mine[lang][1] += n
        packages[f"{pkg.registry}:{pkg.name}=={pkg.version}"] = mine
    return {
        "languages": {lang: {"files": files[lang], "bytes": size[lang]} for lang in LANGUAGES},
        "total": {"files": sum(files.values()), "bytes": sum(size.values())},
        "packages": packages,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", type=Path, nargs="?", default=Path("/tmp/pattern-corpus"))
    ap.add_argument("--downloads", type=Path, help="archive cache (default: CORPUS-downloads beside it)")
    args = ap.parse_args(argv)
    corpus: Path = args.corpus.resolve()
    repo = Path(__file__).resolve().parents[2]
    if corpus == repo or repo in corpus.parents:
        sys.exit(f"{corpus} is inside the repository: fetch the corpus elsewhere (it is never committed)")
    cache: Path = (args.downloads or corpus.parent / f"{corpus.name}-downloads").resolve()
    for pkg in PACKAGES:
        into = corpus / pkg.folder
        if into.is_dir():
            continue
        print(f"{pkg.registry} {pkg.name} {pkg.version}", flush=True)
        into.parent.mkdir(parents=True, exist_ok=True)
        unpack(pkg, download(pkg, cache), into)
    removed = normalise(corpus)
    reasons = Counter(reason for _, reason in removed)
    if removed:
        print(f"removed {len(removed)} entries so both tools search the same files:")
        for reason, n in reasons.most_common():
            example = next(p for p, r in removed if r == reason)
            print(f"  {n:5d} {reason} (e.g. {example})")
    summary = census(corpus)
    manifest = corpus.parent / f"{corpus.name}.json"
    old = json.loads(manifest.read_text()) if manifest.exists() else {}
    # removals of earlier runs stay recorded (a second run finds nothing left to remove)
    summary["removed"] = dict(Counter(old.get("removed", {})) + reasons)
    summary["corpus"] = str(corpus)
    manifest.write_text(json.dumps(summary, indent=1) + "\n")
    print(f"\n{corpus}  ({manifest.name} beside it)\n")
    print("| language | files | MB |\n|---|---:|---:|")
    languages = summary["languages"]
    assert isinstance(languages, dict)
    for lang, row in languages.items():
        print(f"| {lang} | {row['files']:,} | {row['bytes'] / 1e6:.1f} |")
    total = summary["total"]
    assert isinstance(total, dict)
    print(f"| **all** | {total['files']:,} | {total['bytes'] / 1e6:.1f} |\n")
    print("| package | files | MB |\n|---|---:|---:|")
    packages = summary["packages"]
    assert isinstance(packages, dict)
    for name, langs in packages.items():
        print(f"| {name} | " + ", ".join(f"{lang} {n:,}" for lang, (n, _) in langs.items())
              + " | " + ", ".join(f"{b / 1e6:.1f}" for _, b in langs.values()) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
