"""Source parsing shared by collectors: each source file is parsed once per run, for every collector that
needs it, and a file that does not parse is recorded, never fatal (Python's ``ast`` today).

May import collection and the shared leaves."""
