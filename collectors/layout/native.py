"""C and C++ builds read into candidate components: a CMake project (``CMakeLists.txt`` with ``project(...)``),
a Meson project (``meson.build`` with ``project(...)``) and an Autotools project (``configure.ac``). The build
says the language (``project(x C)``/``LANGUAGES CXX``, Meson's language list, ``AC_PROG_CXX``; else the
sources' majority) and whether it builds a program (``add_executable``, ``executable(...)``, ``bin_PROGRAMS``)
or only a library; test targets do not make a program. No collector of the built-in pack analyses C or C++
code, so these components are listed, named in the report as not analysed, and judged by what checks
every component (CI, Dockerfiles, TODOs) and by a pack's own pattern rules."""

from __future__ import annotations

import posixpath
import re

from anops_policy.collectors.layout.manifests import Candidate, _folder, _line_of, _skipped

from anops_policy.collection.collector import CollectContext

MAX_MANIFEST_BYTES = 1 << 20
C_FILES = (".c",)
CPP_FILES = (".cc", ".cpp", ".cxx", ".c++")
TEST_TARGET = re.compile(r"(^|[_-])(tests?|unittests?|bench|benchmarks?|check|example|demo)([_-]|$)|^test", re.I)

# (manifest file name, the call that names the project, program targets, library targets)
BUILDS = {
    "CMakeLists.txt": (
        re.compile(r"^\s*project\s*\(\s*([\w.+-]+)([^)]*)\)", re.MULTILINE | re.IGNORECASE),
        re.compile(r"^\s*add_executable\s*\(\s*([\w.+${}-]+)", re.MULTILINE | re.IGNORECASE),
        re.compile(r"^\s*add_library\s*\(", re.MULTILINE | re.IGNORECASE),
    ),
    "meson.build": (
        re.compile(r"^\s*project\s*\(\s*'([^']+)'([^)]*)\)", re.MULTILINE),
        re.compile(r"\bexecutable\s*\(\s*'([^']+)'", re.MULTILINE),
        re.compile(r"\b(shared_|static_|both_)?library\s*\(", re.MULTILINE),
    ),
    "configure.ac": (
        re.compile(r"^\s*AC_INIT\s*\(\s*\[?([\w.+-]+)\]?([^)]*)\)", re.MULTILINE),
        re.compile(r"^\s*AC_CONFIG_FILES", re.MULTILINE),  # programs are in Makefile.am, read below
        re.compile(r"^\s*LT_INIT|AC_PROG_RANLIB|AM_PROG_AR", re.MULTILINE),
    ),
}
AUTOMAKE_PROGRAMS = re.compile(r"^\s*(?:s?bin|libexec)_PROGRAMS\s*\+?=\s*(.+)$", re.MULTILINE)


def native_builds(ctx: CollectContext, files: list[str]) -> list[Candidate]:
    """One candidate per outermost C/C++ project (a CMake subdirectory of a CMake project is part of it)."""
    manifests = sorted(
        (p for p in files if posixpath.basename(p) in BUILDS and not _skipped(p)), key=lambda p: (p.count("/"), p)
    )
    roots: list[str] = []
    out: list[Candidate] = []
    for path in manifests:
        folder = _folder(path)
        if any(r in (folder, ".") or folder.startswith(r + "/") for r in roots):
            continue
        text = ctx.read_text(path, max_bytes=MAX_MANIFEST_BYTES) or ""
        name_re, program_re, _library_re = BUILDS[posixpath.basename(path)]
        project = name_re.search(text)
        if project is None:
            continue  # a subdirectory's CMakeLists.txt, or not a project file
        prefix = "" if folder == "." else folder + "/"
        sources = [p for p in files if p.startswith(prefix) and not _skipped(p)]
        lang = _language(project.group(2), text, sources)
        if lang is None:
            continue  # a build of something else (Fortran, a CMake-driven Python package)
        programs = [t for t in _programs(ctx, path, text, program_re, sources) if not TEST_TARGET.search(t)]
        name = project.group(1).strip("[]") or posixpath.basename(folder)
        candidate = Candidate(name, lang, folder, path, _line_of(text, name_re.pattern.split(r"\s*\(")[0]))
        candidate.kind = "cli" if programs else "library"
        candidate.entry = bool(programs)
        roots.append(folder)
        out.append(candidate)
    return out


def _programs(ctx: CollectContext, path: str, text: str, program_re: re.Pattern[str], sources: list[str]) -> list[str]:
    if posixpath.basename(path) != "configure.ac":
        return [m.group(1) for m in program_re.finditer(text)]
    programs: list[str] = []
    for am in (p for p in sources if posixpath.basename(p) == "Makefile.am"):
        for match in AUTOMAKE_PROGRAMS.finditer(ctx.read_text(am, max_bytes=MAX_MANIFEST_BYTES) or ""):
            programs += match.group(1).split()
    return programs


def _language(declared: str, text: str, sources: list[str]) -> str | None:
    """``cpp`` or ``c`` from the project's declared languages, else from which of its sources are more."""
    words = set(re.findall(r"[\w+]+", declared.upper()))
    if words & {"CXX", "CPP", "C++"} or "AC_PROG_CXX" in text:
        return "cpp"
    if "C" in words or "AC_PROG_CC" in text:
        return "c"
    c_count = sum(1 for p in sources if p.endswith(C_FILES))
    cpp_count = sum(1 for p in sources if p.endswith(CPP_FILES))
    if not c_count and not cpp_count:
        return None
    return "cpp" if cpp_count > c_count else "c"
