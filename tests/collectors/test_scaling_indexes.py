"""The indexes that keep the python, logging and layout collectors linear on a monorepo answer exactly what
the quadratic scans they replaced answered: checked against those scans' definitions on seeded random
module names and file trees (including names that share prefixes without a dot boundary, ``pkg``/``pkgx``)."""

from __future__ import annotations

import random

import pytest
from anops_policy.collectors.layout.behaviour import files_under, owned_files
from anops_policy.collectors.python.services import ImportIndex, requirement_folders, service_folder

PARTS = ["pkg", "pkgx", "app", "api", "core", "tests", "a", "ab", "_x"]


def _dotted(rng: random.Random) -> str:
    return ".".join(rng.choice(PARTS) for _ in range(rng.randint(1, 4)))


def _naive_links(imported: str, names: dict[str, set[str]]) -> set[str]:
    return {
        service
        for service, modules in names.items()
        if any(imported == n or imported.startswith(n + ".") or n.startswith(imported + ".") for n in modules)
    }


@pytest.mark.parametrize("seed", range(20))
def test_import_index_links_what_the_pairwise_scan_linked(seed: int) -> None:
    rng = random.Random(seed)
    names = {f"svc{i}": {_dotted(rng) for _ in range(rng.randint(0, 6))} for i in range(rng.randint(1, 6))}
    index = ImportIndex(names)
    for _ in range(200):
        imported = _dotted(rng)
        assert index.services(imported) == _naive_links(imported, names), (imported, names)


def _tree(rng: random.Random) -> list[str]:
    folders = ["", "a/", "a/b/", "ab/", "a0/", "a-b/", "a/b/c/", "svc/", "svc/src/", "svcx/"]
    names = ["x.py", "requirements.txt", "requirements-dev.in", "Dockerfile", "pyproject.toml", "m.rs", "0", "~z"]
    return sorted({rng.choice(folders) + rng.choice(names) for _ in range(rng.randint(1, 60))})


@pytest.mark.parametrize("seed", range(20))
def test_files_under_and_owned_files_slice_what_the_filters_kept(seed: int) -> None:
    rng = random.Random(seed)
    files = _tree(rng)
    for folder in [".", "a", "a/b", "ab", "a0", "svc", "svcx", "missing"]:
        prefix = "" if folder == "." else folder + "/"
        assert files_under(files, prefix) == [p for p in files if p.startswith(prefix)]
        nested = rng.sample(["a", "a/b", "a/b/c", "ab", "svc", "svc/src", "svcx"], rng.randint(0, 4))
        inner = [n + "/" for n in nested if n != folder and (folder == "." or n.startswith(prefix))]
        expected = [p for p in files if p.startswith(prefix) and not any(p.startswith(i) for i in inner)]
        assert owned_files(files, folder, nested) == expected


@pytest.mark.parametrize("seed", range(20))
def test_service_folder_with_the_requirements_index_is_the_scan(seed: int) -> None:
    rng = random.Random(seed)
    files = set(_tree(rng))
    index = requirement_folders(files)
    for entry in [*files, "a/b/c/main.py", "svc/src/app.py", "deep/er/main.py"]:
        assert service_folder(entry, files, [], index) == _naive_service_folder(entry, files)


def _naive_service_folder(entry_path: str, files: set[str]) -> str:
    from anops_policy.collectors.python.services import PROJECT_MARKERS  # noqa: PLC0415

    own = entry_path.rsplit("/", 1)[0] if "/" in entry_path else "."
    folder = own
    while folder != ".":
        if any(f"{folder}/{marker}" in files for marker in PROJECT_MARKERS) or any(
            f.startswith(f"{folder}/requirements") and f.count("/") == folder.count("/") + 1 for f in files
        ):
            return folder
        folder = folder.rsplit("/", 1)[0] if "/" in folder else "."
    return own
