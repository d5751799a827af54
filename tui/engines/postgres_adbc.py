"""PostgreSQL rows straight into Arrow: the ADBC path of the PostgreSQL engine.

``adbc-driver-postgresql`` (Apache Arrow's own driver) runs a query as
``COPY (query) TO STDOUT (FORMAT binary)`` and decodes PostgreSQL's binary rows into Arrow
record batches in C, so no value ever becomes a Python object: several times the rows per
second of psycopg's tuples (benchmarks/postgres_engines.py), in batches of bounded size.

What ADBC runs, and what stays with psycopg
-------------------------------------------
:class:`tui.engines.postgres.PostgresEngine` still plans every statement with psycopg first
(``DECLARE … CURSOR``): that reports syntax and name errors with their position in the user's
SQL, before any row, and gives the result's column types. The rows then come through ADBC
when :func:`eligible` says the columns and the statement allow it; otherwise through
psycopg's ``FETCH``, as before. psycopg keeps:

* **statements with parameters**: ADBC cannot put ``$1`` into ``COPY``, so a parameterised
  query runs as a prepared statement whose whole result the driver collects into one batch
  (measured: one 2M-row batch), which would break folio's bounded memory; and it types a
  ``str`` value as ``text`` where psycopg lets the server infer it (``date_col > :day``);
* **types ADBC does not give exactly**: arrays (a multi-dimensional array is silently
  flattened), ``interval`` (Arrow's month-day-nano, where folio serves PostgreSQL's ISO 8601
  text), ``oid`` (read as a signed int32), and every type ADBC passes on as opaque binary
  (``inet``, ranges, enums, records, ``timetz``, ``money`` …), which folio serves as
  PostgreSQL's text;
* **the plain statements** (``EXPLAIN``, ``SHOW``, a data-modifying ``WITH``), which ``COPY``
  cannot wrap.

Connections
-----------
A bounded pool of its own (:class:`AdbcPool`), sized like psycopg's. Each connection is opened
with ``default_transaction_read_only`` in its start-up options unless writes are allowed, so
every statement is a read-only transaction, and ``DISCARD ALL`` after each query (which
returns settings to those start-up values) cannot undo it; a connection that fails its reset
or its liveness check is closed, not reused. Cancel is ADBC's own (libpq's cancel request,
what ``pg_cancel_backend`` does), repeated until the read it targets has ended.
"""

from __future__ import annotations

import queue
import re
import threading
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from tui.engines.base import Cancelled, EngineError, Execution, SqlError

if TYPE_CHECKING:
    from tui.engines.postgres_types import ResultColumn

try:  # the driver is a dependency, but the engine still works (psycopg only) without it
    import adbc_driver_manager
    import adbc_driver_postgresql.dbapi as adbc_pg
except ImportError:  # pragma: no cover - exercised only on a broken install
    adbc_pg = None
    adbc_driver_manager = None

#: PostgreSQL types whose ADBC reading is exactly what folio serves (after :func:`_convert`)
ADBC_TYPES = frozenset(
    {
        "bool",
        "int2",
        "int4",
        "int8",
        "float4",
        "float8",
        "numeric",
        "text",
        "varchar",
        "bpchar",
        "name",
        "bytea",
        "date",
        "time",
        "timestamp",
        "timestamptz",
        "json",
        "jsonb",
        "uuid",
    }
)

_CANCEL_ATTEMPTS = 20
_CANCEL_RETRY_SECONDS = 0.25

#: the instants Python (and so folio's JSON) can show: years 1 to 9999
_MIN_US = -62135596800 * 1_000_000
_MAX_US = 253402300800 * 1_000_000 - 1
_MIN_DAY, _MAX_DAY = -719162, 2932896

_PG_ERROR = re.compile(r"ERROR:\s+(.*?)\s*(?:\n|$)")


def available() -> bool:
    return adbc_pg is not None


def eligible(sql: str, values: dict[str, Any], columns: Sequence[ResultColumn]) -> bool:
    """May this statement's rows come through ADBC? (See the module docstring.)"""
    if values or not columns or copy_text(sql) is None:
        return False
    return all(c.type_name in ADBC_TYPES for c in columns)


_DOLLAR_TAG = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")


