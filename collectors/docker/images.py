"""``images``: the images the repository's components name (``image:``) as they really are — whether each
exists (proof it was built), its config (user, env keys, ports, healthcheck, entry point, labels), its
layers and what they ship that a runtime image should not (package caches, ``.git``, tests, ``.env``,
private keys, compilers), with bytes per layer.

Where an image comes from:

* an image archive listed in ``collect.options.images.archives`` (``[{image: ref, path: file.tar}]``,
  ``docker save``/``podman save`` output or an OCI layout tar, path inside the evaluated directory): no
  engine needed;
* otherwise the container engine at the config's ``engine.docker_host`` (else ``DOCKER_HOST``), through
  the Docker Engine API: ``inspect`` says whether it exists, and its export (``docker save`` as a stream)
  is read exactly like an archive, so both ways give the same facts.

No image named anywhere → ``not_configured``. Images that need the engine and no engine answers → error
(fail closed). An image the engine does not have, or an archive that is missing, is the fact
``exists: false``. Reading is bounded per image by ``collect.options.images.max_bytes`` (default 4 GiB)
and ``max_seconds`` (default 300), and every engine request by ``engine.timeout_s`` (default 30).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from anops_policy.collectors.docker.image_archive import (
    ArchiveContents,
    CountingStream,
    ImageInArchive,
    file_chunks,
    read_archive,
    select_image,
)
from anops_policy.collectors.docker.image_engine import (
    DEFAULT_TIMEOUT_S,
    Engine,
    EngineError,
    EngineUnreachable,
    connect,
)
from anops_policy.collectors.docker.image_scan import LayerScan, removed_later
from anops_policy.collectors.docker.secrets import has_url_credentials, looks_secret, redact_text, redact_value
from anops_policy.collectors.docker.stages import user_is_root

from anops_policy.collection.collector import CollectContext
from anops_policy.collection.repo import Skip
from anops_policy.errors import CollectorFailed, NotConfigured

DEFAULT_MAX_BYTES = 4 * 1024 * 1024 * 1024
DEFAULT_MAX_SECONDS = 300.0
MAX_FINDINGS = 1000
MAX_CREATED_BY = 500
_CATEGORY_MESSAGES = {
    "apt-lists": "apt package lists (/var/lib/apt/lists) ship in the image",
    "apt-cache": "downloaded apt packages (/var/cache/apt) ship in the image",
    "apk-cache": "the apk cache ships in the image",
    "rpm-cache": "the yum/dnf cache ships in the image",
    "pip-cache": "the pip cache (~/.cache/pip) ships in the image",
    "npm-cache": "the npm cache (~/.npm) ships in the image",
    "git": "a .git folder ships in the image",
    "tests": "test folders ship in the image",
    "env-file": ".env files ship in the image",
    "private-key": "private keys ship in the image",
    "compiler": "compilers ship in the runtime image",
}


@dataclass
class Target:
    ref: str
    components: list[str] = field(default_factory=list)
    archive: str | None = None


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_seconds: float


class ImagesCollector:
    name = "images"
    version = "1"
    depends_on: tuple[str, ...] = ()

    def collect(self, ctx: CollectContext) -> dict[str, Any]:
        options = ctx.options(self.name)
        targets = _targets(ctx, options)
        if not targets:
            raise NotConfigured(
                "no component names an image",
                "add `image: <reference>` to a component in anops-policy.yaml and make the engine reachable at "
                "engine.docker_host or DOCKER_HOST, or list image archives (docker save output) in "
                "collect.options.images.archives",
            )
        limits = Limits(
            int(_number(options, "max_bytes", DEFAULT_MAX_BYTES)), _number(options, "max_seconds", DEFAULT_MAX_SECONDS)
        )
        engine: Engine | None = None
        via_engine = sorted(t.ref for t in targets.values() if t.archive is None)
        if via_engine:
            engine_config = ctx.config.engine
            timeout = float(engine_config.get("timeout_s", DEFAULT_TIMEOUT_S))
            try:
                engine = connect(engine_config.get("docker_host"), timeout)
            except EngineUnreachable as exc:
                raise CollectorFailed(
                    f"{exc}; needed for {', '.join(via_engine)}: start the engine (Docker, or "
                    "`podman system service`), set engine.docker_host or DOCKER_HOST, or give the image as an "
                    "archive in collect.options.images.archives"
                ) from None
        images: dict[str, dict[str, Any]] = {}
        try:
            for ref in sorted(targets):
                target = targets[ref]
                if target.archive is not None:
                    images[ref] = _from_archive(ctx, target, limits)
                else:
                    assert engine is not None
                    images[ref] = _from_engine(engine, target, limits)
        finally:
            if engine is not None:
                engine.close()
        counts: dict[str, int] = {}
        for image in images.values():
            for problem in image["problems"]:
                counts[problem["code"]] = counts.get(problem["code"], 0) + 1
        return {
            "count": len(images),
            "refs": sorted(images),
            "by_ref": images,
            "by_component": {c: ref for ref, t in sorted(targets.items()) for c in t.components},
            "missing": sorted(ref for ref, image in images.items() if not image["exists"]),
            "engine": None if engine is None else {"host": engine.host, "api_version": engine.version},
            "problem_count": sum(counts.values()),
            "problem_counts": dict(sorted(counts.items())),
        }


# ---- configuration ------------------------------------------------------------------------------------
def _targets(ctx: CollectContext, options: Mapping[str, Any]) -> dict[str, Target]:
    targets: dict[str, Target] = {}
    for component in ctx.config.components:
        ref = component.get("image")
        if isinstance(ref, str) and ref.strip():
            targets.setdefault(ref.strip(), Target(ref.strip())).components.append(str(component.get("name")))
    archives = options.get("archives", [])
    if not isinstance(archives, list):
        raise CollectorFailed("collect.options.images.archives must be a list of {image: ref, path: file.tar}")
    for index, item in enumerate(archives):
        if not (isinstance(item, Mapping) and isinstance(item.get("image"), str) and isinstance(item.get("path"), str)):
            raise CollectorFailed(
                f"collect.options.images.archives[{index}] must be {{image: <reference>, path: <archive.tar>}}"
            )
        ref = item["image"].strip()
        targets.setdefault(ref, Target(ref)).archive = item["path"].strip()
    for target in targets.values():
        target.components.sort()
    return targets


def _number(options: Mapping[str, Any], key: str, default: float) -> float:
    value = options.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise CollectorFailed(f"collect.options.images.{key} must be a positive number")
    return float(value)


# ---- reading one image ---------------------------------------------------------------------------------
def _from_archive(ctx: CollectContext, target: Target, limits: Limits) -> dict[str, Any]:
    assert target.archive is not None
    real = ctx.repo.resolve(target.archive)
    if isinstance(real, Skip):
        if not (ctx.repo.root / target.archive).is_symlink() and not (ctx.repo.root / target.archive).exists():
            return _missing(target, "archive", f"archive {target.archive} not found (write it with docker save)")
        return _missing(target, "archive", f"archive {target.archive}: {real.reason}")
    deadline = time.monotonic() + limits.max_seconds
    try:
        with Path(real).open("rb") as handle:
            contents = read_archive(CountingStream(file_chunks(handle), limits.max_bytes, deadline))
    except OSError as exc:
        return _missing(target, "archive", f"archive {target.archive}: unreadable: {exc.strerror or exc}")
    selected = select_image(contents, target.ref)
    if isinstance(selected, str):
        return _missing(target, "archive", f"archive {target.archive}: {contents.error or selected}")
    return _facts(target, "archive", selected, contents)


def _from_engine(engine: Engine, target: Target, limits: Limits) -> dict[str, Any]:
    try:
        attrs = engine.inspect(target.ref)
    except EngineError as exc:
        raise CollectorFailed(str(exc)) from None
    if attrs is None:
        return _missing(target, "engine", None)
    deadline = time.monotonic() + limits.max_seconds
    contents = read_archive(CountingStream(_guarded(engine, target.ref), limits.max_bytes, deadline))
    selected = select_image(contents, target.ref)
    if isinstance(selected, str):
        # the export ended before the config (limit, or an engine error): the engine's own view instead
        try:
            selected = _from_inspect(attrs, engine.history(target.ref), contents)
        except EngineError as exc:
            raise CollectorFailed(str(exc)) from None
        if contents.complete:
            contents.complete, contents.error = False, f"export unusable: {selected}"
    return _facts(target, "engine", selected, contents)


def _guarded(engine: Engine, ref: str) -> Iterator[bytes]:
    """The export's chunks; an engine error mid-stream surfaces as OSError (ends the read, not the run)."""
    try:
        yield from engine.export(ref)
    except OSError:
        raise
    except Exception as exc:  # an SDK error that is not an OSError
        raise OSError(f"export failed: {exc}") from None


