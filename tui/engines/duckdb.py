"""DuckDB, the embedded default engine.

One database connection per engine; each query runs on its own cursor (a DuckDB connection
to the same database), so queries run concurrently and ``interrupt()`` stops exactly one.
Results stream through DuckDB's Arrow reader, never materialised in full.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from tui.engines import params as sqlparams
from tui.engines.base import Cancelled, Engine, Execution, SqlError, typed_field

#: rows per Arrow batch pulled from DuckDB (the store re-chunks them)
BATCH_ROWS = 8192

_LINE = re.compile(r"^LINE (\d+): (.*)$", re.M)


def error_position(message: str, sql: str) -> tuple[int | None, int | None]:
    """Line and column (1-based) of DuckDB's ``LINE n: …`` + caret, if the message has one.

    DuckDB shows a window of the offending line and may cut its start with ``...``; the window
    is located in the original line so the column is still exact.
    """
    match = _LINE.search(message)
    if not match:
        return None, None
    line = int(match.group(1))
    shown = match.group(2)
    rest = message[match.end() + 1 :].split("\n", 1)[0]
    caret = rest.find("^")
    if caret < 0:
        return line, None
    prefix = len(match.group(0)) - len(shown)
    column = caret - prefix
    if shown.startswith("..."):
        lines = sql.splitlines()
        original = lines[line - 1] if 0 < line <= len(lines) else ""
        snippet = shown[3:]
        if snippet.endswith("..."):
            snippet = snippet[:-3]
        found = original.find(snippet) if snippet else -1
        column = column - 3 + found if found >= 0 else column
    return line, max(column, 0) + 1


def _message(exc: BaseException) -> str:
    return str(exc).strip() or type(exc).__name__


class DuckDBExecution(Execution):
    def __init__(self, cursor: duckdb.DuckDBPyConnection, relation: Any, sql: str):
        self._cursor = cursor
        self._relation = relation
        self._sql = sql
        self._cancelled = threading.Event()
        self._reader: pa.RecordBatchReader | None = None
        # Until the reader exists (a blocking operator like ORDER BY or count(*) runs to the
        # end inside it), the schema is the one DuckDB reports from binding.
        self.schema = pa.schema([])

    def _open(self) -> pa.RecordBatchReader | None:
        """Start streaming. Done lazily, on the query's own thread, so that ``cancel`` can
        interrupt even the part of the query that runs before the first row."""
        relation = self._relation
        if relation is None:  # a statement with no result (SET, CREATE …) already ran
            return None
        names, types = relation.columns, [str(t) for t in relation.types]
        try:
            reader = relation.to_arrow_reader(BATCH_ROWS)
        except (duckdb.Error, OSError, pa.ArrowException) as exc:
            raise self._translate(exc) from None
        fields = [
            typed_field(field.with_name(name), type_name, is_json=type_name == "JSON")
            for field, name, type_name in zip(reader.schema, names, types, strict=True)
        ]
        self.schema = pa.schema(fields)
        return reader

    def _translate(self, exc: BaseException) -> Exception:
        if self._cancelled.is_set() or isinstance(exc, duckdb.InterruptException):
            return Cancelled("query cancelled")
        message = _message(exc)
        line, column = error_position(message, self._sql)
        return SqlError(message, line=line, column=column)

    def batches(self) -> Iterator[pa.RecordBatch]:
        if self._cancelled.is_set():
            raise Cancelled("query cancelled")
        self._reader = self._open()
        if self._reader is None:
            return
        while True:
            if self._cancelled.is_set():
                raise Cancelled("query cancelled")
            try:
                batch = self._reader.read_next_batch()
            except StopIteration:
                return
            except (duckdb.Error, OSError, pa.ArrowException) as exc:
                raise self._translate(exc) from None
            if batch.num_rows:
                yield pa.RecordBatch.from_arrays(batch.columns, schema=self.schema)

    def cancel(self) -> None:
        self._cancelled.set()
        try:
            self._cursor.interrupt()
        except duckdb.Error:  # already closed
            pass

    def close(self) -> None:
        try:
            self._cursor.close()
        except duckdb.Error:
            pass


class DuckDBEngine(Engine):
    """DuckDB over a database file (read-only unless ``allow_writes``) or in memory.

    An in-memory database starts empty but reads Parquet, CSV and JSON files by path in SQL
    (``SELECT * FROM 'events.parquet'``).
    """

    name = "duckdb"
    param_style = "dollar"

    def __init__(self, path: str | Path | None = None, *, allow_writes: bool = False, threads: int | None = None):
        self.path = str(path) if path else None
        self.read_only = bool(self.path) and not allow_writes
        config: dict[str, Any] = {}
        if threads:
            config["threads"] = threads
        try:
            self._con = duckdb.connect(self.path or ":memory:", read_only=self.read_only, config=config)
        except duckdb.Error as exc:
            raise SqlError(f"cannot open DuckDB database {self.path}: {_message(exc)}") from None
        self._lock = threading.Lock()

    def describe(self) -> str:
        if not self.path:
            return "duckdb (in-memory)"
        return f"duckdb {self.path}{' (read-only)' if self.read_only else ''}"

    def create_file_view(self, name: str, path: Path) -> None:
        """Expose a Parquet/CSV/JSON file as view ``name`` (for ``folio data.parquet``)."""
        literal = str(path.resolve()).replace("'", "''")
        try:
            self._con.execute(f"CREATE OR REPLACE VIEW \"{name}\" AS SELECT * FROM '{literal}'")
        except duckdb.Error as exc:
            raise SqlError(f"cannot read {path}: {_message(exc)}") from None

    def start(self, sql: str, params: Mapping[str, Any]) -> Execution:
        text, values = sqlparams.bind(sql, params, self.param_style)
        with self._lock:  # cursor() on the shared connection is not thread-safe
            cursor = self._con.cursor()
        try:
            relation = cursor.sql(text, params=values or None)
            return DuckDBExecution(cursor, relation, text)
        except duckdb.Error as exc:
            cursor.close()
            message = _message(exc)
            line, column = error_position(message, text)
            raise SqlError(message, line=line, column=column) from None

    def check_syntax(self, sql: str) -> None:
        # DuckDB's own parser, without binding: a saved query may name tables that do not
        # exist yet, but it must be one statement DuckDB can read.
        text, _ = sqlparams.rewrite(sql, self.param_style)
        try:
            statements = duckdb.extract_statements(text)
        except duckdb.Error as exc:
            message = _message(exc)
            line, column = error_position(message, text)
            raise SqlError(message, line=line, column=column) from None
        if len(statements) != 1:
            raise SqlError(f"expected one SQL statement, found {len(statements)}")

    def close(self) -> None:
        self._con.close()
