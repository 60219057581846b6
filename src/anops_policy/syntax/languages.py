"""The languages pattern rules may name: the tree-sitter grammar ast-grep parses them with, the files that
hold them, how their test files are recognised, and the contexts that let a plain code snippet parse as
the code a developer means (a Go call is not valid at the top of a file; a Rust one neither).

Plain data, no engine import: the static check and the collector share it."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

# Where a snippet is tried, in order, when it does not match itself as written: ``{}`` is the snippet.
# Each context is a minimal valid file of the language whose body holds the snippet (statements in a
# function, members in a class, items at the top).
_GO = ("package main\nfunc _() {\n{}\n}\n", "package main\n{}\n", "package main\nvar _ = {}\n")
_RUST = ("fn _f() {\n{}\n}\n", "fn _f() {\n{};\n}\n", "{}\n", "impl _T {\n{}\n}\n")
_JAVA = (
    "{}\n",
    "class _C {\nvoid _m() {\n{}\n}\n}\n",
    "class _C {\nvoid _m() {\n{};\n}\n}\n",
    "class _C {\n{}\n}\n",
)
_CSHARP = (
    "{}\n",
    "class _C {\nvoid _M() {\n{}\n}\n}\n",
    "class _C {\nvoid _M() {\n{};\n}\n}\n",
    "class _C {\n{}\n}\n",
    "class _C {\nobject _f = {};\n}\n",  # an expression alone (`$A ?? $B`, `$V`) is no C# statement
)
_JS = ("{}\n", "function _f() {\n{}\n}\n", "class _C {\n{}\n}\n")
_PY = ("{}\n", "def _f():\n    {}\n", "class _C:\n    {}\n")
_KOTLIN = ("fun _f() {\n{}\n}\n", "class _C {\n{}\n}\n", "{}\n")
_C = ("void _f(void) {\n{}\n}\n", "void _f(void) {\n{};\n}\n", "{}\n")
_PLAIN = ("{}\n",)


@dataclass(frozen=True)
class Language:
    name: str  # what a rule's ``language:`` says
    grammar: str  # ast-grep's name of the tree-sitter grammar
    extensions: tuple[str, ...]
    contexts: tuple[str, ...] = _PLAIN
    test_names: str = ""  # a regex on the file's base name that marks a test file
    test_dirs: frozenset[str] = frozenset({"test", "tests", "__tests__", "spec", "testdata"})
    # (prefix, context): a snippet starting with the prefix is first tried without it in the context
    # (Go's ``import "os"`` then also matches the spec inside a grouped ``import ( ... )``)
    prefixed: tuple[tuple[str, str], ...] = ()

    def owns(self, path: str) -> bool:
        return path.lower().endswith(self.extensions)

    def is_test(self, path: str) -> bool:
        """A test file by this ecosystem's conventions: a test folder anywhere on the path, or a test name."""
        parts = path.split("/")
        if any(part in self.test_dirs for part in parts[:-1]):
            return True
        return bool(self.test_names) and re.search(self.test_names, posixpath.basename(path)) is not None


_JS_TESTS = r"\.(test|spec|e2e)\.[cm]?[jt]sx?$"
LANGUAGES: dict[str, Language] = {
    lang.name: lang
    for lang in (
        Language("go", "go", (".go",), _GO, r"_test\.go$", prefixed=(("import ", "package main\nimport (\n{}\n)\n"),)),
        Language("python", "python", (".py", ".pyi"), _PY, r"^(test_.*|.*_test|conftest)\.py$"),
        Language("typescript", "typescript", (".ts", ".mts", ".cts"), _JS, _JS_TESTS),
        Language("tsx", "tsx", (".tsx",), _JS, _JS_TESTS),
        Language("javascript", "javascript", (".js", ".jsx", ".mjs", ".cjs"), _JS, _JS_TESTS),
        Language(
            "java", "java", (".java",), _JAVA, r"(Test|Tests|IT|TestCase)\.java$",
            frozenset({"test", "tests", "testFixtures", "androidTest", "integrationTest"}),
        ),
        Language("kotlin", "kotlin", (".kt", ".kts"), _KOTLIN, r"(Test|Tests|IT)\.kt$"),
        Language(
            "csharp", "csharp", (".cs",), _CSHARP, r"(Test|Tests)\.cs$", frozenset({"test", "tests"}),
        ),
        Language("rust", "rust", (".rs",), _RUST, r"^(tests?|.*_tests?)\.rs$", frozenset({"tests", "benches"})),
        Language("c", "c", (".c", ".h"), _C, r"^(test_.*|.*_test)\.c$"),
        Language(
            "cpp", "cpp", (".cc", ".cpp", ".cxx", ".hpp", ".hh", ".hxx"), _C, r"^(test_.*|.*_test)\.(cc|cpp|cxx)$"
        ),
        Language("ruby", "ruby", (".rb",), _PLAIN, r"_(spec|test)\.rb$"),
        Language("php", "php", (".php",), ("<?php\n{}\n",), r"Test\.php$"),
        Language("scala", "scala", (".scala",), _PLAIN, r"(Spec|Test|Suite)\.scala$"),
        Language("swift", "swift", (".swift",), _PLAIN, r"Tests?\.swift$"),
        Language("bash", "bash", (".sh", ".bash"), _PLAIN, r"^test_.*\.sh$|\.bats$"),
        Language("lua", "lua", (".lua",), _PLAIN, r"_spec\.lua$"),
        Language("elixir", "elixir", (".ex", ".exs"), _PLAIN, r"_test\.exs$"),
        Language("haskell", "haskell", (".hs",), _PLAIN, r"Spec\.hs$"),
        Language("dart", "dart", (".dart",), _PLAIN, r"_test\.dart$"),
        Language("solidity", "solidity", (".sol",), _PLAIN, r"\.t\.sol$"),
        Language("hcl", "hcl", (".tf", ".hcl"), _PLAIN),
        Language("nix", "nix", (".nix",), _PLAIN),
        Language("html", "html", (".html", ".htm"), _PLAIN),
        Language("css", "css", (".css",), _PLAIN),
        Language("yaml", "yaml", (".yaml", ".yml"), _PLAIN),
        Language("json", "json", (".json",), _PLAIN),
    )
}
ALIASES = {"golang": "go", "ts": "typescript", "js": "javascript", "py": "python", "cs": "csharp", "c#": "csharp",
           "rs": "rust", "kt": "kotlin", "c++": "cpp", "sh": "bash", "rb": "ruby"}


def language(name: str) -> Language | None:
    """The language a rule names (case-insensitive; common aliases such as ``golang`` and ``ts``)."""
    key = name.strip().lower()
    return LANGUAGES.get(ALIASES.get(key, key))