def _from_inspect(attrs: Mapping[str, Any], history: list[dict[str, Any]], contents: ArchiveContents) -> ImageInArchive:
    diff_ids = list(attrs.get("RootFS", {}).get("Layers") or [])
    entries = []
    for item in reversed(history):  # the API lists newest first
        created = item.get("Created")
        stamp = datetime.fromtimestamp(created, UTC).isoformat().replace("+00:00", "Z") if created else None
        entries.append(
            {"created": stamp, "created_by": item.get("CreatedBy") or "", "empty_layer": not item.get("Size")}
        )
    if sum(1 for e in entries if not e["empty_layer"]) != len(diff_ids):
        entries = []  # sizes do not tell which entries have layers: list the layers without their history
    config = {
        "config": attrs.get("Config") or {},
        "created": attrs.get("Created"),
        "architecture": attrs.get("Architecture"),
        "os": attrs.get("Os"),
        "rootfs": {"diff_ids": diff_ids},
        "history": entries,
    }
    members = [_member_for(contents, d) for d in diff_ids]
    return ImageInArchive(config, attrs.get("Id"), sorted(attrs.get("RepoTags") or []), members)


def _member_for(contents: ArchiveContents, diff_id: str) -> str | None:
    hexdigest = diff_id.partition(":")[2]
    for name in (f"{hexdigest}.tar", f"blobs/sha256/{hexdigest}", f"{hexdigest}/layer.tar"):
        if name in contents.layers:
            return name
    return None


