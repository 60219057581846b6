"""A disk cache of compiled policies, so a repeated ``check``, ``test`` or ``eval`` does not parse, compile
and statically check unchanged policy files again (on the built-in pack that was ~0.3 s of CPU per load,
plus ~0.12 s to build cel-python's parser).

Four kinds of entry, each one file named by its key:

* ``policy``: one loaded policy (``policy_codec``), keyed by the policy file's name and bytes;
* ``check``: "these exact files passed ``check``" and how many policies they hold, so a repeated ``check``
  answers without importing the YAML, JSON Schema or CEL stacks at all;
* ``rule``: one pattern rule that compiled and passed its own examples (``syntax.rules.rule_data``), keyed
  by its declaration, so loading a pack does not parse every snippet and example with tree-sitter again;
* ``pack-head``: a pack folder's ``pack.yaml`` data and its pattern rules as declared, keyed by those files'
  bytes, stored after the pack loaded without a problem (a later problem is still located, by file).

Every key also covers what loading depends on besides the file: this format, the anops-policy version,
the source of the engine modules that load and check policies, the fact and policy schemas, the
installed versions of cel-python, lark, PyYAML, jsonschema and referencing, the installed collector plugins
(their registrations: ``plugins.registrations``) and the CEL backend setting.
Only successful loads are stored: a policy with problems is loaded (and reported) every time.

The cache is untrusted input: an entry that is truncated, corrupt (its payload checksum is wrong), of
another format or key, or does not decode is ignored, and the file is loaded and the entry rewritten.
Writes are atomic (temporary file, then ``os.replace``); a cache that cannot be created or written is
silently skipped. Location: ``$ANOPS_POLICY_CACHE_DIR``, else ``$XDG_CACHE_HOME/anops-policy``, else
``~/.cache/anops-policy``; ``ANOPS_POLICY_CACHE=off`` (or ``--no-cache``) turns it off.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from anops_policy import __version__, cache_home, plugins
from anops_policy.policy.builtin import BUILTIN_PACKS, DEFAULT_PACK

if TYPE_CHECKING:
    from anops_policy.policy.model import Policy
    from anops_policy.syntax.rules import CompiledRule

DIR_ENV = cache_home.DIR_ENV
SWITCH_ENV = cache_home.SWITCH_ENV
BACKEND_ENV = "ANOPS_CEL_BACKEND"  # the same variable cel.py reads
OFF_VALUES = cache_home.OFF_VALUES
FORMAT = 1
SUBDIR = f"compiled-v{FORMAT}"
# Bounds, enforced once per process that writes: the built-in pack is 26 entries of ~10-30 KB each.
MAX_ENTRIES = 1000
MAX_BYTES = 64 * 1024 * 1024
# The code that decides what loading a policy or a pattern rule yields (codec.py decides how it is stored),
# relative to the anops_policy package: every module of these packages, and these modules.
ENGINE_PACKAGES = ("policy", "cel", "syntax")
ENGINE_MODULES = ("errors.py", "validation.py", "yamlsafe.py", "schema_fast.py")
# import name -> distribution name as it appears (normalised) in its .dist-info folder
DISTRIBUTIONS = (
    ("celpy", "cel_python"), ("lark", "lark"), ("yaml", "pyyaml"), ("jsonschema", "jsonschema"),
    ("referencing", "referencing"), ("ast_grep_py", "ast_grep_py"),
)


@dataclass
class _State:
    context: dict[str, bytes] | None = None  # per CEL backend setting
    pruned: bool = False


_STATE = _State()


# the switch and the location are shared with collection's summary cache (one --no-cache for both)
configure = cache_home.configure
cache_dir = cache_home.cache_dir


def default_pack_folder() -> Path:
    """The built-in pack's folder (``packs.builtin_pack_dir``) without importing the loading stack."""
    return Path(str(resources.files(BUILTIN_PACKS[DEFAULT_PACK])))


# the serve --auth-config policy (identity.authorisation) may sit in a folder of policies without being one
AUTHORISATION_API = "anops.dev/authorisation/v1"


