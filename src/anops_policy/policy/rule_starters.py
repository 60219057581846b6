"""What ``anops-policy new rule ID --language LANG`` writes for each language: a pattern that finds output
written straight to the console (where a logger belongs), an example it matches and examples it must not.
Plain data; the scaffold test runs every starter's examples through ``anops-policy test``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Starter:
    description: str
    pattern: str
    match: tuple[str, ...]
    no_match: tuple[str, ...]


def _console(call: str, logged: str, comment: str) -> Starter:
    name = call.partition("(")[0]
    return Starter(
        f"{name}() writes unstructured output with no level; service code logs through a logger.",
        call.replace("ARGS", "$$$ARGS"),
        (call.replace("ARGS", '"listening on", port'),),
        (logged, comment),
    )


STARTERS: dict[str, Starter] = {
    "python": _console("print(ARGS)", 'logger.info("listening on %s", port)', "# print(port)"),
    "go": _console("fmt.Println(ARGS)", 'slog.Info("listening", "port", port)', "// fmt.Println(port)"),
    "rust": _console("println!(ARGS)", 'tracing::info!(port, "listening")', "// println!(port)"),
    "typescript": _console("console.log(ARGS)", 'logger.info({ port }, "listening")', "// console.log(port)"),
    "tsx": _console("console.log(ARGS)", 'logger.info({ port }, "listening")', "// console.log(port)"),
    "javascript": _console("console.log(ARGS)", 'logger.info({ port }, "listening")', "// console.log(port)"),
    "java": _console("System.out.println(ARGS)", 'log.info("listening on {}", port);', "// System.out.println(port);"),
    "kotlin": _console("println(ARGS)", 'logger.info { "listening on $port" }', "// println(port)"),
    "csharp": _console("Console.WriteLine(ARGS)", 'logger.LogInformation("listening on {Port}", port);',
                       "// Console.WriteLine(port);"),
    "c": _console("printf(ARGS)", 'syslog(LOG_INFO, "listening on %d", port);', "/* printf(port); */"),
    "cpp": _console("printf(ARGS)", 'spdlog::info("listening on {}", port);', "// printf(port);"),
    "ruby": _console("puts(ARGS)", 'logger.info("listening on #{port}")', "# puts(port)"),
    "swift": _console("print(ARGS)", 'logger.info("listening on \\(port)")', "// print(port)"),
    "scala": _console("println(ARGS)", 'logger.info(s"listening on $port")', "// println(port)"),
}
