"""Download the pinned projects into a cache outside the repository, verify each sha256 and unpack it.

    python benchmarks/accuracy/fetch.py [--cache DIR]

Reproducible from an empty cache: a PyPI sdist's address is looked up by name, version and file name
through the index's JSON API (the address of the file is not pinned; its hash is). Unpacking refuses
links and any member that would land outside the project's folder."""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path, PurePosixPath

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import CorpusError, Project, fail, load_pins, resolve_cache, source_dir

PYPI = "https://pypi.org/pypi"
TIMEOUT = 60


def _get(url: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as answer:
            body: bytes = answer.read()
            return body
    except (urllib.error.URLError, OSError) as exc:
        raise CorpusError(f"download {url}: {exc}") from exc


def pypi_url(project: Project) -> str:
    # the project-wide document lists every release's files (some mirrors serve no per-version one)
    api = f"{PYPI}/{project.name}/json"
    try:
        data = json.loads(_get(api))
    except json.JSONDecodeError as exc:
        raise CorpusError(f"{api}: not JSON ({exc})") from exc
    for item in data.get("releases", {}).get(project.version, []):
        if item.get("filename") == project.file:
            return urllib.parse.urljoin(api, str(item["url"]))
    raise CorpusError(f"{project.key}: {project.file} is not among the files PyPI lists for this version")


def download(project: Project, cache: Path) -> Path:
    target = cache / "downloads" / project.file
    if target.is_file() and hashlib.sha256(target.read_bytes()).hexdigest() == project.sha256:
        return target
    if project.source != "pypi":
        raise CorpusError(f"{project.key}: unknown source {project.source!r} (known: pypi)")
    body = _get(pypi_url(project))
    digest = hashlib.sha256(body).hexdigest()
    if digest != project.sha256:
        raise CorpusError(f"{project.key}: sha256 {digest} differs from the pinned {project.sha256}")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(target.suffix + ".part")
    partial.write_bytes(body)
    partial.replace(target)
    return target


def _member_path(name: str) -> PurePosixPath | None:
    """The member's path without its top folder (sdists hold one), or None when it is unsafe."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or len(path.parts) < 2:
        return None
    return PurePosixPath(*path.parts[1:])


def unpack(archive: Path, folder: Path) -> int:
    """Regular files and folders only; symlinks, devices and escaping paths are skipped."""
    if (folder / ".complete").is_file():
        return -1
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=folder.name + ".", dir=folder.parent))
    count = 0
    try:
        with tarfile.open(archive) as tar:
            for member in tar:
                relative = _member_path(member.name)
                if relative is None or not (member.isfile() or member.isdir()):
                    continue
                dest = staging.joinpath(*relative.parts)
                if member.isdir():
                    dest.mkdir(parents=True, exist_ok=True)
                    continue
                source = tar.extractfile(member)
                if source is None:
                    continue
                dest.parent.mkdir(parents=True, exist_ok=True)
                with source, dest.open("wb") as out:
                    shutil.copyfileobj(source, out)
                count += 1
        (staging / ".complete").write_text(archive.name + "\n", encoding="utf-8")
        if folder.exists():
            shutil.rmtree(folder)
        staging.replace(folder)
    except (tarfile.TarError, OSError, EOFError) as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise CorpusError(f"unpack {archive}: {exc} (delete it and fetch again)") from exc
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", help="cache folder (default ~/.cache/anops-policy-accuracy)")
    parser.add_argument("--only", action="append", default=[], help="fetch only this project (repeatable)")
    args = parser.parse_args(argv)
    try:
        cache = resolve_cache(args.cache)
        projects = [p for p in load_pins() if not args.only or p.name in args.only]
        for project in projects:
            archive = download(project, cache)
            count = unpack(archive, source_dir(cache, project))
            state = "already unpacked" if count < 0 else f"{count} files"
            print(f"{project.key:50} sha256 ok  {state}")
        print(f"{len(projects)} projects in {cache}")
    except CorpusError as exc:
        fail(str(exc))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
