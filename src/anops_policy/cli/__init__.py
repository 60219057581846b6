"""The command line: click commands, shared options, and the one handler that maps errors to exit codes.

Owns parsing and printing only; every command calls one function of ``pipeline``, ``audit`` or ``server``.
May import every other package (it is the top layer)."""