def is_authorisation_file(path: Path) -> bool:
    """Whether ``path`` declares itself an authorisation policy (``apiVersion: anops.dev/authorisation/v1``)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    return AUTHORISATION_API.encode() in head and b"apiVersion" in head


def policy_files(folder: Path) -> list[Path]:
    """The policy files of a folder, in load order (``loading.policy_files``): its *.yaml but pack.yaml and
    authorisation policies."""
    return sorted(p for p in folder.iterdir()
                  if p.suffix in (".yaml", ".yml") and p.stem != "pack" and not is_authorisation_file(p))


def expand_pack_folders(paths: Sequence[Path]) -> list[Path]:
    """``paths`` with each folder that holds no policy files but holds packs (``policies/``) replaced by its
    packs. Here, beside ``policy_files``, so a cached ``check`` imports nothing heavier to expand them."""
    out: list[Path] = []
    for path in paths:
        packs = sorted(p for p in path.iterdir() if (p / "pack.yaml").is_file()) if path.is_dir() else []
        out.extend(packs if packs and not policy_files(path) else [path])
    return out


# ---- keys ------------------------------------------------------------------------------------------------


def _add(digest: Any, label: str, data: bytes) -> None:
    """Length-prefixed, so no two different sequences of parts hash alike."""
    head = label.encode("utf-8", "surrogateescape")
    digest.update(b"%d:%s%d:" % (len(head), head, len(data)))
    digest.update(data)


def _dist_version(module: str, dist: str) -> bytes:
    """``name-version`` of the installed distribution, read from its ``.dist-info`` folder name
    (``importlib.metadata`` costs ~15 ms to import, more than the rest of a cache hit)."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return b"missing"
    if spec is None or not spec.origin:
        return b"missing"
    package = Path(spec.origin).parent
    site = package.parent if spec.submodule_search_locations else package
    try:
        names = sorted(entry.name for entry in site.iterdir())
    except OSError:
        names = []
    for name in names:
        stem, _, suffix = name.rpartition(".")
        project, _, version = stem.partition("-")
        if suffix in ("dist-info", "egg-info") and project.lower().replace("-", "_").replace(".", "_") == dist:
            return f"{dist}-{version}".encode()
    try:  # not installed from a distribution: the module's own code stands for its version
        return hashlib.sha256(Path(spec.origin).read_bytes()).hexdigest().encode()
    except OSError:
        return b"unreadable"


def _context() -> bytes:
    backend = (os.environ.get(BACKEND_ENV) or "auto").strip().lower()
    memo = _STATE.context if _STATE.context is not None else {}
    _STATE.context = memo
    if backend in memo:
        return memo[backend]
    digest = hashlib.sha256()
    _add(digest, "format", str(FORMAT).encode())
    _add(digest, "anops-policy", __version__.encode())
    _add(digest, "backend", backend.encode())
    package = Path(__file__).parent.parent
    files = [package / name for name in ENGINE_MODULES]
    for name in ENGINE_PACKAGES:
        files += sorted((package / name).glob("*.py"))
    for schemas in ("anops_policy.schemas", "anops_policy.schemas.facts"):
        folder = Path(str(resources.files(schemas)))
        files.extend(sorted(folder.glob("*.schema.json")))
    for file in files:
        try:
            _add(digest, f"{file.parent.name}/{file.name}", file.read_bytes())
        except OSError:
            _add(digest, file.name, b"<unreadable>")
    for module, dist in DISTRIBUTIONS:
        _add(digest, module, _dist_version(module, dist))
    _add(digest, "plugins", plugins.registrations())  # the sections (and schemas) a policy may read
    memo[backend] = digest.digest()
    return memo[backend]


def _key(kind: str, parts: Sequence[tuple[str, bytes]]) -> str:
    digest = hashlib.sha256()
    _add(digest, "context", _context())
    _add(digest, "kind", kind.encode())
    for label, data in parts:
        _add(digest, label, data)
    return digest.hexdigest()


