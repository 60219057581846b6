"""``pack build``: a pack folder → a reproducible archive, refused when the pack fails ``check`` (it does not
load or fails the static check) or ``test`` (a policy's or pattern rule's examples fail)."""

from __future__ import annotations

from pathlib import Path

from anops_policy.errors import ConfigError, PolicyLoadError
from anops_policy.evaluation.examples import test_policy
from anops_policy.packs.archive import Archive, write_archive
from anops_policy.packs.manifest import build_manifest, check_semver, engine_range, folder_files, pack_meta
from anops_policy.policy.model import Pack
from anops_policy.policy.packs import load_pack
from anops_policy.policy.patterns import example_results


def folder_archive(folder: Path, display: str, *, run_tests: bool) -> tuple[Pack, Archive]:
    """The pack in ``folder`` and its unsigned archive (``run_tests``: refuse it when an example fails)."""
    if not (folder / "pack.yaml").is_file():
        raise ConfigError(f"pack build {display}: no pack.yaml; a published pack declares its id, version and "
                          "checklist items (see docs/packs.md)")
    pack = load_pack(folder, display=display)
    meta = pack_meta(folder)
    check_semver(pack.version, f"{display}/pack.yaml")
    if meta.get("engine") is not None:
        engine_range(meta["engine"], f"{display}/pack.yaml")  # the range's syntax only
    if run_tests:
        _run_examples(pack, display)
    files = folder_files(folder)
    manifest = build_manifest(pack, meta, files)
    return pack, Archive(manifest, files, None, display, write_archive(manifest, files, None))


def _run_examples(pack: Pack, display: str) -> None:
    failures: list[str] = []
    for policy in pack.policies:
        result = test_policy(policy)
        failures += [f"{policy.file}: {problem}" for problem in result.problems]
        failures += [f"{policy.file}: example '{ex.example.name}': expected {ex.example.expect.value}, got "
                     f"{ex.outcome.value}{' — ' + ex.detail if ex.detail else ''}"
                     for ex in result.examples if not ex.ok]
    for rule in pack.patterns:
        results, problems = example_results(rule)
        failures += [f"pattern {rule.id}: {p}" for p in problems]
        failures += [f"pattern {rule.id}: {r.kind} example {r.index + 1}: {r.detail}" for r in results if not r.ok]
    if failures:
        raise PolicyLoadError(
            f"pack build {display}: the pack's tests fail (`anops-policy test {display}` shows them):\n  "
            + "\n  ".join(failures[:50])
        )
