"""SQLite through the standard library's ``sqlite3``, streamed in bounded Arrow batches.

How a statement runs
--------------------
* Each query opens its own connection: SQLite connections are cheap, and nothing is shared
  between queries, so there is nothing to lock. The file is opened read-only (``mode=ro`` URI,
  plus ``PRAGMA query_only``, and an authorizer that allows only reading, which also refuses
  ``ATTACH`` and ``VACUUM INTO``, which would otherwise create or write another file) unless
  ``allow_writes`` (then ``mode=rw``, each statement committing on its own).
* Unless ``allow_writes``, only reading statements run: the first keyword must be one of
  ``SELECT``/``WITH``/``VALUES``/``EXPLAIN``/``PRAGMA`` and compiling the statement must ask the
  authorizer for nothing but reads (so ``WITH … INSERT`` or ``PRAGMA user_version = 3`` is
  refused by kind, as :class:`~tui.engines.statements.StatementNotAllowed`).
* :meth:`SQLiteEngine.start` compiles the statement with ``EXPLAIN`` (which prepares it without
  running it), so syntax and name errors come back before the first row. The statement runs
  when :meth:`SQLiteExecution.batches` starts, on the query's own thread, and rows are pulled
  with ``fetchmany`` in batches of at most :data:`BATCH_ROWS` rows and about
  :data:`BATCH_BYTES` bytes.
* Cancel calls ``interrupt()`` (safe from any thread) for an immediate stop, and a progress
  handler checks the cancel flag every few thousand VM steps, which also catches a cancel that
  arrives just before the statement starts (``interrupt()`` is a no-op when nothing runs).
* ``:name`` parameters are sqlite3's own syntax; :func:`tui.engines.params.bind` still checks
  that every one has a value, so a missing one is a :class:`ParameterError`.
* SQLite reports no error position. When the message names a token (``near "X": syntax
  error``, ``no such column: X``) and ``X`` occurs exactly once in the statement, its line and
  column are given; otherwise none.

Types
-----
SQLite is dynamically typed: a column's declared type is only an affinity, and any value can
sit in any column. The rule, per column:

1. The declared type (for result columns that are plain table columns; found by compiling the
   query as a temporary view and reading ``PRAGMA table_info``) is the type name shown in
   ``column_fields``; other columns show the storage class chosen below (``INTEGER``, ``REAL``,
   ``TEXT``, ``BLOB``).
2. The Arrow type comes from the non-NULL values of the first batch: only integers → ``int64``;
   reals (with or without integers) → ``float64``; only text → ``string``; only blobs →
   ``binary``; a mix of text and numbers → ``string``. Integers in a column declared with a
   real or decimal affinity (``REAL``, ``FLOAT``, ``DOUBLE``, ``DECIMAL``, ``NUMERIC``) →
   ``float64``, because SQLite stores ``10.0`` there as the integer ``10``.
3. A first batch with only NULLs takes the declared type (``INT`` → ``int64``; real or decimal
   as above → ``float64``; ``BLOB`` → ``binary``; anything else → ``string``).
4. A later value that does not fit is converted when nothing is lost (an integer into a
   ``float64`` column, an integral real into ``int64``, a number into ``string``, UTF-8 blob
   into ``string``); otherwise the query fails with a message that names the column and
   suggests a ``CAST``.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from tui.engines import params as sqlparams
from tui.engines.base import Cancelled, Engine, Execution, SqlError, typed_field
from tui.engines.statements import StatementNotAllowed

#: most rows per Arrow batch (the store re-chunks them anyway)
BATCH_ROWS = 8192
#: aim for batches of about this many bytes: wide rows get fewer rows per fetch
BATCH_BYTES = 8 * 1024 * 1024
#: rows in the first fetch, before the row width is known
FIRST_FETCH_ROWS = 128
#: VM instructions between two looks at the cancel flag
PROGRESS_STEPS = 10_000
#: how long a statement waits for another process's write lock
BUSY_TIMEOUT_SECONDS = 5.0

_ROWS_KEYWORDS = frozenset({"select", "with", "values"})
_LEAD = re.compile(r"(?:\s+|--[^\n]*(?:\n|$)|/\*.*?(?:\*/|$)|\()*", re.S)
_WORD = re.compile(r"[A-Za-z_]+")
#: SQLite messages that name the offending token
_TOKEN = re.compile(r'near "(.+?)": syntax error|no such (?:column|table|function): (\S+)')
_MAX_EXACT_INT_IN_FLOAT = 2**53


def first_keyword(sql: str) -> str:
    """The statement's first word, lower-cased, past whitespace, comments and parentheses."""
    match = _WORD.match(sql, _LEAD.match(sql).end())  # type: ignore[union-attr]
    return match.group(0).lower() if match else ""