def copy_text(sql: str) -> str | None:
    """``sql`` as ADBC may wrap it in ``COPY ( … )``: without trailing ``;`` and comments, and
    ending in a newline; ``None`` if it holds more than one statement (psycopg's ``DECLARE``
    has refused that already; this is the second line)."""
    i, n, end, after_semicolon = 0, len(sql), 0, False
    while i < n:
        ch = sql[i]
        if ch.isspace():
            i += 1
        elif sql.startswith("--", i):
            newline = sql.find("\n", i)
            i = n if newline < 0 else newline + 1
        elif sql.startswith("/*", i):
            close = sql.find("*/", i + 2)
            i = n if close < 0 else close + 2
        elif ch == ";":
            after_semicolon = True
            i += 1
        elif after_semicolon:
            return None
        elif ch in ("'", '"'):
            close = i + 1
            while close < n and not (sql[close] == ch and not sql.startswith(ch * 2, close)):
                close += 2 if sql.startswith(ch * 2, close) else 1
            i = end = close + 1
        elif ch == "$" and (tag := _DOLLAR_TAG.match(sql, i)):
            close = sql.find(tag.group(0), tag.end())
            i = end = n if close < 0 else close + len(tag.group(0))
        else:
            i = end = i + 1
    return sql[:end] + "\n"


def _message(exc: BaseException) -> str:
    """PostgreSQL's own message out of the driver's ``[libpq] … ERROR:  …. SQLSTATE: …``."""
    text = str(exc)
    match = _PG_ERROR.search(text)
    return match.group(1) if match else text.strip() or type(exc).__name__


# --------------------------------------------------------------------------------------------
# Values: ADBC's Arrow → the Arrow folio serves (the same as the psycopg path gives)
# --------------------------------------------------------------------------------------------


def _numeric_text(array: pa.Array) -> pa.Array:
    """ADBC writes numeric as its digits (exact, scale kept), but ``nan``/``inf`` where
    PostgreSQL writes ``NaN``/``Infinity``."""
    if isinstance(array.type, pa.ExtensionType) or isinstance(array, pa.ExtensionArray):
        array = array.storage
    array = array.cast(pa.string())
    for ours, theirs in (("nan", "NaN"), ("inf", "Infinity"), ("-inf", "-Infinity")):
        array = pc.if_else(pc.equal(array, ours), pa.scalar(theirs), array)
    return array


def _uuid_text(array: pa.Array) -> pa.Array:
    import uuid

    storage = array.storage if isinstance(array, pa.ExtensionArray) else array
    return pa.array([None if b is None else str(uuid.UUID(bytes=b)) for b in storage.to_pylist()], pa.string())


def _check_range(column: ResultColumn, array: pa.Array) -> None:
    """Fail like the psycopg path on values Python cannot hold (``infinity``, year 10000 …),
    which ADBC passes on as out-of-range integers."""
    if pa.types.is_timestamp(array.type):
        low, high = _MIN_US, _MAX_US
        numbers = array.cast(pa.int64())
    elif pa.types.is_date32(array.type):
        low, high = _MIN_DAY, _MAX_DAY
        numbers = array.cast(pa.int32())
    else:
        return
    bounds = pc.min_max(numbers)
    smallest, largest = bounds["min"].as_py(), bounds["max"].as_py()
    if smallest is not None and (smallest < low or largest > high):
        raise SqlError(
            f"column {column.name!r} ({column.type_name}) holds infinity or a date outside the years 1-9999, "
            "which folio cannot serve; cast it to text to read it"
        )


def _convert(column: ResultColumn, array: pa.Array) -> pa.Array:
    if column.type_name == "numeric":
        return _numeric_text(array)
    if column.type_name == "uuid":
        return _uuid_text(array)
    if isinstance(array, pa.ExtensionArray):
        array = array.storage
    _check_range(column, array)
    if array.type != column.arrow:
        array = array.cast(column.arrow)  # float4 → float64, large types → folio's
    return array


# --------------------------------------------------------------------------------------------
# Connections
# --------------------------------------------------------------------------------------------


class AdbcConnection:
    """One ADBC connection with the backend's process id (for cancel and pg_stat_activity)."""

    def __init__(self, conninfo: str):
        self.conn = adbc_pg.connect(conninfo, autocommit=True)
        self.cursor = self.conn.cursor()
        self.backend_pid = int(self._scalar("SELECT pg_backend_pid()"))
        self.broken = False

    def _scalar(self, sql: str) -> Any:
        self.cursor.execute(sql)
        return self.cursor.fetch_arrow_table().column(0)[0].as_py()

    def alive(self) -> bool:
        try:
            return self._scalar("SELECT 1") == 1
        except adbc_driver_manager.Error:
            return False

    def reset(self) -> None:
        """Nothing of one query may reach the next (another org's, perhaps)."""
        self.cursor.execute("DISCARD ALL")

    def close(self) -> None:
        for thing in (self.cursor, self.conn):
            try:
                thing.close()
            except Exception:  # a connection the server already dropped
                pass


