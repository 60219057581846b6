"""Source parsing shared by collectors: each source file is parsed once per run, for every collector and
rule that needs it, and a file that does not parse is recorded, never fatal.

- ``python_ast``: Python's ``ast`` for the python, grpc, logging and rust collectors' summaries;
- tree-sitter through ast-grep (the only importer of ``ast_grep_py``): ``languages`` (what a rule's
  ``language:`` may name, its files, test files and snippet contexts), ``snippets`` (a pattern written the
  way the code reads gets the context its grammar needs), ``rules`` (compiling and running a pattern
  rule), ``rule_examples`` (a rule's own tests), ``trees`` (one parse per file, the first syntax error,
  a window of shared trees bounded by count and size), ``comments`` (the comment spans of a file, for the
  todos and docs collectors), ``rust_source`` (the Rust collector's token stream off a file's tree) and
  ``shell`` (shell text, as the CI and Dockerfile collectors read it, through the Bash grammar).

May import collection and the shared leaves."""
