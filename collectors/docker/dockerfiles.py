"""``dockerfiles``: every Dockerfile in the repository read with BuildKit's own parser — stages and base
images, the final image's user, healthcheck and entry point, package installs and their caches, copies of
the build context, secrets (names only), build tools — with the problems pre-judged per file.

Found by name (``Dockerfile``, ``Dockerfile.*``, ``*.Dockerfile``, ``Containerfile`` and the same for
``Containerfile``) plus the globs or paths in ``collect.options.dockerfiles.paths``. A file that cannot
be read or parsed becomes an entry with ``parsed: false`` and its ``error``; it never stops the others.
The build context of a Dockerfile is taken to be its folder (where ``.dockerignore`` is looked up,
after BuildKit's per-Dockerfile ``<name>.dockerignore``).
"""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING, Any

from anops_policy.collection.collector import CollectContext
from anops_policy.errors import CollectorFailed

if TYPE_CHECKING:
    from anops_policy.collectors.docker.analysis import Analysis

# BuildKit's parser is quadratic in the length of a continued instruction (a 350 KB RUN takes over a
# second); real Dockerfiles are a few KB. collect.options.dockerfiles.max_file_bytes raises it.
MAX_DOCKERFILE_BYTES = 256 * 1024
# Real Dockerfiles have tens of instructions; each one costs a shell analysis and ~300 bytes of facts.
MAX_INSTRUCTIONS = 2000
_NAMES = ("Dockerfile", "dockerfile", "Containerfile", "containerfile")


def is_dockerfile_name(name: str) -> bool:
    if name.endswith(".dockerignore"):
        return False
    return (
        name in _NAMES
        or any(name.startswith(n + ".") for n in _NAMES)
        or name.endswith((".Dockerfile", ".dockerfile", ".Containerfile", ".containerfile"))
    )


class DockerfilesCollector:
    name = "dockerfiles"
    version = "1"
    depends_on: tuple[str, ...] = ()

    def collect(self, ctx: CollectContext) -> dict[str, Any]:
        files = ctx.files()
        listed = set(files)
        paths = {p for p in files if is_dockerfile_name(posixpath.basename(p))}
        missing: list[str] = []
        extra = ctx.options(self.name).get("paths", [])
        if not isinstance(extra, list) or not all(isinstance(p, str) for p in extra):
            raise CollectorFailed("collect.options.dockerfiles.paths must be a list of paths or globs")
        for pattern in extra:
            if any(ch in pattern for ch in "*?["):
                paths.update(ctx.glob([pattern]))
            elif pattern.strip("/") in listed:
                paths.add(pattern.strip("/"))
            else:
                missing.append(pattern.strip("/"))
        limit = ctx.options(self.name).get("max_file_bytes", MAX_DOCKERFILE_BYTES)
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1024:
            raise CollectorFailed("collect.options.dockerfiles.max_file_bytes must be an integer of at least 1024")
        by_path: dict[str, dict[str, Any]] = {}
        for path in sorted(paths):
            by_path[path] = self._file(ctx, path, listed, limit)
        for path in missing:
            by_path[path] = _failed(path, "configured in collect.options.dockerfiles.paths but not found")
        ordered = sorted(by_path)
        by_dir: dict[str, list[str]] = {}
        counts: dict[str, int] = {}
        # code -> the first problem of that code in each file: a policy looks its code up instead of
        # scanning every file's problems (pure-Python CEL pays per element, per policy, per code)
        by_code: dict[str, dict[str, list[Any]]] = {}
        for path in ordered:
            by_dir.setdefault(posixpath.dirname(path) or ".", []).append(path)
            seen: set[str] = set()
            for problem in by_path[path]["problems"]:
                counts[problem["code"]] = counts.get(problem["code"], 0) + 1
                if problem["code"] not in seen:
                    seen.add(problem["code"])
                    entry = by_code.setdefault(problem["code"], {"paths": [], "problems": []})
                    entry["paths"].append(path)
                    entry["problems"].append({"path": path, **problem})
        return {
            "count": len(ordered),
            "paths": ordered,
            "by_path": {p: by_path[p] for p in ordered},
            "by_dir": by_dir,
            "error_count": sum(1 for p in ordered if not by_path[p]["parsed"]),
            "problem_count": sum(counts.values()),
            "problem_counts": dict(sorted(counts.items())),
            "by_problem_code": dict(sorted(by_code.items())),
            "unparsed": [p for p in ordered if not by_path[p]["parsed"]],
        }

    def _file(self, ctx: CollectContext, path: str, listed: set[str], limit: int) -> dict[str, Any]:
        # the parser and the analysis load with the first Dockerfile (start-up of a run without one)
        from anops_policy.collectors.docker.instructions import analyse  # noqa: PLC0415
        from anops_policy.collectors.docker.syntax import DockerfileSyntaxError, parse, read_directives  # noqa: PLC0415

        before = len(ctx.skips)
        text = ctx.read_text(path, max_bytes=limit)
        if text is None:
            reason = ctx.skips[-1].reason if len(ctx.skips) > before else "unreadable"
            return _failed(path, f"not read: {reason}")
        directives = read_directives(text)
        try:
            instructions = parse(text)
        except DockerfileSyntaxError as exc:
            return _failed(path, f"not a valid Dockerfile: {exc}", directives)
        if len(instructions) > MAX_INSTRUCTIONS:
            why = f"not analysed: {len(instructions)} instructions, over the limit of {MAX_INSTRUCTIONS}"
            return _failed(path, why, directives)
        try:
            analysis = analyse(path, text, directives, instructions)
            if not analysis.stages:
                return _failed(path, "not a valid Dockerfile: no FROM instruction", directives)
            return file_facts(path, analysis, _dockerignore(ctx, path, listed))
        except Exception as exc:  # a reading bug on one odd file must not cost the facts of the others
            return _failed(path, f"internal error reading this file: {type(exc).__name__}: {exc}", directives)