def _missing(target: Target, source: str, error: str | None) -> dict[str, Any]:
    facts = _empty(target, source)
    facts["error"] = error
    facts["problems"] = [
        {
            "code": "image-missing",
            "layer": None,
            "message": f"{target.ref} does not exist" + (f" ({error})" if error else " on the engine: build it"),
        }
    ]
    facts["problem_count"] = 1
    facts["problem_codes"] = ["image-missing"]
    return facts


def _empty(target: Target, source: str) -> dict[str, Any]:
    return {
        "ref": target.ref,
        "components": target.components,
        "source": source,
        "archive": target.archive,
        "exists": False,
        "error": None,
        "id": None,
        "repo_tags": [],
        "created": None,
        "architecture": None,
        "os": None,
        "user": None,
        "user_is_root": True,
        "env": {},
        "env_keys": [],
        "exposed_ports": [],
        "healthcheck": None,
        "has_healthcheck": False,
        "entrypoint": None,
        "cmd": None,
        "working_dir": None,
        "labels": {},
        "layer_count": 0,
        "layers": [],
        "size_bytes": None,
        "findings": [],
        "findings_truncated": 0,
        "findings_by_category": {},
        "categories": [],
        "scan": {"complete": False, "bytes_read": 0, "layers_scanned": 0, "files": 0, "error": None},
        "problems": [],
        "problem_count": 0,
        "problem_codes": [],
    }


