"""Problems of one Dockerfile, pre-judged so a policy reads a code instead of re-deriving it.

Each problem is ``{code, line, message}``. Codes (stable; policies match on them):

* ``base-latest`` - a stage's base image floats (``:latest`` or no tag, no digest)
* ``full-base-image`` - the final image starts from a full language image (``python:3.11``) that has a
  ``-slim``/``-alpine`` variant without the toolchain
* ``build-tools-in-final-stage`` - compilers, make, git, curl… installed in (or inherited by) the final image
* ``apt-install-recommends`` - ``apt-get install`` without ``--no-install-recommends`` in the final image
* ``apt-lists-kept`` - ``apt-get update`` in a RUN of the final image that does not remove
  ``/var/lib/apt/lists``
* ``apk-cache-kept``, ``rpm-cache-kept``, ``pip-cache-kept``, ``npm-cache-kept`` - an install in the final
  image leaves the package manager's cache in its layer
* ``install-files-left`` - files copied into the final image only to be installed from (wheels, .deb)
  stay in the image in the COPY's layer
* ``copy-whole-context`` - ``COPY .``/``ADD .`` into the final image (tests, VCS data, local files ship)
* ``no-dockerignore`` - the whole build context is copied and there is no ``.dockerignore``
* ``add-url`` - ``ADD`` of a remote URL without ``--checksum``
* ``curl-pipe-shell`` - a downloaded script is run by a shell (``curl … | sh``)
* ``secret-in-env`` / ``secret-in-arg`` - an ENV/ARG whose name looks secret (BuildKit's rule) or whose
  value carries URL credentials (the value is never stored)
* ``secret-in-run`` - a RUN command line with URL credentials or a secret-named ``VAR=value``: the
  command line is kept in the image history
* ``runs-as-root`` - the final image's effective USER is root (no USER, ``root`` or uid 0)
* ``no-healthcheck`` - the final image has no HEALTHCHECK (or ``HEALTHCHECK NONE``)
* ``shell-form-entrypoint`` / ``shell-form-cmd`` - the final ENTRYPOINT/CMD is in shell form, so the
  process runs under ``/bin/sh -c`` and does not receive SIGTERM
* ``unknown-instruction`` / ``instruction-before-from`` - lines ``docker build`` rejects
"""

from __future__ import annotations

import posixpath
from typing import Any

from anops_policy.collectors.docker.analysis import Analysis, Stage, effective
from anops_policy.collectors.docker.shell import cache_cleared

PROBLEM_CODES = (
    "base-latest",
    "full-base-image",
    "build-tools-in-final-stage",
    "apt-install-recommends",
    "apt-lists-kept",
    "apk-cache-kept",
    "rpm-cache-kept",
    "pip-cache-kept",
    "npm-cache-kept",
    "install-files-left",
    "copy-whole-context",
    "no-dockerignore",
    "add-url",
    "curl-pipe-shell",
    "secret-in-env",
    "secret-in-arg",
    "secret-in-run",
    "runs-as-root",
    "no-healthcheck",
    "shell-form-entrypoint",
    "shell-form-cmd",
    "unknown-instruction",
    "instruction-before-from",
)
_CACHE_CODES = {
    "apk": "apk-cache-kept",
    "yum": "rpm-cache-kept",
    "dnf": "rpm-cache-kept",
    "microdnf": "rpm-cache-kept",
    "pip": "pip-cache-kept",
    "npm": "npm-cache-kept",
}
_SECRET_CODES = {"ENV": "secret-in-env", "ARG": "secret-in-arg", "RUN": "secret-in-run"}
_CACHE_HINTS = {
    "apk": "use `apk add --no-cache`",
    "yum": "end the RUN with `yum clean all`",
    "dnf": "end the RUN with `dnf clean all`",
    "microdnf": "end the RUN with `microdnf clean all`",
    "pip": "add `--no-cache-dir` (or set PIP_NO_CACHE_DIR=1)",
    "npm": "end the RUN with `npm cache clean --force`",
}


