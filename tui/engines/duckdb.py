"""DuckDB, the embedded default engine.

One database connection per engine; each query runs on its own cursor (a DuckDB connection
to the same database), so queries run concurrently and ``interrupt()`` stops exactly one.
Results stream through DuckDB's Arrow reader, never materialised in full. The database is
sandboxed (:func:`sandbox`) before any user SQL runs.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import pyarrow as pa

from tui.engines import params as sqlparams
from tui.engines.base import Cancelled, Engine, Execution, SqlError, typed_field
from tui.engines.duckdb_types import arrow_type, lossless, restore
from tui.engines.statements import StatementNotAllowed, explained, keyword_kind

#: rows per Arrow batch pulled from DuckDB (the store re-chunks them)
BATCH_ROWS = 8192
#: how often cancel repeats DuckDB's interrupt while the call it targets still runs
_INTERRUPT_RETRY_SECONDS = 0.05

T = TypeVar("T")

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


#: what DuckDB appends to an internal error (its native stack, with the server's paths) and to a
#: failure of a Python stream it read (the Python traceback): for the operator's log, not a client
_TRACE = re.compile(r"\s*(?:Detail: Python exception:\s*)?(?:Stack Trace:|Traceback \(most recent call last\)).*", re.S)


def error_message(exc: BaseException) -> str:
    """DuckDB's message for ``exc``, without the stack or traceback it may carry."""
    return _TRACE.sub("", str(exc)).strip() or type(exc).__name__


def invalidated(exc: BaseException) -> bool:
    """DuckDB gave up on the whole database after an internal error: every later statement on
    any of its connections fails the same way until it is opened again."""
    # an internal error may or may not have invalidated it; opening it again costs a moment
    internal = (duckdb.FatalException, duckdb.InternalException)
    return isinstance(exc, internal) or "database has been invalidated" in str(exc)