# ---- facts ---------------------------------------------------------------------------------------------
def _facts(target: Target, source: str, image: ImageInArchive, contents: ArchiveContents) -> dict[str, Any]:
    config = image.config
    runtime = config.get("config") or {}
    facts = _empty(target, source)
    env: dict[str, str] = {}
    secret_keys: list[str] = []
    for item in runtime.get("Env") or []:
        key, _, value = str(item).partition("=")
        env[key] = redact_value(key, value) or ""
        if looks_secret(key) or has_url_credentials(value):
            secret_keys.append(key)
    health = runtime.get("Healthcheck") or None
    user = str(runtime.get("User") or "") or None
    layers, scans = _layers(config, image, contents)
    findings = _findings(layers, scans)
    facts.update(
        exists=True,
        id=image.config_digest,
        repo_tags=image.repo_tags,
        created=config.get("created"),
        architecture=config.get("architecture"),
        os=config.get("os"),
        user=user,
        user_is_root=user_is_root(user),
        env=dict(sorted(env.items())),
        env_keys=sorted(env),
        exposed_ports=sorted(runtime.get("ExposedPorts") or {}),
        healthcheck=None
        if not health
        else {
            "test": [redact_text(str(t)) for t in health.get("Test") or []],
            "disabled": (health.get("Test") or [""])[0] == "NONE",
        },
        entrypoint=_strings(runtime.get("Entrypoint")),
        cmd=_strings(runtime.get("Cmd")),
        working_dir=runtime.get("WorkingDir") or None,
        labels={str(k): redact_value(str(k), str(v)) for k, v in sorted((runtime.get("Labels") or {}).items())},
        layer_count=sum(1 for layer in layers if not layer["empty"]),
        layers=layers,
        size_bytes=sum(layer["size_bytes"] for layer in layers if not layer["empty"])
        if all(layer["scanned"] for layer in layers if not layer["empty"])
        else None,
        findings=findings[:MAX_FINDINGS],
        findings_truncated=max(0, len(findings) - MAX_FINDINGS),
        scan={
            "complete": contents.complete and all(layer["scanned"] for layer in layers if not layer["empty"]),
            "bytes_read": contents.bytes_read,
            "layers_scanned": sum(1 for layer in layers if layer["scanned"]),
            "files": sum(s.files for s in scans if s is not None),
            "error": contents.error or next((s.error for s in scans if s is not None and s.error), None),
        },
    )
    facts["has_healthcheck"] = bool(facts["healthcheck"]) and not facts["healthcheck"]["disabled"]
    by_category: dict[str, dict[str, Any]] = {}
    for finding in findings:
        entry = by_category.setdefault(finding["category"], {"files": 0, "bytes": 0, "layers": [], "paths": []})
        entry["files"] += finding["files"]
        entry["bytes"] += finding["bytes"]
        if finding["layer"] not in entry["layers"]:
            entry["layers"].append(finding["layer"])
        if finding["path"] not in entry["paths"] and len(entry["paths"]) < 50:
            entry["paths"].append(finding["path"])
    for entry in by_category.values():
        entry["layers"].sort()
        entry["paths"].sort()
    facts["findings_by_category"] = dict(sorted(by_category.items()))
    facts["categories"] = sorted(by_category)
    problems = _problems(facts, sorted(secret_keys))
    facts.update(problems=problems, problem_count=len(problems), problem_codes=sorted({p["code"] for p in problems}))
    return facts


def _strings(value: Any) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [redact_text(value)]
    return [redact_text(str(v)) for v in value]