class AdbcPool:
    """At most ``size`` ADBC connections, opened when needed, checked before they are handed
    out and reset when they come back."""

    def __init__(self, conninfo: str, size: int):
        self._conninfo = conninfo
        self._idle: queue.LifoQueue[AdbcConnection] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(size)
        self.size = size

    def get(self, timeout: float) -> AdbcConnection:
        if not self._slots.acquire(timeout=timeout):
            raise EngineError(f"all {self.size} PostgreSQL connections are busy; try again later")
        try:
            while True:
                try:
                    conn = self._idle.get_nowait()
                except queue.Empty:
                    return AdbcConnection(self._conninfo)
                if conn.alive():
                    return conn
                conn.close()  # killed by the server while idle: replace it
        except adbc_driver_manager.Error as exc:
            self._slots.release()
            raise EngineError(f"cannot connect to PostgreSQL: {_message(exc)}") from None
        except BaseException:
            self._slots.release()
            raise

    def put(self, conn: AdbcConnection) -> None:
        try:
            if conn.broken:
                conn.close()
            else:
                try:
                    conn.reset()
                    self._idle.put(conn)
                except adbc_driver_manager.Error:
                    conn.close()
        finally:
            self._slots.release()

    def close(self) -> None:
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return


# --------------------------------------------------------------------------------------------
# Execution
# --------------------------------------------------------------------------------------------


class AdbcExecution(Execution):
    """One query streamed by ADBC on one pooled connection, returned by :meth:`close`."""

    def __init__(
        self,
        pool: AdbcPool,
        conn: AdbcConnection,
        sql: str,
        columns: list[ResultColumn],
        *,
        batch_rows: int,
        batch_bytes: int,
    ):
        self._pool = pool
        self._conn = conn
        self._sql = copy_text(sql) or sql
        self._columns = columns
        self._batch_rows = batch_rows
        self._batch_bytes = batch_bytes
        self.schema = pa.schema([c.field() for c in columns])
        self.backend_pid = conn.backend_pid
        self._lock = threading.Lock()
        self._cancelled = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._closed = False
        #: no COPY is open on the connection (none started, or it ran to its end or its error)
        self._ended = True

    def batches(self) -> Iterator[pa.RecordBatch]:
        cursor = self._conn.cursor
        with self._lock:
            if self._cancelled.is_set():
                raise Cancelled("query cancelled")
            self._idle.clear()
        try:
            cursor.adbc_statement.set_options(**{"adbc.postgresql.batch_size_hint_bytes": str(self._batch_bytes)})
            self._ended = False
            cursor.execute(self._sql)
            reader = cursor.fetch_record_batch()
            for batch in reader:
                if self._cancelled.is_set():
                    raise Cancelled("query cancelled")
                yield from self._pieces(batch)
            self._ended = True
        except (adbc_driver_manager.Error, pa.ArrowException, OSError) as exc:  # errors mid-stream are OSError
            self._ended = True
            self._conn.broken = not self._conn.alive()
            if self._cancelled.is_set():
                raise Cancelled("query cancelled") from None
            raise SqlError(_message(exc)) from None
        finally:
            with self._lock:
                self._idle.set()

    def _pieces(self, batch: pa.RecordBatch) -> Iterator[pa.RecordBatch]:
        """``batch`` as folio's batches: its columns converted, sliced (without copying) into
        at most ``batch_rows`` rows and about ``batch_bytes`` bytes."""
        if not batch.num_rows:
            return
        arrays = [_convert(col, batch.column(i)) for i, col in enumerate(self._columns)]
        converted = pa.RecordBatch.from_arrays(arrays, schema=self.schema)
        per_row = max(1, converted.nbytes // converted.num_rows)
        step = max(1, min(self._batch_rows, self._batch_bytes // per_row))
        for start in range(0, converted.num_rows, step):
            yield converted.slice(start, step)

    def cancel(self) -> None:
        with self._lock:
            if self._closed or self._cancelled.is_set():
                return
            self._cancelled.set()
        threading.Thread(target=self._cancel_loop, name="folio-pg-adbc-cancel", daemon=True).start()

    def _cancel_loop(self) -> None:
        # A cancel request that reaches the server before COPY starts is ignored, so it is
        # repeated while the read is running; never after close() (the connection's next user).
        for _ in range(_CANCEL_ATTEMPTS):
            with self._lock:
                if self._closed or self._idle.is_set():
                    return
                try:
                    self._conn.cursor.adbc_cancel()
                except adbc_driver_manager.Error:
                    pass  # nothing running yet, or the server is gone
            if self._idle.wait(_CANCEL_RETRY_SECONDS):
                return

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        if not self._ended:  # the reader stopped mid-stream: the COPY is still open
            self._conn.broken = True
        self._pool.put(self._conn)