# --------------------------------------------------------------------------------------------
# Types
# --------------------------------------------------------------------------------------------

_STORAGE_NAMES = {pa.int64(): "INTEGER", pa.float64(): "REAL", pa.string(): "TEXT", pa.binary(): "BLOB"}


def _affinity(declared: str) -> str:
    """SQLite's affinity rules (https://sqlite.org/datatype3.html, section 3.1)."""
    upper = declared.upper()
    if "INT" in upper:
        return "INTEGER"
    if any(word in upper for word in ("CHAR", "CLOB", "TEXT")):
        return "TEXT"
    if "BLOB" in upper or not upper:
        return "BLOB"
    if any(word in upper for word in ("REAL", "FLOA", "DOUB")):
        return "REAL"
    return "NUMERIC"


def _prefers_float(declared: str) -> bool:
    upper = declared.upper()
    return _affinity(declared) == "REAL" or any(word in upper for word in ("DEC", "NUM"))


def _infer(values: Sequence[Any], declared: str) -> pa.DataType:
    kinds = {type(v) for v in values if v is not None}
    if not kinds:
        if _affinity(declared) == "INTEGER":
            return pa.int64()
        if _prefers_float(declared):
            return pa.float64()
        return pa.binary() if "BLOB" in declared.upper() else pa.string()
    if kinds == {int}:
        return pa.float64() if _prefers_float(declared) else pa.int64()
    if kinds <= {int, float}:
        return pa.float64()
    if kinds == {bytes}:
        return pa.binary()
    return pa.string()


@dataclass(frozen=True, slots=True)
class _Column:
    name: str
    type_name: str
    arrow: pa.DataType

    def field(self) -> pa.Field:
        return typed_field(pa.field(self.name, self.arrow), self.type_name)

    def to_array(self, values: Sequence[Any], first_row: int) -> pa.Array:
        try:
            return pa.array(values, type=self.arrow)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError):
            converted = [self._convert(v, first_row + i) for i, v in enumerate(values)]
            return pa.array(converted, type=self.arrow)

    def _convert(self, value: Any, row: int) -> Any:
        """``value`` in this column's type when nothing is lost, else a clear error."""
        if value is None:
            return None
        arrow = self.arrow
        if arrow == pa.float64() and isinstance(value, int) and abs(value) <= _MAX_EXACT_INT_IN_FLOAT:
            return float(value)
        if arrow == pa.int64() and isinstance(value, float) and value.is_integer():
            return int(value)
        if arrow == pa.string() and isinstance(value, int | float):
            return str(value)
        if arrow == pa.string() and isinstance(value, bytes):
            try:
                return value.decode("utf-8")
            except UnicodeDecodeError:
                pass
        if (arrow == pa.string() and isinstance(value, str)) or (arrow == pa.binary() and isinstance(value, bytes)):
            return value
        kind = {int: "INTEGER", float: "REAL", str: "TEXT", bytes: "BLOB"}.get(type(value), type(value).__name__)
        cast = {pa.int64(): "INTEGER", pa.float64(): "REAL", pa.binary(): "BLOB"}.get(arrow, "TEXT")
        raise SqlError(
            f"column {self.name!r} holds {_STORAGE_NAMES.get(arrow, str(arrow))} values in its first rows but "
            f"a {kind} value ({value!r:.40}) in row {row + 1}; SQLite columns are dynamically typed, so "
            f"CAST it in the query, e.g. CAST({self.name} AS {cast}) or CAST({self.name} AS TEXT)"
        )


