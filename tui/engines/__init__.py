"""Engines: DuckDB (embedded default), PostgreSQL and SQLite behind one interface.

``open_engine`` picks one from a SOURCE string as the CLI and ``.env`` give it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from tui.engines.base import (
    Cancelled,
    Engine,
    EngineError,
    Execution,
    ParameterError,
    SqlError,
)

__all__ = [
    "Cancelled",
    "Engine",
    "EngineError",
    "Execution",
    "ParameterError",
    "SourceError",
    "SqlError",
    "open_engine",
]

DUCKDB_SUFFIXES = (".duckdb", ".ddb", ".db")
SQLITE_SUFFIXES = (".sqlite", ".sqlite3")
FILE_SUFFIXES = (".parquet", ".csv", ".tsv", ".json", ".jsonl", ".ndjson")


class SourceError(EngineError):
    """The SOURCE given on the command line cannot be opened."""


def open_engine(
    source: str | None,
    *,
    allow_writes: bool = False,
    max_connections: int | None = None,
    allow_dirs: Iterable[str | Path] = (),
    duckdb_config: Mapping[str, Any] | None = None,
) -> Engine:
    """An engine for ``source``, sandboxed (see README, "Operating it").

    ``allow_writes`` lets SQL run every statement kind with the engine's rights; without it
    only reading statements run. ``allow_dirs`` are the directories DuckDB SQL may read files
    from (a file source's own file is allowed implicitly); other engines read no files.

    * nothing: in-memory DuckDB that reads Parquet/CSV/JSON files by path;
    * ``postgresql://…`` / ``postgres://…``: PostgreSQL;
    * ``sc://host:15002``: Apache Spark through Spark Connect (the ``spark`` extra);
    * ``*.sqlite`` / ``*.sqlite3``: SQLite;
    * ``*.duckdb`` / ``*.db``: a DuckDB database file;
    * ``*.parquet`` / ``*.csv`` / ``*.json``: in-memory DuckDB with the file as view ``data``.
    """
    from tui.engines.duckdb import DuckDBEngine

    tuning = dict(duckdb_config or {})  # threads / memory_limit for a DuckDB engine
    if not source:
        return DuckDBEngine(None, allow_writes=allow_writes, allow_dirs=allow_dirs, **tuning)
    if source.startswith(("postgresql://", "postgres://")):
        from tui.engines.postgres import PostgresEngine

        if max_connections:  # one connection per query the service may run at once
            return PostgresEngine(source, allow_writes=allow_writes, max_connections=max_connections)
        return PostgresEngine(source, allow_writes=allow_writes)
    if source.startswith("sc://"):
        from tui.engines.spark import SparkEngine

        return SparkEngine(source, allow_writes=allow_writes)
    path = Path(source).expanduser()
    suffix = path.suffix.lower()
    if suffix in SQLITE_SUFFIXES:
        if not path.exists():
            raise SourceError(f"no such SQLite database: {source}")
        from tui.engines.sqlite import SQLiteEngine

        return SQLiteEngine(path, allow_writes=allow_writes)
    if suffix in DUCKDB_SUFFIXES:
        if not path.exists() and not allow_writes:
            raise SourceError(f"no such DuckDB database: {source} (use --allow-writes to create it)")
        return DuckDBEngine(path, allow_writes=allow_writes, allow_dirs=allow_dirs, **tuning)
    if suffix in FILE_SUFFIXES:
        if not path.exists():
            raise SourceError(f"no such file: {source}")
        return DuckDBEngine(None, allow_writes=allow_writes, allow_dirs=allow_dirs, file_views={"data": path}, **tuning)
    raise SourceError(
        f"cannot tell what {source!r} is: expected postgresql://…, sc://…, or a path ending in "
        + ", ".join(DUCKDB_SUFFIXES + SQLITE_SUFFIXES + FILE_SUFFIXES)
    )