# ---- entries ---------------------------------------------------------------------------------------------


def _read(kind: str, key: str) -> Any:
    """The payload stored under ``key``, or None (missing, unreadable, corrupt, foreign)."""
    folder = cache_dir()
    if folder is None:
        return None
    path = folder / SUBDIR / f"{key}.json"
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    head, _, payload = raw.partition(b"\n")
    try:
        header = json.loads(head)
        if not (
            isinstance(header, dict)
            and header.get("format") == FORMAT
            and header.get("kind") == kind
            and header.get("key") == key
            and header.get("sha256") == hashlib.sha256(payload).hexdigest()
        ):
            return None
        value = json.loads(payload)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return None
    cache_home.touch(path)  # last use, for pruning
    return value


def _write(kind: str, key: str, value: Any) -> None:
    folder = cache_dir()
    if folder is None:
        return
    try:
        payload = json.dumps(value, separators=(",", ":")).encode()
    except (TypeError, ValueError, RecursionError):
        return
    header = {"format": FORMAT, "kind": kind, "key": key, "sha256": hashlib.sha256(payload).hexdigest()}
    header["anops_policy"] = __version__  # for a human reading the folder
    target = folder / SUBDIR
    if not cache_home.write_atomic(target / f"{key}.json", json.dumps(header).encode() + b"\n" + payload):
        return  # an unwritable cache only costs speed
    if not _STATE.pruned:
        _STATE.pruned = True
        prune(target)


def prune(folder: Path, max_entries: int | None = None, max_bytes: int | None = None) -> None:
    """Delete the least recently used entries beyond the bounds (down to 80% of them), and temporary files
    left by a killed writer. Races with other processes only cost a re-load."""
    cache_home.prune(
        folder, MAX_ENTRIES if max_entries is None else max_entries, MAX_BYTES if max_bytes is None else max_bytes
    )


# ---- the two kinds of entry ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicySlot:
    """Where one policy file's compiled form is (or will be) stored."""

    key: str
    digest: str  # "sha256:…" of the bytes the key covers: the loaded policy's digest must match

    def read(self, display: str) -> Policy | None:
        data = _read("policy", self.key)
        if data is None:
            return None
        from anops_policy.policy import codec as policy_codec  # noqa: PLC0415 - imports lark

        try:
            return policy_codec.decode_policy(data, display, self.digest)
        except (KeyError, IndexError, TypeError, ValueError, AttributeError, RecursionError):
            return None  # not an entry this code wrote: load the file (and overwrite it)

    def write(self, policy: Policy) -> None:
        if policy.digest != self.digest:  # the file changed while it was loaded
            return
        from anops_policy.policy import codec as policy_codec  # noqa: PLC0415

        try:
            data = policy_codec.encode_policy(policy)
        except policy_codec.CodecError:
            return  # e.g. an example with a YAML set: loaded every time, never approximated
        _write("policy", self.key, data)


def policy_slot(path: Path, inputs: Sequence[str] = ()) -> PolicySlot | None:
    """The slot for a policy file, or None when the cache is off or the file cannot be read (loading
    then reports that). ``inputs``: the input names declared around it (its static check depends on them)."""
    if cache_dir() is None:
        return None
    try:
        data = path.read_bytes()
    except OSError:
        return None
    key = _key("policy", [("name", os.fsencode(path.name)), ("bytes", data), ("inputs", "\0".join(inputs).encode())])
    return PolicySlot(key, "sha256:" + hashlib.sha256(data).hexdigest())


def _check_key(targets: Sequence[Path]) -> str | None:
    """A key over everything ``check`` reads for ``targets``; None when a target is missing or unreadable
    (errors are never cached: the check reports them)."""
    parts: list[tuple[str, bytes]] = []
    try:
        for target in targets:
            if target.is_dir():
                files = policy_files(target)
                pack = target / "pack.yaml"
                parts.append(("folder", str(len(files)).encode()))
                if pack.is_file():
                    parts.append(("pack.yaml", pack.read_bytes()))
                patterns = target / "patterns"
                if patterns.is_dir():
                    parts.extend(
                        ("patterns/" + os.fsdecode(f.name), f.read_bytes())
                        for f in sorted(patterns.iterdir()) if f.suffix in (".yaml", ".yml") and f.is_file()
                    )
            elif target.is_file():
                files = [target]
                parts.append(("file", b""))
            else:
                return None
            parts.extend((os.fsdecode(f.name), f.read_bytes()) for f in files)
    except OSError:
        return None
    return _key("check", parts)