class DuckDBExecution(Execution):
    """One statement on its own cursor. Nothing runs until :meth:`batches`: binding (which may
    read a file's metadata or sniff a CSV), a statement without rows, and the query itself all
    run there, on the query's own thread, while :meth:`cancel` can reach them."""

    def __init__(self, cursor: duckdb.DuckDBPyConnection, sql: str, values: dict[str, Any] | None):
        self._cursor = cursor
        self._sql = sql
        self._values = values
        self._cancelled = threading.Event()
        # `_busy` is set while a DuckDB call runs on the query's thread; `_lock` orders it
        # against cancel() and close()
        self._lock = threading.Lock()
        self._idle = threading.Event()
        self._idle.set()
        self._closed = False
        self._reader: pa.RecordBatchReader | None = None
        #: called when an internal error invalidated the database (its engine opens it again)
        self.on_invalidated: Callable[[], None] = lambda: None
        self.schema = pa.schema([])
        self._types: list[str] = []

    def register(self, name: str, data: Any) -> None:
        """Make ``data`` (an Arrow table, dataset or record batch reader) a table ``name`` for
        this statement only: it lives on the statement's cursor, which no other query sees.
        Call before :meth:`batches`; the sandbox allows it (it is not a file)."""
        try:
            self._cursor.register(name, data)
        except duckdb.Error as exc:
            raise SqlError(f"cannot register {name!r}: {error_message(exc)}") from None

    def _call(self, call: Callable[[], T]) -> T:
        """Run one DuckDB call, interruptible by :meth:`cancel`, with errors translated."""
        with self._lock:
            if self._cancelled.is_set():
                raise Cancelled("query cancelled")
            self._idle.clear()
        try:
            return call()
        except (duckdb.Error, OSError, pa.ArrowException) as exc:
            raise self._translate(exc) from None
        finally:
            with self._lock:
                self._idle.set()

    def _open(self) -> pa.RecordBatchReader | None:
        relation = self._call(lambda: self._cursor.sql(self._sql, params=self._values or None))
        if relation is None:  # a statement without rows (CREATE …, with --allow-writes): it ran
            return None
        names, types = relation.columns, [str(t) for t in relation.types]
        reader = self._call(lambda: lossless(relation, types).to_arrow_reader(BATCH_ROWS))
        fields = [
            typed_field(
                field.with_name(name).with_type(arrow_type(type_name, field.type)),
                type_name,
                is_json=type_name == "JSON",
            )
            for field, name, type_name in zip(reader.schema, names, types, strict=True)
        ]
        self.schema = pa.schema(fields)
        self._types = types
        return reader

    def _translate(self, exc: BaseException) -> Exception:
        if self._cancelled.is_set() or isinstance(exc, duckdb.InterruptException):
            return Cancelled("query cancelled")
        if invalidated(exc):
            self.on_invalidated()
        message = error_message(exc)
        line, column = error_position(message, self._sql)
        if isinstance(exc, duckdb.OutOfMemoryException):
            # DuckDB's own advice is about settings a key holder cannot change (the sandbox
            # locks them); say what can
            try:
                limit = str(self._cursor.execute("SELECT current_setting('memory_limit')").fetchone()[0])
            except (duckdb.Error, TypeError):
                limit = "a bounded amount of"
            message = (
                f"{message.splitlines()[0]} — this DuckDB may use {limit} memory, which the operator "
                "sets (the app: FOLIO_DUCKDB_MEMORY_LIMIT=1GB folio …); or sort and filter the stored "
                "result instead (in the app: s sort, \\ filter)"
            )
        return SqlError(message, line=line, column=column)

    def batches(self) -> Iterator[pa.RecordBatch]:
        self._reader = self._open()
        if self._reader is None:
            return
        reader = self._reader
        while True:
            try:
                batch = self._call(reader.read_next_batch)
            except StopIteration:
                return
            if batch.num_rows:
                columns = [restore(column, name) for column, name in zip(batch.columns, self._types, strict=True)]
                yield pa.RecordBatch.from_arrays(columns, schema=self.schema)

    def cancel(self) -> None:
        with self._lock:
            if self._closed or self._cancelled.is_set():
                return
            self._cancelled.set()
        threading.Thread(target=self._interrupt_loop, name="folio-duckdb-cancel", daemon=True).start()

    def _interrupt_loop(self) -> None:
        """Interrupt until the running call returns: ``interrupt()`` is lost when it arrives
        just before DuckDB starts the query, so one attempt is not enough."""
        while True:
            with self._lock:
                if self._closed or self._idle.is_set():
                    return  # nothing running: the next call sees the flag instead
                try:
                    self._cursor.interrupt()
                except duckdb.Error:
                    return
            if self._idle.wait(_INTERRUPT_RETRY_SECONDS):
                return

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        try:
            self._cursor.close()  # temporary objects of the query end with its cursor
        except duckdb.Error:
            pass


def _create_file_view(con: duckdb.DuckDBPyConnection, name: str, path: Path) -> None:
    literal = str(path.resolve()).replace("'", "''")
    try:
        con.execute(f"CREATE OR REPLACE VIEW \"{name}\" AS SELECT * FROM '{literal}'")
    except duckdb.Error as exc:
        raise SqlError(f"cannot read {path}: {error_message(exc)}") from None