def _columns(names: Sequence[str], declared: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> list[_Column]:
    by_column = list(zip(*rows, strict=True)) if rows else [()] * len(names)
    out = []
    for name, decl, values in zip(names, declared, by_column, strict=True):
        arrow = _infer(values, decl)
        out.append(_Column(name, decl or _STORAGE_NAMES[arrow], arrow))
    return out


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


def sql_error(exc: sqlite3.Error, sql: str) -> SqlError:
    message = str(exc).strip() or type(exc).__name__
    line = column = None
    named = _TOKEN.search(message)
    if named:
        token = named.group(1) or named.group(2)
        boundary = r"\b" if token[:1].isalnum() or token[:1] == "_" else ""
        hits = [m.start() for m in re.finditer(boundary + re.escape(token) + (r"\b" if boundary else ""), sql)]
        if len(hits) == 1:
            offset = hits[0]
            line = sql.count("\n", 0, offset) + 1
            column = offset - (sql.rfind("\n", 0, offset) + 1) + 1
    return SqlError(message, line=line, column=column)


# --------------------------------------------------------------------------------------------
# Execution and engine
# --------------------------------------------------------------------------------------------


class SQLiteExecution(Execution):
    """One statement on its own connection; it runs when :meth:`batches` starts."""

    def __init__(
        self,
        engine: SQLiteEngine,
        conn: sqlite3.Connection,
        text: str,
        values: dict[str, Any],
        declared: list[str] | None,
    ):
        self._engine = engine
        self._conn = conn
        self._text = text
        self._values = values
        self._declared = declared
        self._cancelled = threading.Event()
        self._closed = False
        self._lock = threading.Lock()  # cancel() against close()
        self.schema = pa.schema([])  # known once the statement produced its first rows
        conn.set_progress_handler(self._progress, PROGRESS_STEPS)

    def _progress(self) -> int:
        return 1 if self._cancelled.is_set() else 0  # non-zero aborts the statement

    def _translate(self, exc: sqlite3.Error) -> Exception:
        if self._cancelled.is_set():
            return Cancelled("query cancelled")
        return sql_error(exc, self._text)

    def batches(self) -> Iterator[pa.RecordBatch]:
        if self._cancelled.is_set():
            raise Cancelled("query cancelled")
        try:
            cursor = self._conn.execute(self._text, self._values)  # runs up to the first row
            description = cursor.description
            if description is None:  # no rows (INSERT, CREATE …): it already ran
                return
            fetch = min(FIRST_FETCH_ROWS, self._engine.batch_rows)
            rows = cursor.fetchmany(fetch)
        except sqlite3.Error as exc:
            raise self._translate(exc) from None
        names = [d[0] for d in description]
        declared = self._declared if self._declared and len(self._declared) == len(names) else [""] * len(names)
        columns = _columns(names, declared, rows)
        self.schema = pa.schema([c.field() for c in columns])
        seen = 0
        while rows:
            arrays = [c.to_array(v, seen) for c, v in zip(columns, zip(*rows, strict=True), strict=True)]
            batch = pa.RecordBatch.from_arrays(arrays, schema=self.schema)
            seen += batch.num_rows
            yield batch
            if len(rows) < fetch:
                return
            if batch.nbytes:  # size the next fetch so a batch stays near BATCH_BYTES
                per_row = batch.nbytes / batch.num_rows
                fetch = max(1, min(self._engine.batch_rows, int(self._engine.batch_bytes / per_row)))
            if self._cancelled.is_set():
                raise Cancelled("query cancelled")
            try:
                rows = cursor.fetchmany(fetch)
            except sqlite3.Error as exc:
                raise self._translate(exc) from None

    def cancel(self) -> None:
        with self._lock:
            self._cancelled.set()
            if not self._closed:
                self._conn.interrupt()

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._conn.close()


class SQLiteEngine(Engine):
    """A SQLite database file, read-only unless ``allow_writes``."""

    name = "sqlite"
    param_style = "colon"

    def __init__(
        self,
        path: str | Path,
        *,
        allow_writes: bool = False,
        batch_rows: int = BATCH_ROWS,
        batch_bytes: int = BATCH_BYTES,
    ):
        from tui.engines import SourceError  # the package imports this module lazily

        self.path = Path(path).expanduser().resolve()
        self.allow_writes = allow_writes
        self.read_only = not allow_writes
        self.batch_rows = batch_rows
        self.batch_bytes = batch_bytes
        try:
            conn = self._connect()
            try:
                conn.execute("PRAGMA schema_version").fetchone()  # reads the header: is it SQLite?
            finally:
                conn.close()
        except sqlite3.Error as exc:
            raise SourceError(f"cannot open SQLite database {path}: {exc}") from None

    def _connect(self) -> sqlite3.Connection:
        mode = "ro" if self.read_only else "rw"
        # check_same_thread=False: start() and batches() may run on different threads (never at
        # the same time), and cancel() calls interrupt(), which SQLite allows from any thread.
        return sqlite3.connect(
            f"{self.path.as_uri()}?mode={mode}",
            uri=True,
            check_same_thread=False,
            isolation_level=None,  # autocommit: each statement commits on its own
            timeout=BUSY_TIMEOUT_SECONDS,
        )

    def check(self, sql: str) -> str:
        """The statement's kind, checked by compiling it (``EXPLAIN``) with SQLite's authorizer
        watching; it never runs, and nothing is written."""
        try:
            conn = self._connect()
        except sqlite3.Error as exc:
            raise SqlError(f"cannot open SQLite database {self.path}: {exc}") from None
        try:
            values = {name: None for name in sqlparams.rewrite(sql, self.param_style)[1]}
            return self._classify(conn, sql, values)
        finally:
            conn.close()

    def _classify(self, conn: sqlite3.Connection, text: str, values: Mapping[str, Any]) -> str:
        """Compile ``text`` on ``conn`` without running it: its kind, :class:`SqlError`, or
        :class:`StatementNotAllowed` when writes are not allowed and it would write."""
        keyword = first_keyword(text)
        kind = keyword.upper()
        guard = _ReadOnlyGuard() if not self.allow_writes else None
        if guard is not None:
            conn.set_authorizer(guard)
        try:
            if keyword != "explain":  # EXPLAIN EXPLAIN is not valid SQL
                conn.execute("EXPLAIN " + text, values).close()  # compiles without running
        except sqlite3.Error as exc:
            if guard is not None and guard.refused:
                # name what the user wrote; for WITH … INSERT or PRAGMA x = …, what it would do
                raise StatementNotAllowed(guard.refused if keyword in _READING_KEYWORDS else kind) from None
            raise sql_error(exc, text) from None
        finally:
            if guard is not None:
                conn.set_authorizer(None)
        if not keyword:
            raise SqlError("the query is empty: there is no statement to run")
        if not self.allow_writes and keyword not in _READING_KEYWORDS:
            raise StatementNotAllowed(kind)  # it compiles; VACUUM and REINDEX ask the authorizer nothing
        return kind

    def start(self, sql: str, params: Mapping[str, Any]) -> Execution:
        text, values = sqlparams.bind(sql, params, self.param_style)
        try:
            conn = self._connect()
        except sqlite3.Error as exc:
            raise SqlError(f"cannot open SQLite database {self.path}: {exc}") from None
        try:
            self._classify(conn, text, values)
            keyword = first_keyword(text)
            declared = _declared_types(conn, sql) if keyword in _ROWS_KEYWORDS else None
            if self.read_only:
                conn.execute("PRAGMA query_only = ON")
                conn.set_authorizer(_ReadOnlyGuard())
        except sqlite3.Error as exc:
            conn.close()
            raise sql_error(exc, text) from None
        except BaseException:
            conn.close()
            raise
        return SQLiteExecution(self, conn, text, values, declared)

    def describe(self) -> str:
        return f"sqlite {self.path}{' (read-only)' if self.read_only else ''}"


#: first keywords of statements that may only read (the authorizer checks what they do)
_READING_KEYWORDS = frozenset({"select", "with", "values", "explain", "pragma"})
#: what a reading statement may do, as SQLite's authorizer reports it
_READING_ACTIONS = frozenset(
    {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}
)
#: PRAGMAs that only report, given a table or index name or nothing
_NAMED_PRAGMAS = frozenset(
    {
        "table_info",
        "table_xinfo",
        "table_list",
        "index_list",
        "index_info",
        "index_xinfo",
        "foreign_key_list",
        "foreign_key_check",
        "integrity_check",
        "quick_check",
    }
)
#: PRAGMAs that only report when given no value (with one they change the database)
_REPORTING_PRAGMAS = frozenset(
    {
        "database_list",
        "collation_list",
        "function_list",
        "module_list",
        "pragma_list",
        "compile_options",
        "schema_version",
        "user_version",
        "application_id",
        "page_count",
        "page_size",
        "freelist_count",
        "encoding",
        "data_version",
    }
)
#: the schema tables SQLite itself "updates" while it compiles a pragma table-valued function
_SCHEMA_TABLES = frozenset({"sqlite_master", "sqlite_temp_master", "sqlite_schema", "sqlite_temp_schema"})
_WRITE_KINDS = {sqlite3.SQLITE_INSERT: "INSERT", sqlite3.SQLITE_UPDATE: "UPDATE", sqlite3.SQLITE_DELETE: "DELETE"}


class _ReadOnlyGuard:
    """Authorizer of read-only connections: anything but reading is denied, and the first thing
    denied is kept (``refused``) to name the statement kind. ``mode=ro`` covers only the main
    file; ``ATTACH`` (or ``VACUUM INTO``) would create or open another file read-write, and a
    temporary table lives outside it, so neither is left to ``mode=ro``."""

    def __init__(self) -> None:
        self.refused: str | None = None

    def __call__(self, action: int, arg1: str | None, arg2: str | None, *_: object) -> int:
        if action in _READING_ACTIONS:
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_PRAGMA and arg1 is not None:
            name = arg1.lower()
            if name in _NAMED_PRAGMAS or (name in _REPORTING_PRAGMAS and arg2 is None):
                return sqlite3.SQLITE_OK
        if action in _WRITE_KINDS and arg1 in _SCHEMA_TABLES:
            return sqlite3.SQLITE_OK  # SQLite's own bookkeeping; user writes there never compile
        if self.refused is None:
            self.refused = _WRITE_KINDS.get(action) or {
                sqlite3.SQLITE_ATTACH: "ATTACH",
                sqlite3.SQLITE_DETACH: "DETACH",
                sqlite3.SQLITE_PRAGMA: "PRAGMA",
                sqlite3.SQLITE_TRANSACTION: "TRANSACTION",
                sqlite3.SQLITE_SAVEPOINT: "SAVEPOINT",
                sqlite3.SQLITE_ANALYZE: "ANALYZE",
                sqlite3.SQLITE_REINDEX: "REINDEX",
                sqlite3.SQLITE_ALTER_TABLE: "ALTER",
            }.get(action, "CREATE or DROP")
        return sqlite3.SQLITE_DENY


def _declared_types(conn: sqlite3.Connection, sql: str) -> list[str] | None:
    """The declared type of each result column ('' for expressions), or ``None`` if unknown.

    A temporary view over the query has the declared types of the table columns it selects;
    parameters are not allowed in a view, so each one is replaced by NULL for this probe.
    """
    pyformat, names = sqlparams.rewrite(sql, "pyformat")
    probe_sql = pyformat % {name: "NULL" for name in names}
    view = f"folio_probe_{uuid.uuid4().hex[:12]}"
    try:
        conn.execute(f'CREATE TEMP VIEW "{view}" AS {probe_sql}')
        try:
            return [str(row[2]) for row in conn.execute(f'PRAGMA temp.table_info("{view}")')]
        finally:
            conn.execute(f'DROP VIEW temp."{view}"')
    except (sqlite3.Error, ValueError, TypeError):
        return None  # not expressible as a view; types come from the values alone