def checked(targets: Sequence[Path], check: Callable[[], tuple[int, int]]) -> tuple[int, int]:
    """The numbers of policies and pattern rules ``check`` finds in ``targets``: from the cache when these
    exact files passed before, else from ``check()`` (which raises on any problem), remembered when it passes."""
    key = _check_key(targets) if cache_dir() is not None else None
    if key is not None:
        hit = _read("check", key)
        if isinstance(hit, dict) and type(hit.get("policies")) is int and type(hit.get("rules")) is int:
            return int(hit["policies"]), int(hit["rules"])
    policies, rules = check()
    if key is not None and _check_key(targets) == key:  # unchanged while being checked
        _write("check", key, {"policies": policies, "rules": rules})
    return policies, rules


def _rule_key(spec: Mapping[str, Any]) -> str | None:
    from anops_policy.syntax.rules import spec_key  # noqa: PLC0415 - ast-grep: `check` answers without it

    text = spec_key(spec) if cache_dir() is not None else None
    return None if text is None else _key("rule", [("spec", text.encode("utf-8", "surrogatepass"))])


def checked_rule(spec: Mapping[str, Any]) -> CompiledRule | None:
    """The compiled form of the pattern rule ``spec`` when it compiled and passed its examples before."""
    from anops_policy.syntax.rules import remember, rule_from_data  # noqa: PLC0415

    key = _rule_key(spec)
    compiled = rule_from_data(spec, _read("rule", key)) if key is not None else None
    if compiled is not None:
        remember(spec, compiled)  # the patterns collector of this run compiles the same declaration
    return compiled


def rule_passed(spec: Mapping[str, Any], compiled: CompiledRule) -> None:
    """Remember that ``spec`` compiled to ``compiled`` and passed its own examples."""
    from anops_policy.syntax.rules import rule_data  # noqa: PLC0415

    key = _rule_key(spec)
    if key is not None:
        _write("rule", key, rule_data(compiled))


def _head_parts(folder: Path) -> list[tuple[str, bytes]] | None:
    """What ``load_pack`` reads before the policies: ``pack.yaml`` and the pattern files (None: unreadable)."""
    try:
        pack = folder / "pack.yaml"
        parts = [("pack.yaml", pack.read_bytes() if pack.is_file() else b"<none>")]
        patterns = folder / "patterns"
        if patterns.is_dir():
            parts.extend(
                ("patterns/" + os.fsdecode(f.name), f.read_bytes())
                for f in sorted(patterns.iterdir()) if f.suffix in (".yaml", ".yml") and f.is_file()
            )
    except OSError:
        return None
    return parts


def pack_head(folder: Path) -> tuple[str | None, Any]:
    """The key of a pack folder's ``pack.yaml`` and pattern files, and what ``load_pack`` remembered of them
    when they loaded cleanly before (their data and rules, so YAML with positions is not parsed again)."""
    parts = _head_parts(folder) if cache_dir() is not None else None
    if parts is None:
        return None, None
    key = _key("pack-head", parts)
    return key, _read("pack-head", key)


def remember_pack_head(folder: Path, key: str, value: Any) -> None:
    """Store ``value`` under ``key`` unless it is not plain JSON (read back, it would differ) or the files
    changed while the pack was loaded."""
    from anops_policy.schema_fast import plain_json  # noqa: PLC0415 - a small leaf, only on a write

    if not plain_json(value):
        return
    parts = _head_parts(folder)
    if parts is not None and _key("pack-head", parts) == key:
        _write("pack-head", key, value)