def _layers(
    config: Mapping[str, Any], image: ImageInArchive, contents: ArchiveContents
) -> tuple[list[dict[str, Any]], list[LayerScan | None]]:
    diff_ids = list((config.get("rootfs") or {}).get("diff_ids") or [])
    history = [h for h in config.get("history") or [] if isinstance(h, Mapping)]
    if sum(1 for h in history if not h.get("empty_layer")) != len(diff_ids):
        history = [{} for _ in diff_ids]  # no usable history: one entry per layer, without created_by
    layers: list[dict[str, Any]] = []
    scans: list[LayerScan | None] = []
    next_layer = 0
    for index, entry in enumerate(history):
        empty = bool(entry.get("empty_layer"))
        scan = None
        digest = None
        if not empty:
            digest = diff_ids[next_layer]
            member = image.layer_members[next_layer] if next_layer < len(image.layer_members) else None
            scan = contents.layers.get(member) if member else None
            next_layer += 1
        created_by = redact_text(str(entry.get("created_by") or "")) or None
        if created_by and len(created_by) > MAX_CREATED_BY:
            created_by = created_by[: MAX_CREATED_BY - 1] + "…"
        layers.append(
            {
                "index": index,
                "created_by": created_by,
                "created": entry.get("created"),
                "empty": empty,
                "digest": digest,
                "scanned": scan is not None and scan.error is None,
                "size_bytes": 0 if empty else (scan.bytes if scan is not None and scan.error is None else None),
                "files": 0 if empty else (scan.files if scan is not None and scan.error is None else None),
                "finding_bytes": 0,
                "secret_in_created_by": _history_secret(str(entry.get("created_by") or "")),
            }
        )
        scans.append(scan)
    return layers, scans


def _history_secret(created_by: str) -> bool:
    """A RUN's recorded command line (build args included) carries a secret-looking value."""
    if has_url_credentials(created_by):
        return True
    for word in created_by.split():
        key, eq, value = word.partition("=")
        if eq and value and not value.startswith("$") and looks_secret(key):
            return True
    return False


def _findings(layers: list[dict[str, Any]], scans: list[LayerScan | None]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for position, (layer, scan) in enumerate(zip(layers, scans, strict=True)):
        if scan is None:
            continue
        later = [s for s in scans[position + 1 :] if s is not None]
        for (category, root), finding in sorted(scan.findings.items()):
            out.append(
                {
                    "category": category,
                    "path": "/" + root,
                    "layer": layer["index"],
                    "files": finding.files,
                    "bytes": finding.bytes,
                    "removed_later": removed_later(root, later),
                }
            )
            layer["finding_bytes"] += finding.bytes
    return sorted(out, key=lambda f: (f["layer"], f["category"], f["path"]))


def _problems(facts: dict[str, Any], secret_keys: list[str]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for category, entry in facts["findings_by_category"].items():
        layers = ", ".join(str(i) for i in entry["layers"])
        out.append(
            {
                "code": category,
                "layer": entry["layers"][0],
                "message": f"{_CATEGORY_MESSAGES[category]}: {entry['files']} files, {entry['bytes']} bytes "
                f"in layer {layers} ({', '.join(entry['paths'][:3])}{', …' if len(entry['paths']) > 3 else ''})",
            }
        )
    if facts["user_is_root"]:
        out.append({"code": "runs-as-root", "layer": None, "message": "the image runs as root (no non-root User)"})
    if not facts["has_healthcheck"]:
        out.append({"code": "no-healthcheck", "layer": None, "message": "the image has no HEALTHCHECK"})
    for key in secret_keys:
        out.append(
            {"code": "secret-in-env", "layer": None, "message": f"Env {key} looks like a secret (value not stored)"}
        )
    for layer in facts["layers"]:
        if layer["secret_in_created_by"]:
            out.append(
                {
                    "code": "secret-in-history",
                    "layer": layer["index"],
                    "message": f"the build command of layer {layer['index']} records a secret-looking value",
                }
            )
    if not facts["scan"]["complete"]:
        out.append(
            {
                "code": "scan-incomplete",
                "layer": None,
                "message": f"the layer scan is incomplete: {facts['scan']['error'] or 'some layers were not read'}",
            }
        )
    return sorted(out, key=lambda p: (p["layer"] if p["layer"] is not None else -1, p["code"]))