def _dockerignore(ctx: CollectContext, path: str, listed: set[str]) -> dict[str, Any]:
    folder = posixpath.dirname(path)
    for candidate in (path + ".dockerignore", posixpath.join(folder, ".dockerignore")):
        if candidate in listed:
            text = ctx.read_text(candidate)
            if text is None:
                continue
            patterns = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("#")]
            return {"path": candidate, "exists": True, "patterns": patterns}
    return {"path": None, "exists": False, "patterns": []}


def _empty(path: str) -> dict[str, Any]:
    return {
        "path": path,
        "dir": posixpath.dirname(path) or ".",
        "parsed": True,
        "error": None,
        "directives": {"syntax": None, "escape": "\\", "check": None},
        "instruction_count": 0,
        "instructions": [],
        "stage_count": 0,
        "multi_stage": False,
        "stages": [],
        "final_stage": None,
        "final_base": None,
        "args_before_from": [],
        "final_user": None,
        "final_user_line": None,
        "final_user_source": "default",
        "final_user_is_root": True,
        "healthcheck": None,
        "has_healthcheck": False,
        "entrypoint": None,
        "cmd": None,
        "expose": [],
        "exposed_ports": [],
        "env": [],
        "args": [],
        "secrets": [],
        "secret_count": 0,
        "installs": [],
        "package_install_count": 0,
        "package_count": 0,
        "unpinned_package_count": 0,
        "copies": [],
        "copies_whole_context": False,
        "dockerignore": {"path": None, "exists": False, "patterns": []},
        "add_urls": [],
        "pipe_to_shell": [],
        "build_tools": [],
        "has_build_tools": False,
        "problems": [],
        "problem_count": 0,
        "problem_codes": [],
    }


def _failed(path: str, error: str, directives: dict[str, str] | None = None) -> dict[str, Any]:
    out = _empty(path)
    out.update(parsed=False, error=error)
    if directives:
        out["directives"] = _directives(directives)
    return out


def _directives(found: dict[str, str]) -> dict[str, Any]:
    return {"syntax": found.get("syntax"), "escape": found.get("escape", "\\"), "check": found.get("check")}


def file_facts(path: str, a: Analysis, dockerignore: dict[str, Any]) -> dict[str, Any]:
    from anops_policy.collectors.docker.analysis import build_tools, effective, final_chain, user_facts  # noqa: PLC0415
    from anops_policy.collectors.docker.problems import find_problems  # noqa: PLC0415

    chain = final_chain(a)
    final_indices = {s.index for s in chain}
    tools = build_tools(a, chain)
    user = user_facts(chain)
    for inst in a.installs:
        inst["in_final_image"] = inst["stage"] in final_indices
    stages = []
    for stage in a.stages:
        stages.append(
            {
                **stage.facts,
                "in_final_image": stage.index in final_indices,
                "final": bool(chain) and stage is chain[0],
                "user": stage.user[0] if stage.user else None,
                "instruction_count": stage.instruction_count,
            }
        )
    health = effective(chain, "healthcheck")
    final = chain[0] if chain else None
    out = _empty(path)
    out.update(
        directives=_directives(a.directives),
        instruction_count=len(a.instructions),
        instructions=a.instructions,
        stage_count=len(a.stages),
        multi_stage=len(a.stages) > 1,
        stages=stages,
        final_stage=final.index if final else None,
        final_base=(final.facts["base_resolved"] or final.base) if final else None,
        args_before_from=a.args_before_from,
        healthcheck=health,
        has_healthcheck=health is not None and not health["disabled"],
        entrypoint=effective(chain, "entrypoint"),
        cmd=effective(chain, "cmd"),
        expose=a.expose,
        exposed_ports=sorted({f"{e['port']}/{e['protocol']}" for e in a.expose if e["stage"] in final_indices}),
        env=a.env,
        args=a.args,
        secrets=sorted(a.secrets, key=lambda s: (s["line"], s["instruction"], s["key"] or "")),
        secret_count=len(a.secrets),
        installs=a.installs,
        package_install_count=len(a.installs),
        package_count=sum(i["package_count"] for i in a.installs),
        unpinned_package_count=sum(len(i["unpinned"]) for i in a.installs),
        copies=a.copies,
        copies_whole_context=any(c["whole_context"] and c["stage"] in final_indices for c in a.copies),
        dockerignore=dockerignore,
        add_urls=a.add_urls,
        pipe_to_shell=a.pipe_to_shell,
        build_tools=tools,
        has_build_tools=bool(tools),
        **user,
    )
    problems = find_problems(a, chain, tools, user, dockerignore["exists"])
    out.update(
        problems=problems,
        problem_count=len(problems),
        problem_codes=sorted({p["code"] for p in problems}),
    )
    return out
