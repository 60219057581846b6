"""Parquet for ``audit export``, written by DuckDB (the only importer of ``duckdb``).

Why DuckDB rather than pyarrow: the documented analysis (docs/store.md) is a DuckDB query, so one
dependency both writes the file and reads it, and DuckDB writes the nested columns (decisions, waivers,
items) with the exact types of ``export.COLUMNS`` from a JSON Lines spool without building the table
in Python memory. The spool is the same JSON Lines ``--format jsonl`` writes, so both formats carry one
schema by construction.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from anops_policy.audit.export import COLUMNS, write_jsonl
from anops_policy.errors import ConfigError


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def write_parquet(rows: Iterable[Mapping[str, Any]], out: Path) -> int:
    """Write the rows to ``out`` (zstd-compressed Parquet, row groups of 100,000); returns the row count."""
    try:
        import duckdb  # noqa: PLC0415  (imported only by this command: every other one starts without it)
    except ImportError:  # pragma: no cover - a regular dependency; named in case an install lost it
        raise ConfigError("audit export --format parquet needs the duckdb package (pip install duckdb)") from None
    columns = "{" + ", ".join(f"{_literal(name)}: {_literal(kind)}" for name, kind in COLUMNS) + "}"
    with tempfile.TemporaryDirectory(prefix="anops-export-") as tmp:
        spool = Path(tmp) / "rows.jsonl"
        with spool.open("w", encoding="utf-8") as fh:
            count = write_jsonl(rows, fh)
        # written beside the destination and renamed: a failed export never leaves half a file under its name
        partial = out.with_name(f".{out.name}.partial")
        try:
            with duckdb.connect(":memory:") as db:
                db.execute("SET enable_progress_bar = false")
                db.execute(f"COPY (SELECT * FROM read_json({_literal(str(spool))}, format = 'newline_delimited', "
                           f"columns = {columns}, maximum_object_size = 1073741824)) TO {_literal(str(partial))} "
                           "(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 100000)")
            partial.replace(out)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise ConfigError(f"audit export: cannot write {out}: {exc.strerror or exc}") from None
        except duckdb.Error as exc:
            partial.unlink(missing_ok=True)
            if "No such file" in str(exc) or "Permission denied" in str(exc) or "Cannot open" in str(exc):
                raise ConfigError(f"audit export: cannot write {out}: {str(exc).splitlines()[0]}") from None
            raise
    return count