class DuckDBEngine(Engine):
    """DuckDB over a database file (read-only unless ``allow_writes``) or in memory.

    Every connection is sandboxed before any user SQL runs (:func:`sandbox`): no file access
    beyond ``allow_dirs`` and the source's own files, no extensions loaded or installed, and
    the configuration locked, so SQL cannot undo any of it. Unless ``allow_writes``, only
    statements that read run (:mod:`tui.engines.statements`), so the catalog (file views
    included) is read-only to SQL; a query's temporary objects live on its own cursor and end
    with it.

    An in-memory database starts empty and reads Parquet, CSV and JSON files by path in SQL
    (``SELECT * FROM 'events.parquet'``) inside ``allow_dirs``.
    """

    name = "duckdb"
    param_style = "dollar"

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        allow_writes: bool = False,
        threads: int | None = None,
        memory_limit: str | None = None,
        allow_dirs: Iterable[str | Path] = (),
        file_views: Mapping[str, str | Path] | None = None,
    ):
        self.path = str(path) if path else None
        self.allow_writes = allow_writes
        self.read_only = bool(self.path) and not allow_writes
        self.allow_dirs = [_directory(d) for d in allow_dirs]
        views = {name: Path(p).expanduser().resolve() for name, p in (file_views or {}).items()}
        config: dict[str, Any] = {}
        if threads:
            config["threads"] = threads
        if memory_limit:
            # DuckDB's buffer pool keeps every block of the database it has read until it
            # reaches this (default 80 % of RAM), so a process that scans a large table grows
            # with the table; beyond it, sorts and joins spill to the temporary directory
            config["memory_limit"] = memory_limit
        self._config = config
        self._views = views
        self._lock = threading.Lock()
        self._con = self._connect()

    def _connect(self) -> duckdb.DuckDBPyConnection:
        try:
            con = duckdb.connect(self.path or ":memory:", read_only=self.read_only, config=self._config)
        except duckdb.Error as exc:
            raise SqlError(f"cannot open DuckDB database {self.path}: {error_message(exc)}") from None
        try:
            sandbox(con, self.allow_dirs, [str(p) for p in self._views.values()])
        except duckdb.Error as exc:
            con.close()
            raise SqlError(f"cannot sandbox DuckDB: {error_message(exc)}") from None
        for name, view_path in self._views.items():
            _create_file_view(con, name, view_path)
        return con

    def _reopen(self, failed: duckdb.DuckDBPyConnection) -> None:
        """Open the database again after an internal error invalidated it: DuckDB then refuses
        every statement, for every org, until it is. A database file loses nothing (an
        in-memory one was lost with the error). ``failed`` is the connection the error came
        from: a second report of the same failure does not reopen again."""
        with self._lock:
            if self._con is not failed:
                return
            logging.getLogger("folio.engine").error("DuckDB was invalidated by an internal error: opening it again")
            # closed first: DuckDB hands a database file's path the instance already open for it
            with contextlib.suppress(duckdb.Error):
                failed.close()
            try:
                self._con = self._connect()
            except SqlError as exc:  # said again by the next query, as it fails the same way
                logging.getLogger("folio.engine").error("%s", exc.message)

    def describe(self) -> str:
        if not self.path:
            return "duckdb (in-memory)"
        return f"duckdb {self.path}{' (read-only)' if self.read_only else ''}"

    def create_file_view(self, name: str, path: Path) -> None:
        """Expose a Parquet/CSV/JSON file as view ``name`` (for ``folio data.parquet``); the file
        must be allowed (``file_views`` of the constructor does both)."""
        _create_file_view(self._con, name, path)
        self._views[name] = path.resolve()  # made again if the database is opened again

    def check(self, sql: str) -> str:
        return check_statements(sql, allow_writes=self.allow_writes)

    def start(self, sql: str, params: Mapping[str, Any]) -> Execution:
        text, values = sqlparams.bind(sql, params, self.param_style)
        self.check(text)  # parse only: no database work before the execution exists
        with self._lock:  # cursor() on the shared connection is not thread-safe
            con = self._con
            cursor = con.cursor()
        execution = DuckDBExecution(cursor, text, values)
        execution.on_invalidated = lambda: self._reopen(con)
        return execution

    def check_syntax(self, sql: str) -> None:
        # DuckDB's own parser, without binding: a saved query may name tables that do not
        # exist yet, but it must be one statement DuckDB can read.
        text, _ = sqlparams.rewrite(sql, self.param_style)
        try:
            statements = duckdb.extract_statements(text)
        except duckdb.Error as exc:
            message = error_message(exc)
            line, column = error_position(message, text)
            raise SqlError(message, line=line, column=column) from None
        if len(statements) != 1:
            raise SqlError(f"expected one SQL statement, found {len(statements)}")

    def close(self) -> None:
        self._con.close()


def _directory(path: str | Path) -> str:
    """An allowed directory as DuckDB wants it: absolute, with a trailing separator (DuckDB
    matches prefixes, and ``/data`` must not allow ``/data-secret``)."""
    resolved = str(Path(path).expanduser().resolve())
    return resolved if resolved.endswith(os.sep) else resolved + os.sep


