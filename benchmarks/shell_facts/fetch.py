"""Download the projects pinned in ``pins.toml`` (PyPI sdists) into a cache outside the repository, verify
each sha256 and unpack it (links and members leaving the project's folder are refused).

    python benchmarks/shell_facts/fetch.py [--cache /tmp/anops-shell-facts]

A file's address is looked up by name and version through PyPI's JSON API; its hash is pinned."""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tarfile
import tomllib
import urllib.parse
import urllib.request
from pathlib import Path, PurePosixPath

HERE = Path(__file__).resolve().parent
PYPI = "https://pypi.org/pypi"
DEFAULT_CACHE = Path("/tmp/anops-shell-facts")


def pins() -> list[dict[str, str]]:
    return list(tomllib.loads((HERE / "pins.toml").read_text())["project"])


def _url(name: str, version: str, file: str) -> str:
    api = f"{PYPI}/{name}/json"
    with urllib.request.urlopen(api, timeout=60) as answer:
        data = json.load(answer)
    for item in data.get("releases", {}).get(version, []):
        if item.get("filename") == file:
            return urllib.parse.urljoin(api, str(item["url"]))
    raise SystemExit(f"{name} {version}: no file {file} on PyPI")


def fetch(pin: dict[str, str], cache: Path) -> Path:
    archive = cache / "downloads" / pin["file"]
    if not archive.is_file() or hashlib.sha256(archive.read_bytes()).hexdigest() != pin["sha256"]:
        archive.parent.mkdir(parents=True, exist_ok=True)
        with urllib.request.urlopen(_url(pin["name"], pin["version"], pin["file"]), timeout=120) as answer:
            body = answer.read()
        digest = hashlib.sha256(body).hexdigest()
        if digest != pin["sha256"]:
            raise SystemExit(f"{pin['file']}: sha256 {digest} != pinned {pin['sha256']}")
        archive.write_bytes(body)
    folder = cache / "src" / f"{pin['name']}-{pin['version']}"
    if not folder.is_dir():
        with tarfile.open(archive) as tar:
            for member in tar.getmembers():
                parts = PurePosixPath(member.name).parts[1:]  # the archive's top folder
                if not parts or ".." in parts or member.issym() or member.islnk():
                    continue
                if member.isfile():
                    dest = folder.joinpath(*parts)
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    source = tar.extractfile(member)
                    if source is not None:
                        dest.write_bytes(source.read())
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    args = parser.parse_args()
    for pin in pins():
        folder = fetch(pin, args.cache)
        print(f"{folder.name:30} sha256 ok", file=sys.stderr)


if __name__ == "__main__":
    main()
