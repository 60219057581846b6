"""Download the pinned projects into a cache outside the repository, verify each sha256 and unpack it.

    python benchmarks/accuracy/fetch.py [--cache DIR]

Reproducible from an empty cache: a PyPI sdist's address is looked up by name, version and file name
through the index's JSON API (the address of the file is not pinned; its hash is); a Debian
``librust-*-dev`` package is fetched with ``apt-get download PACKAGE=VERSION`` (the ordinary client, its
configured mirrors; run ``apt-get update`` once first) and its crate folder
(``usr/share/cargo/registry/<crate>-<version>/``) is unpacked from the package's ``data.tar.*``, read
with python's own ar and tar readers (a Go package's ``usr/share/gocode/src/``, the import path kept); an npm
package's tarball address is the registry's ``dist.tarball``
for the name and version (``https://registry.npmjs.org/NAME/VERSION``), its top ``package/`` folder
stripped. Unpacking refuses links and any member that would land outside the
project's folder."""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import lzma
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Callable
from pathlib import Path, PurePosixPath

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import CorpusError, Project, fail, load_pins, resolve_cache, source_dir

PYPI = "https://pypi.org/pypi"
NPM = "https://registry.npmjs.org"
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


def npm_url(project: Project) -> str:
    api = f"{NPM}/{urllib.parse.quote(project.name, safe='@')}/{project.version}"
    try:
        data = json.loads(_get(api))
        url = str(data["dist"]["tarball"])
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise CorpusError(f"{api}: no dist.tarball ({exc})") from exc
    return url  # the pinned sha256 decides whether it is the file


def apt_download(project: Project) -> bytes:
    """The pinned ``.deb`` through ``apt-get download`` into a temporary folder."""
    package = project.package or project.name
    with tempfile.TemporaryDirectory(prefix="anops-accuracy-deb-") as tmp:
        try:
            done = subprocess.run(
                ["apt-get", "download", "-q", f"{package}={project.version}"],
                cwd=tmp,
                capture_output=True,
                text=True,
                timeout=TIMEOUT * 5,
                check=False,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise CorpusError(f"apt-get download {package}={project.version}: {exc}") from exc
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise CorpusError(f"apt-get download {package}={project.version} failed: {last} (run apt-get update first)")
        debs = sorted(Path(tmp).glob("*.deb"))
        if len(debs) != 1:
            raise CorpusError(f"apt-get download {package}={project.version}: expected one .deb, got {len(debs)}")
        return debs[0].read_bytes()


def download(project: Project, cache: Path) -> Path:
    target = cache / "downloads" / project.file
    if target.is_file() and hashlib.sha256(target.read_bytes()).hexdigest() == project.sha256:
        return target
    if project.source == "pypi":
        body = _get(pypi_url(project))
    elif project.source == "debian":
        body = apt_download(project)
    elif project.source == "npm":
        body = _get(npm_url(project))
    else:
        raise CorpusError(f"{project.key}: unknown source {project.source!r} (known: pypi, debian, npm)")
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


REGISTRY = ("usr", "share", "cargo", "registry")


def _crate_member_path(name: str) -> PurePosixPath | None:
    """A Debian package member's path inside ``usr/share/cargo/registry/<crate>-<version>/``, or None
    (outside the crate folder, or unsafe)."""
    path = PurePosixPath(name)
    parts = [p for p in path.parts if p != "."]
    if path.is_absolute() or ".." in parts or len(parts) < len(REGISTRY) + 2:
        return None
    if tuple(parts[: len(REGISTRY)]) != REGISTRY:
        return None
    return PurePosixPath(*parts[len(REGISTRY) + 1 :])


GOCODE = ("usr", "share", "gocode", "src")


def _gocode_member_path(name: str) -> PurePosixPath | None:
    """A Debian Go package member's path under ``usr/share/gocode/src/`` (the module's import path kept:
    ``github.com/owner/repo/…``), or None."""
    path = PurePosixPath(name)
    parts = [p for p in path.parts if p != "."]
    if path.is_absolute() or ".." in parts or len(parts) < len(GOCODE) + 1 or tuple(parts[: len(GOCODE)]) != GOCODE:
        return None
    return PurePosixPath(*parts[len(GOCODE) :])


def deb_data(archive: Path) -> io.BytesIO:
    """The ``data.tar.*`` member of a Debian package (an ar archive), read without dpkg."""
    with archive.open("rb") as raw:
        if raw.read(8) != b"!<arch>\n":
            raise CorpusError(f"{archive}: not a Debian package (no ar header)")
        while True:
            header = raw.read(60)
            if len(header) < 60:
                raise CorpusError(f"{archive}: no data.tar member")
            name = header[:16].decode("ascii", "replace").strip().rstrip("/")
            try:
                size = int(header[48:58].decode("ascii").strip())
            except ValueError as exc:
                raise CorpusError(f"{archive}: bad ar member header") from exc
            body = raw.read(size)
            if size % 2:
                raw.read(1)
            if name.startswith("data.tar"):
                return io.BytesIO(body)


def _open_tar(archive: Path, source: str) -> tarfile.TarFile:
    if source == "debian":
        return tarfile.open(fileobj=deb_data(archive))
    return tarfile.open(archive)


def unpack(archive: Path, folder: Path, source: str = "pypi", language: str = "") -> int:
    """Regular files and folders only; symlinks, devices and escaping paths are skipped."""
    if (folder / ".complete").is_file():
        return -1
    strip: Callable[[str], PurePosixPath | None] = _member_path
    if source == "debian":
        strip = _gocode_member_path if language == "go" else _crate_member_path
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=folder.name + ".", dir=folder.parent))
    count = 0
    try:
        with _open_tar(archive, source) as tar:
            for member in tar:
                relative = strip(member.name)
                if relative is None or not (member.isfile() or member.isdir()):
                    continue
                dest = staging.joinpath(*relative.parts)
                if member.isdir():
                    dest.mkdir(parents=True, exist_ok=True)
                    continue
                stream = tar.extractfile(member)
                if stream is None:
                    continue
                dest.parent.mkdir(parents=True, exist_ok=True)
                with stream, dest.open("wb") as out:
                    shutil.copyfileobj(stream, out)
                count += 1
        (staging / ".complete").write_text(archive.name + "\n", encoding="utf-8")
        if folder.exists():
            shutil.rmtree(folder)
        staging.replace(folder)
    except CorpusError:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    except (tarfile.TarError, OSError, EOFError, lzma.LZMAError, zlib.error) as exc:
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
            count = unpack(archive, source_dir(cache, project), project.source, project.language)
            state = "already unpacked" if count < 0 else f"{count} files"
            print(f"{project.key:50} sha256 ok  {state}")
        print(f"{len(projects)} projects in {cache}")
    except CorpusError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cache {args.cache or '(default)'}: {exc}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