def sandbox(con: duckdb.DuckDBPyConnection, allow_dirs: Sequence[str], allow_paths: Sequence[str]) -> None:
    """Configure ``con``'s database before any user SQL: files only in ``allow_dirs`` and
    ``allow_paths``, no extension loading or installing, then the configuration locked (settings
    are per database, so every cursor inherits them and none can change them)."""

    def literal_list(items: Sequence[str]) -> str:
        return "[" + ", ".join("'" + item.replace("'", "''") + "'" for item in items) + "]"

    locked, external = con.execute(
        "SELECT current_setting('lock_configuration'), current_setting('enable_external_access')"
    ).fetchone()  # type: ignore[misc]
    if locked:
        # DuckDB shares one database per file within a process: a second engine over the same
        # file finds it already sandboxed (by the first engine's settings)
        if external:
            raise SqlError("this DuckDB database is open elsewhere in the process with its configuration locked open")
        return

    if allow_dirs:
        con.execute(f"SET allowed_directories = {literal_list(allow_dirs)}")
    if allow_paths:
        con.execute(f"SET allowed_paths = {literal_list(allow_paths)}")
    con.execute("SET enable_external_access = false")
    con.execute("SET autoinstall_known_extensions = false")
    con.execute("SET autoload_known_extensions = false")
    con.execute("SET allow_community_extensions = false")
    con.execute("SET lock_configuration = true")


#: DuckDB statement types that only read
_READING_TYPES = frozenset({"SELECT", "EXPLAIN", "PRAGMA"})
#: PRAGMAs that only report (``PRAGMA x = …`` and every other one may change settings or state)
_READING_PRAGMAS = frozenset(
    {
        "table_info",
        "show",
        "show_tables",
        "show_tables_expanded",
        "show_databases",
        "database_list",
        "database_size",
        "storage_info",
        "version",
        "platform",
        "functions",
        "collations",
        "metadata_info",
        "user_agent",
    }
)
_PRAGMA_NAME = re.compile(r"\s*pragma\s+([A-Za-z_]+)\s*(=)?", re.I)


def check_statements(sql: str, *, allow_writes: bool) -> str:
    """Classify every statement of ``sql`` with DuckDB's own parser; the last one's kind.

    Raises :class:`SqlError` when it does not parse and, unless ``allow_writes``,
    :class:`StatementNotAllowed` for any statement that is not a reading one.
    """
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        message = error_message(exc)
        line, column = error_position(message, sql)
        raise SqlError(message, line=line, column=column) from None
    if not statements:
        raise SqlError("the query is empty: there is no statement to run")
    kind = ""
    for statement in statements:
        kind = _kind(statement)
        if not allow_writes and not _reads(statement, kind):
            raise StatementNotAllowed(kind)
    return kind


def _kind(statement: Any) -> str:
    type_name = statement.type.name
    if type_name == "SELECT":
        return "SELECT"
    if type_name in ("LOAD", "SET", "CREATE", "VACUUM", "CALL", "MULTI", "EXPLAIN", "PRAGMA"):
        # several statements share a type (LOAD/INSTALL, SET/RESET/USE, VACUUM/ANALYZE …):
        # name the one written, so the message says what the user typed
        return keyword_kind(statement.query)
    return type_name.replace("_", " ")


def _reads(statement: Any, kind: str) -> bool:
    type_name = statement.type.name
    if type_name not in _READING_TYPES:
        return False
    if type_name == "EXPLAIN":  # EXPLAIN ANALYZE runs what it explains
        return _reads_only(explained(statement.query))
    if type_name == "PRAGMA":
        match = _PRAGMA_NAME.match(statement.query)
        return bool(match) and match.group(2) is None and match.group(1).lower() in _READING_PRAGMAS
    return True


def _reads_only(sql: str) -> bool:
    """Does ``sql`` (what an EXPLAIN wraps) only read?"""
    try:
        check_statements(sql, allow_writes=False)
    except (SqlError, StatementNotAllowed):
        return False
    return True
