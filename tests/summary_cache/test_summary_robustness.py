"""The summary cache is untrusted input: a store that is truncated, corrupt, of another format, collector
or context, or whose entries were forged to fit the checksum but not the types, is a miss — never a
traceback, never a different fact — and the run writes a good store again. An unwritable cache only
costs speed; the bounds hold."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from summary_helpers import ROOT, facts, rewrite, stores

from anops_policy.collection import summary_cache

EXAMPLE = ROOT / "examples" / "anops"
ONLY = ["--jobs", "1", "--only", "python", "--only", "rust", "--only", "todos", "--only", "grpc", "--only", "logging"]


def _first_int_to_bool(data: Any) -> bool:
    """Turn the first integer inside ``data`` into ``True`` (in place); False when there is none."""
    items = list(enumerate(data)) if isinstance(data, list) else []
    for index, value in items:
        if type(value) is int:
            data[index] = True
            return True
        if isinstance(value, list) and _first_int_to_bool(value):
            return True
    return False


def _every_entry(change: Callable[[Any], Any]) -> Callable[[dict[str, Any]], None]:
    def apply(entries: dict[str, Any]) -> None:
        for key, entry in list(entries.items()):
            entries[key] = change(entry)

    return apply


def _bools(entry: Any) -> Any:
    _first_int_to_bool(entry)
    return entry


def _raw(change: Callable[[bytes], bytes]) -> Callable[[Path], None]:
    return lambda store: store.write_bytes(change(store.read_bytes()))


def _header(**fields: Any) -> Callable[[Path], None]:
    def apply(store: Path) -> None:
        head, _, payload = store.read_bytes().partition(b"\n")
        header = {**json.loads(head), **fields}
        store.write_bytes(json.dumps(header).encode() + b"\n" + payload)

    return apply


def _forged(change: Callable[[dict[str, Any]], None]) -> Callable[[Path], None]:
    return lambda store: rewrite(store, change)


def _flip(raw: bytes) -> bytes:
    middle = len(raw) - len(raw) // 3
    return raw[:middle] + bytes([raw[middle] ^ 0x20]) + raw[middle + 1 :]


CORRUPTIONS: dict[str, Callable[[Path], None]] = {
    "truncated": _raw(lambda raw: raw[: len(raw) // 2]),
    "empty": _raw(lambda raw: b""),
    "a flipped byte": _raw(_flip),
    "binary garbage": _raw(lambda raw: bytes(range(256)) * 8),
    "no header line": _raw(lambda raw: raw.partition(b"\n")[2]),
    "another format": _header(format=99),
    "another collector": _header(collector="rust"),
    "another context": _header(context="0" * 64),
    "a payload nested beyond the parser": _raw(
        lambda raw: raw.partition(b"\n")[0] + b"\n" + b"[" * 200_000 + b"]" * 200_000
    ),
    # forged: the checksum fits, the declared types do not
    "entries not an object": _forged(lambda entries: entries.clear() or None),
    "entries of the wrong type": _forged(_every_entry(lambda entry: "x")),
    "a class by name": _forged(_every_entry(lambda entry: {"__class__": "os.system", "args": ["true"]})),
    "nested too deep": _forged(_every_entry(lambda entry: json.loads("[" * 500 + "]" * 500))),
}
# forged entries that break the shape of the python collector's ModuleProducts dataclass
SHAPE_FORGERIES: dict[str, Callable[[Path], None]] = {
    "a boolean for an integer": _forged(_every_entry(_bools)),
    "a field too many": _forged(_every_entry(lambda entry: [*entry, 1])),
    "a field too few": _forged(_every_entry(lambda entry: entry[:-1])),
    "a null for a list": _forged(_every_entry(lambda entry: [entry[0], None, *entry[2:]])),
}
# forged values inside what a summary declares as plain JSON (``Any``: a todos item, a console-output
# record): well-formed, so not detectable; the run still never fails with a traceback, and a value
# the fact schema refuses fails its collector closed (``error``), never passes silently
FREE_FORGERIES: dict[str, Callable[[Path], None]] = {
    "an integer turned boolean anywhere": _forged(_every_entry(_bools)),
    "a pair dropped anywhere": _forged(
        _every_entry(lambda entry: entry[:-1] if isinstance(entry, list) else entry)
    ),
}


@pytest.mark.parametrize("name", list(CORRUPTIONS))
def test_a_corrupt_or_foreign_store_is_a_miss(name: str, cache: Path) -> None:
    off = facts(EXAMPLE, *ONLY, "--no-cache")
    assert facts(EXAMPLE, *ONLY) == off
    written = stores(cache)
    assert {"python", "rust", "todos"} <= set(written)
    for store in written.values():
        CORRUPTIONS[name](store)
    assert facts(EXAMPLE, *ONLY) == off  # every entry a miss: summarised afresh, the same facts
    assert facts(EXAMPLE, *ONLY) == off  # and the store written again is good


@pytest.mark.parametrize("name", list(SHAPE_FORGERIES))
def test_an_entry_that_does_not_fit_its_type_is_a_miss(name: str, cache: Path) -> None:
    off = facts(EXAMPLE, *ONLY, "--no-cache")
    facts(EXAMPLE, *ONLY)
    SHAPE_FORGERIES[name](stores(cache)["python"])
    assert facts(EXAMPLE, *ONLY) == off
    assert facts(EXAMPLE, *ONLY) == off


@pytest.mark.parametrize("name", list(FREE_FORGERIES))
def test_a_forged_json_value_never_crashes_the_run(name: str, cache: Path) -> None:
    off = json.loads(facts(EXAMPLE, *ONLY, "--no-cache"))
    facts(EXAMPLE, *ONLY)
    for store in stores(cache).values():
        FREE_FORGERIES[name](store)
    forged = json.loads(facts(EXAMPLE, *ONLY))  # exit 0, a fact document
    for collector, run in forged["meta"]["collectors"].items():
        assert run["status"] in ("ok", "error")
        if run["status"] == "error":
            assert off["meta"]["collectors"][collector]["status"] == "ok"
            assert collector not in forged


def test_an_unwritable_cache_costs_only_speed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("ANOPS_POLICY_CACHE_DIR", str(blocker / "cache"))
    off = facts(EXAMPLE, *ONLY, "--no-cache")
    assert facts(EXAMPLE, *ONLY) == off
    assert facts(EXAMPLE, *ONLY) == off


def test_the_store_keeps_its_bounds(cache: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    off = facts(EXAMPLE, *ONLY, "--no-cache")
    monkeypatch.setattr(summary_cache, "MAX_ENTRIES", 2)
    assert facts(EXAMPLE, *ONLY) == off
    for store in stores(cache).values():
        assert json.loads(store.read_bytes().partition(b"\n")[0])["entries"] <= 2
    monkeypatch.setattr(summary_cache, "MAX_ENTRIES", 1000)
    monkeypatch.setattr(summary_cache, "MAX_BYTES", 2000)
    shutil.rmtree(cache)
    assert facts(EXAMPLE, *ONLY) == off
    assert all(len(store.read_bytes().partition(b"\n")[2]) <= 2000 for store in stores(cache).values())
    assert facts(EXAMPLE, *ONLY) == off


def test_the_folder_keeps_its_bounds(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(summary_cache, "MAX_STORES", 2)
    facts(EXAMPLE, *ONLY)
    assert 0 < len(stores(cache)) <= 2
    stale = cache / summary_cache.SUBDIR / ".tmp-left-by-a-killed-writer.json"
    stale.write_text("{")
    os.utime(stale, (0, 0))
    for store in stores(cache).values():
        store.unlink()
    facts(EXAMPLE, *ONLY)
    assert not stale.exists(), "a temporary file left by a killed writer is removed"