def find_problems(
    a: Analysis,
    chain: list[Stage],
    tools: list[dict[str, Any]],
    user: dict[str, Any],
    dockerignore_exists: bool,
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    def add(code: str, line: int | None, message: str) -> None:
        out.append({"code": code, "line": line, "message": message})

    final_indices = {s.index for s in chain}
    final = chain[0] if chain else None
    for stage in a.stages:
        f = stage.facts
        if f["latest"]:
            add(
                "base-latest",
                stage.line,
                f"stage {_stage_name(stage)} uses `{f['base_resolved']}`, which floats: "
                "pin a tag (and ideally a digest)",
            )
    if chain and chain[-1].facts["full_language_base"]:
        root = chain[-1]
        add(
            "full-base-image",
            root.line,
            f"the final image starts from the full `{root.facts['base_resolved']}` "
            "image (compilers, headers, git): use its -slim variant, or build in an earlier stage",
        )
    by_line: dict[int, list[str]] = {}
    for tool in tools:
        by_line.setdefault(tool["line"], []).append(tool["name"])
    for line, names in sorted(by_line.items()):
        how = (
            "inherited from the base image"
            if any(t["source"] == "base" and t["line"] == line for t in tools)
            else "installed"
        )
        add(
            "build-tools-in-final-stage",
            line,
            f"build tools {how} in the final image: {', '.join(sorted(names))}; "
            "build in an earlier stage and copy only the result",
        )
    for inst in a.installs:
        if inst["stage"] not in final_indices:
            continue
        manager = inst["manager"]
        if manager in {"apt-get", "apt"} and not inst["no_install_recommends"]:
            add(
                "apt-install-recommends",
                inst["line"],
                f"`{manager} install` without --no-install-recommends pulls in "
                "recommended packages nobody asked for",
            )
        if manager in _CACHE_CODES and not inst["cache_cleaned"]:
            add(
                _CACHE_CODES[manager],
                inst["line"],
                f"`{manager}` leaves its cache in the layer: {_CACHE_HINTS[manager]}",
            )
    for stage in chain:
        for _line, facts, mounts in stage.runs:
            if facts.apt_update_line is not None and not cache_cleared("apt", facts, mounts):
                add(
                    "apt-lists-kept",
                    facts.apt_update_line,
                    "`apt-get update` leaves /var/lib/apt/lists in the "
                    "layer: end the same RUN with `rm -rf /var/lib/apt/lists/*`",
                )
        _install_files_left(a, stage, add)
    for copy in a.copies:
        if copy["whole_context"] and copy["stage"] in final_indices:
            add(
                "copy-whole-context",
                copy["line"],
                f"`{copy['instruction']} {' '.join(copy['sources'])} {copy['dest']}` "
                "copies the whole build context into the final image: copy only what the image needs",
            )
        if copy["whole_context"] and not dockerignore_exists:
            add(
                "no-dockerignore",
                copy["line"],
                "the whole build context is copied and there is no .dockerignore: "
                "tests, .git and local files end up in the image",
            )
    for url in a.add_urls:
        if not url["checksum"]:
            add(
                "add-url",
                url["line"],
                f"ADD downloads {url['url']} unverified: use ADD --checksum or curl with a "
                "checksum check in a RUN",
            )
    for pipe in a.pipe_to_shell:
        add(
            "curl-pipe-shell",
            pipe["line"],
            "a downloaded script is piped into a shell: download, verify a checksum, then run it",
        )
    for secret in a.secrets:
        code = _SECRET_CODES[secret["instruction"]]
        why = (
            "carries credentials in a URL" if secret["reason"] == "url-credentials" else "looks like a secret"
        )
        what = (
            f"{secret['instruction']} {secret['key']}"
            if secret["key"]
            else f"the {secret['instruction']} command"
        )
        add(
            code,
            secret["line"],
            f"{what} {why}: it stays in the image and its history; "
            "use a build secret (RUN --mount=type=secret) or inject it at run time",
        )
    if final is not None:
        if user["final_user_is_root"]:
            line = user["final_user_line"] or final.line
            add(
                "runs-as-root",
                line,
                "the final image runs as root"
                + ("" if user["final_user_line"] else " (no USER instruction)")
                + ": add a non-root USER",
            )
        health = effective(chain, "healthcheck")
        if health is None or health["disabled"]:
            add(
                "no-healthcheck",
                health["line"] if health else final.line,
                "the final image has no HEALTHCHECK" + (" (HEALTHCHECK NONE)" if health else ""),
            )
        entry = effective(chain, "entrypoint")
        cmd = effective(chain, "cmd")
        if entry is not None and entry["form"] == "shell":
            add(
                "shell-form-entrypoint",
                entry["line"],
                "ENTRYPOINT in shell form runs under /bin/sh -c and never "
                "receives SIGTERM: use the JSON (exec) form",
            )
        if cmd is not None and cmd["form"] == "shell":
            add(
                "shell-form-cmd",
                cmd["line"],
                "CMD in shell form runs under /bin/sh -c and never receives SIGTERM: "
                "use the JSON (exec) form",
            )
    for item in a.unknown:
        add("unknown-instruction", item["line"], f"`{item['instruction']}` is not a Dockerfile instruction")
    for item in a.orphans:
        add(
            "instruction-before-from",
            item["line"],
            f"{item['instruction']} before the first FROM (only ARG may come first)",
        )
    unique = {(p["code"], p["line"], p["message"]): p for p in out}
    return sorted(unique.values(), key=lambda p: (p["line"] or 0, p["code"], p["message"]))


def _install_files_left(a: Analysis, stage: Stage, add: Any) -> None:
    """COPY/ADD of files that a later RUN of the same stage installs from: the COPY's layer keeps them."""
    for inst in a.installs:
        if inst["stage"] != stage.index or not inst["local_sources"]:
            continue
        for copy in stage.copies:
            if copy["line"] >= inst["run_line"] or not copy["dest_abs"]:
                continue
            dest = copy["dest_abs"].rstrip("/") or "/"
            for source in inst["local_sources"]:
                path = posixpath.normpath(posixpath.join(stage.workdir, source))
                if dest != "/" and (path == dest or path.startswith(dest + "/")):
                    add(
                        "install-files-left",
                        copy["line"],
                        f"{copy['instruction']} puts {copy['dest']} in the final image only to install it at "
                        f"line {inst['run_line']}; the files stay in the COPY's layer: "
                        "install in a build stage, or RUN --mount=type=bind the files",
                    )
                    break


def _stage_name(stage: Stage) -> str:
    return f'"{stage.name}"' if stage.name else str(stage.index)
