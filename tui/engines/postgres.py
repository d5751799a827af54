"""PostgreSQL through psycopg 3: server-side cursors streamed into bounded Arrow batches.

How a statement runs
--------------------
* A statement that returns rows (``SELECT``, ``WITH``, ``VALUES``, ``TABLE``) is declared as a
  server-side cursor (``DECLARE … NO SCROLL CURSOR``) and read with ``FETCH FORWARD n``, so a
  50M-row result never sits in the service's memory: each fetch is sized to stay under
  :data:`BATCH_ROWS` rows and about :data:`BATCH_BYTES` bytes. ``DECLARE`` only plans the query,
  so :meth:`PostgresEngine.start` returns at once, with the schema, and reports syntax and
  name errors before the first row.
* Anything else (``EXPLAIN``, ``SHOW``, and with ``--allow-writes`` DML and DDL) runs as a plain
  statement when :meth:`PostgresExecution.batches` starts, so it can be cancelled while it runs.
* Both are sent in pipeline mode, which always uses the extended protocol: one statement per
  query, so ``SELECT 1; DROP TABLE t`` is refused rather than half-run.
* ``:name`` parameters become psycopg ``%(name)s`` placeholders (:func:`tui.engines.params.bind`)
  and are bound by the server, never spliced into the text.

Types (PostgreSQL → Arrow) are chosen to be exact: :mod:`tui.engines.postgres_types`.

Connections
-----------
A bounded :class:`psycopg_pool.ConnectionPool`; every connection is checked before it is handed
out, so one killed by the server (``pg_terminate_backend``, a restart) is replaced, not
reused. Read-only unless ``allow_writes``: only statements whose first keyword reads run
(:mod:`tui.engines.statements`), the session has ``default_transaction_read_only`` on and every
query runs in ``BEGIN READ ONLY``, then is rolled back. The security boundary is the role: at
start-up a superuser, or a member of a role that reads or writes server files or runs programs,
is refused unless ``allow_writes`` (:func:`tui.engines.postgres_roles.refusal` says how to make a read-only role). Every
connection is reset with ``DISCARD ALL`` when it returns to the pool, so settings, prepared
statements, temporary tables and advisory locks never pass from one query to the next.

Cancel sends PostgreSQL's cancel request (what ``pg_cancel_backend`` does) from the calling
thread, and repeats it while the fetch it targets is still running: a request that reaches
the server between two statements is ignored by PostgreSQL, so one attempt is not enough.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

import psycopg
import pyarrow as pa
from psycopg import errors as pgerrors
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg_pool import ConnectionPool, PoolTimeout

from tui.engines import params as sqlparams
from tui.engines import postgres_adbc
from tui.engines.base import Cancelled, Engine, EngineError, Execution, SqlError
from tui.engines.postgres_roles import refusal, role_powers
from tui.engines.postgres_types import ResultColumn, describe_columns, register_text_loaders

#: most rows per Arrow batch (the store re-chunks them anyway)
BATCH_ROWS = 8192
#: aim for batches of about this many bytes: wide rows get fewer rows per fetch
BATCH_BYTES = 8 * 1024 * 1024
#: rows in the first fetch, before the row width is known (a 10 MB bytea row must not be
#: fetched 8192 at a time)
FIRST_FETCH_ROWS = 128
#: the pool's bound on connections (one per running query)
MAX_CONNECTIONS = 8
#: how long a query waits for a free connection
ACQUIRE_TIMEOUT = 30.0

_CANCEL_ATTEMPTS = 20
_CANCEL_RETRY_SECONDS = 0.25
_CANCEL_TIMEOUT_SECONDS = 5.0

T = TypeVar("T")

# --------------------------------------------------------------------------------------------
# Statements and error positions
# --------------------------------------------------------------------------------------------

_CURSOR_KEYWORDS = frozenset({"select", "with", "values", "table"})
_PYFORMAT = re.compile(r"%%|%\((\w+)\)s")


def first_keyword(sql: str) -> str:
    """The statement's first word, lower-cased, past whitespace, comments and parentheses."""
    i, n = 0, len(sql)
    while i < n:
        if sql[i].isspace() or sql[i] == "(":
            i += 1
        elif sql.startswith("--", i):
            nl = sql.find("\n", i)
            i = n if nl < 0 else nl + 1
        elif sql.startswith("/*", i):
            close = sql.find("*/", i + 2)
            i = n if close < 0 else close + 2
        else:
            break
    j = i
    while j < n and (sql[j].isalnum() or sql[j] == "_"):
        j += 1
    return sql[i:j].lower()


class PositionMap:
    """Maps a character position in the text PostgreSQL received back to the user's SQL.

    The server sees ``prefix`` (``DECLARE … FOR``) plus the user's statement with every
    ``:name`` replaced by psycopg's ``$n``; its error positions count characters of that.
    ``pyformat`` is :func:`tui.engines.params.bind`'s output, in which every literal ``%`` is
    doubled, so each ``%(name)s`` in it is a placeholder and the two texts can be aligned.
    """

    def __init__(self, original: str, pyformat: str, prefix: str = ""):
        self.original = original
        self.prefix_len = len(prefix)
        origin: list[int] = []  # origin[i] = index in `original` of sent character i
        numbers: dict[str, int] = {}
        i = o = 0
        n = len(pyformat)
        while i < n:
            if pyformat.startswith("%%", i):
                origin.append(o)
                i, o = i + 2, o + 1
            elif pyformat.startswith("%(", i):
                close = pyformat.index(")s", i)
                name = pyformat[i + 2 : close]
                number = numbers.setdefault(name, len(numbers) + 1)
                origin.extend([o] * len(f"${number}"))
                i, o = close + 2, o + len(name) + 1  # `:name` in the original
            else:
                origin.append(o)
                i, o = i + 1, o + 1
        self._origin = origin

    def line_column(self, position: int | str | None) -> tuple[int | None, int | None]:
        """1-based line and column in the original SQL for PostgreSQL's 1-based ``position``."""
        if position is None:
            return None, None
        index = int(position) - 1 - self.prefix_len
        if index < 0:
            return None, None
        offset = self._origin[index] if index < len(self._origin) else len(self.original)
        offset = min(offset, len(self.original))
        line = self.original.count("\n", 0, offset) + 1
        column = offset - (self.original.rfind("\n", 0, offset) + 1) + 1
        return line, column


def _message(exc: psycopg.Error) -> str:
    """PostgreSQL's message with its detail and hint, without libpq's ``LINE n:`` excerpt
    (which shows the rewritten ``$1`` text, not the user's)."""
    diag = exc.diag
    message = diag.message_primary or str(exc).strip() or type(exc).__name__
    if diag.message_detail:
        message += f"\nDETAIL: {diag.message_detail}"
    if diag.message_hint:
        message += f"\nHINT: {diag.message_hint}"
    return message


def sql_error(exc: psycopg.Error, where: PositionMap | None) -> SqlError:
    line, column = where.line_column(exc.diag.statement_position) if where else (None, None)
    return SqlError(_message(exc), line=line, column=column)


# --------------------------------------------------------------------------------------------
# Execution
# --------------------------------------------------------------------------------------------


class PostgresExecution(Execution):
    """One statement on one pooled connection, returned to the pool by :meth:`close`.

    Nothing runs before :meth:`batches` (on the query's own thread, where :meth:`cancel` reaches
    every round trip): a statement that returns rows is declared there as a server-side cursor
    (``declare``; planning can take a while) and read by ``FETCH``; anything else, and a
    ``WITH`` that modifies data (which cannot be a cursor), runs as a plain statement. The
    schema is set then.
    """

    def __init__(
        self,
        engine: PostgresEngine,
        conn: psycopg.Connection[Any],
        *,
        statement: tuple[str, dict[str, Any], str],
        declare: bool,
    ):
        self._engine = engine
        self._conn = conn
        self._cursor_name: str | None = None
        self._columns: list[ResultColumn] | None = None
        self._statement = statement  # (text sent, values, the user's SQL for error positions)
        self._declare_first = declare
        self._cur = conn.cursor()
        self.schema = pa.schema([])
        self._fetch_rows = min(FIRST_FETCH_ROWS, engine.batch_rows)
        self._exhausted = False
        self._failed = False
        # cancel bookkeeping: `_lock` orders cancel requests against the end of a round trip
        # and against close(), so a late request can never hit the pooled connection's next user
        self._lock = threading.Lock()
        self._cancelled = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._closed = False
        self._pg_backend_pid: int = conn.info.backend_pid
        #: the ADBC execution that streams the rows, when the declared query is eligible
        self._adbc: postgres_adbc.AdbcExecution | None = None

    @property
    def backend_pid(self) -> int:
        """The server process running this statement (for logs and pg_stat_activity)."""
        return self._adbc.backend_pid if self._adbc is not None else self._pg_backend_pid

    @property
    def through_adbc(self) -> bool:
        """Whether the rows came (or come) through ADBC rather than psycopg's ``FETCH``."""
        return self._adbc is not None

    def _declare(self) -> bool:
        """Declare the statement as a server-side cursor; ``False`` if PostgreSQL cannot (a
        ``WITH`` that modifies data), so it runs as a plain statement instead."""
        text, values, sql = self._statement
        name = f"folio_{uuid.uuid4().hex[:16]}"
        prefix = f'DECLARE "{name}" NO SCROLL CURSOR FOR '
        conn = self._conn

        def declare() -> list[ResultColumn] | None:
            try:
                with conn.pipeline():  # extended protocol: one statement only
                    conn.execute(prefix + text, values)
            except pgerrors.FeatureNotSupported:
                conn.rollback()
                return None
            result = conn.pgconn.describe_portal(name.encode())
            if result.status != psycopg.pq.ExecStatus.COMMAND_OK:
                raise SqlError(result.get_error_message() or "cannot describe the query's result")
            encoding = conn.info.encoding
            fields = [((result.fname(i) or b"").decode(encoding), result.ftype(i)) for i in range(result.nfields)]
            return describe_columns(conn, fields)

        columns = self._roundtrip(declare, PositionMap(sql, text, prefix))
        if columns is None:
            return False
        self._cursor_name = name
        self._columns = columns
        # a cursor copies the connection's loaders when made: make it again now that the
        # description registered array types it did not know (an enum's, say)
        self._cur.close()
        self._cur = conn.cursor()
        self.schema = pa.schema([c.field() for c in columns])
        return True

    # -- rows ---------------------------------------------------------------------------------

    def _run_plain(self) -> None:
        text, values, sql = self._statement
        where = PositionMap(sql, text)

        def run() -> list[ResultColumn]:
            with self._conn.pipeline():  # extended protocol: one statement only
                self._cur.execute(text, values)
            description = self._cur.description or []
            return describe_columns(self._conn, [(c.name, c.type_code) for c in description], rows_loaded=True)

        self._columns = self._roundtrip(run, where)
        self.schema = pa.schema([c.field() for c in self._columns])
        if self._cur.description is None:  # a statement without rows (SET, INSERT, …)
            self._exhausted = True

    def batches(self) -> Iterator[pa.RecordBatch]:
        if not (self._declare_first and self._declare()):
            self._run_plain()
        elif self._switch_to_adbc():
            yield from self._adbc_batches()
            return
        assert self._columns is not None
        schema = self.schema
        while not self._exhausted:
            rows = self._roundtrip(self._fetch, None)
            if len(rows) < self._fetch_rows:
                self._exhausted = True
            if not rows:
                break
            columns = list(zip(*rows, strict=True))
            try:
                arrays = [col.to_array(values) for col, values in zip(self._columns, columns, strict=True)]
            except SqlError:
                self._failed = True
                raise
            if arrays:
                batch = pa.RecordBatch.from_arrays(arrays, schema=schema)
            else:  # ``SELECT FROM t``: rows without columns, still counted
                batch = pa.RecordBatch.from_struct_array(pa.array([{}] * len(rows), pa.struct([])))
            self._resize(batch)
            yield batch

    def _switch_to_adbc(self) -> bool:
        """Hand the declared query to ADBC if it may stream it: psycopg planned it (errors,
        positions, column types), ADBC reads its rows. The psycopg connection's transaction
        ends now (no snapshot or lock is kept); the connection itself is kept until close(),
        so the pool's bound on queries holds."""
        _, values, sql = self._statement
        assert self._columns is not None
        adbc = self._engine._adbc_rows(sql, values, self._columns)
        if adbc is None:
            return False
        try:
            self._cur.close()
            self._conn.rollback()
        except psycopg.Error:
            pass  # a broken connection: the pool discards it at close()
        with self._lock:
            self._adbc = adbc
            cancelled = self._cancelled.is_set()
        if cancelled:
            adbc.cancel()
        return True

    def _adbc_batches(self) -> Iterator[pa.RecordBatch]:
        assert self._adbc is not None
        try:
            yield from self._adbc.batches()
        except (SqlError, Cancelled):
            self._failed = True
            raise

    def _fetch(self) -> list[tuple[Any, ...]]:
        if self._cursor_name is None:  # plain statement: rows already client-side
            return self._cur.fetchmany(self._fetch_rows)
        self._cur.execute(f'FETCH FORWARD {self._fetch_rows} FROM "{self._cursor_name}"')
        return self._cur.fetchall()

    def _resize(self, batch: pa.RecordBatch) -> None:
        """Size the next fetch so a batch stays near :data:`BATCH_BYTES`."""
        if batch.num_rows and batch.nbytes:
            per_row = batch.nbytes / batch.num_rows
            self._fetch_rows = max(1, min(self._engine.batch_rows, int(self._engine.batch_bytes / per_row)))

    # -- round trips, cancel, close -----------------------------------------------------------

    def _roundtrip(self, call: Callable[[], T], where: PositionMap | None) -> T:
        with self._lock:
            if self._cancelled.is_set():
                self._failed = True
                raise Cancelled("query cancelled")
            self._idle.clear()
        try:
            return call()
        except psycopg.Error as exc:
            self._failed = True
            if self._cancelled.is_set():
                raise Cancelled("query cancelled") from None
            raise sql_error(exc, where) from None
        finally:
            with self._lock:
                self._idle.set()

    def cancel(self) -> None:
        with self._lock:
            if self._closed or self._cancelled.is_set():
                return
            self._cancelled.set()
            adbc = self._adbc
        if adbc is not None:
            adbc.cancel()
            return
        threading.Thread(target=self._cancel_loop, name="folio-pg-cancel", daemon=True).start()

    def _cancel_loop(self) -> None:
        for _ in range(_CANCEL_ATTEMPTS):
            with self._lock:
                if self._closed or self._idle.is_set():
                    return  # nothing running: the next round trip sees the flag instead
                try:
                    self._conn.cancel_safe(timeout=_CANCEL_TIMEOUT_SECONDS)
                except psycopg.Error:
                    pass  # the server is gone; the running call fails on its own
            if self._idle.wait(_CANCEL_RETRY_SECONDS):
                return

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            adbc = self._adbc
        if adbc is not None:
            adbc.close()
        commit = self._engine.allow_writes and not self._failed and not self._cancelled.is_set()
        try:
            self._cur.close()
            if commit:
                self._conn.commit()
            else:
                self._conn.rollback()
        except psycopg.Error:
            pass  # a broken connection: the pool sees it and discards it
        self._engine._release(self._conn)


# --------------------------------------------------------------------------------------------
# Engine
# --------------------------------------------------------------------------------------------


class PostgresEngine(Engine):
    """A PostgreSQL database given by a ``postgresql://`` URL (any libpq connection string)."""

    name = "postgresql"
    param_style = "pyformat"

    def __init__(
        self,
        dsn: str,
        *,
        allow_writes: bool = False,
        max_connections: int = MAX_CONNECTIONS,
        acquire_timeout: float = ACQUIRE_TIMEOUT,
        batch_rows: int = BATCH_ROWS,
        batch_bytes: int = BATCH_BYTES,
        adbc: bool = True,
    ):
        from tui.engines import SourceError  # the package imports this module lazily

        self.dsn = dsn
        self.allow_writes = allow_writes
        self.read_only = not allow_writes
        self.batch_rows = batch_rows
        self.batch_bytes = batch_bytes
        self.max_connections = max_connections
        self._acquire_timeout = acquire_timeout
        try:
            given = conninfo_to_dict(dsn)
        except psycopg.ProgrammingError as exc:
            raise SourceError(f"invalid PostgreSQL URL: {exc}") from None
        self._info = given
        kwargs: dict[str, Any] = {}
        if "application_name" not in given:
            kwargs["application_name"] = "folio"
        if "connect_timeout" not in given:
            kwargs["connect_timeout"] = 10
        # Connect once up front: the pool retries quietly in the background, which would turn
        # a wrong password into a bare timeout on the first query.
        try:
            with psycopg.connect(dsn, **kwargs) as probe:
                powers = role_powers(probe)
                user = probe.info.user
        except psycopg.Error as exc:
            raise SourceError(f"cannot connect to {self.describe()}: {str(exc).strip()}") from None
        if powers and not allow_writes:
            raise SourceError(refusal(user, powers))
        self._pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
            dsn,
            kwargs=kwargs,
            min_size=1,
            max_size=max_connections,
            open=False,
            configure=self._configure,
            reset=self._reset,
            check=ConnectionPool.check_connection,
            name="folio-postgres",
            timeout=acquire_timeout,
        )
        self._pool.open(wait=True, timeout=30.0)
        #: rows of plain, parameterless queries come through ADBC (see postgres_adbc); the
        #: psycopg pool above still plans every statement and runs everything else
        self._adbc: postgres_adbc.AdbcPool | None = None
        if adbc and postgres_adbc.available():
            self._adbc = postgres_adbc.AdbcPool(self._adbc_conninfo(dsn, kwargs), max_connections)

    # -- connections --------------------------------------------------------------------------

    def _adbc_conninfo(self, dsn: str, kwargs: dict[str, Any]) -> str:
        """The ADBC connections' libpq string: the same server and role, with read-only mode
        in the start-up options, which ``DISCARD ALL`` returns to rather than undoes."""
        options = self._info.get("options") or ""
        if self.read_only:
            options = f"{options} -c default_transaction_read_only=on".strip()
        extra: dict[str, Any] = dict(kwargs)
        if options:
            extra["options"] = options
        return make_conninfo(dsn, **extra)

    def _configure(self, conn: psycopg.Connection[Any]) -> None:
        """Session set-up of a new connection (and, with writes allowed, of a returned one)."""
        register_text_loaders(conn)
        conn.prepare_threshold = None  # cursor names are unique: nothing worth preparing
        conn.execute("SET IntervalStyle = 'iso_8601'")
        if self.read_only:
            conn.execute("SET default_transaction_read_only = on")
        conn.commit()
        if self.read_only:
            conn.read_only = True  # every transaction is BEGIN READ ONLY

    def _reset(self, conn: psycopg.Connection[Any]) -> None:
        """Back in the pool after a query: nothing of it may reach the next query (another
        org's, perhaps). ``DISCARD ALL`` drops settings (``set_config`` included), prepared
        statements, temporary tables, cursors, LISTEN channels and session advisory locks; then
        the session is set up again, read-only mode included."""
        conn.autocommit = True  # DISCARD ALL cannot run inside a transaction block
        try:
            conn.execute("DISCARD ALL")
        finally:
            conn.autocommit = False
        self._configure(conn)

    def _release(self, conn: psycopg.Connection[Any]) -> None:
        self._pool.putconn(conn)

    # -- queries ------------------------------------------------------------------------------

    def start(self, sql: str, params: Mapping[str, Any]) -> Execution:
        text, values = sqlparams.bind(sql, params, self.param_style)
        self.check(sql)  # by first keyword: PostgreSQL's parser is on the server
        try:
            conn = self._pool.getconn(self._acquire_timeout)
        except PoolTimeout:
            raise EngineError(f"all {self.max_connections} PostgreSQL connections are busy; try again later") from None
        try:
            return PostgresExecution(
                self, conn, statement=(text, values, sql), declare=first_keyword(sql) in _CURSOR_KEYWORDS
            )
        except BaseException:
            self._discard(conn)
            raise

    def _adbc_rows(
        self, sql: str, values: dict[str, Any], columns: list[ResultColumn]
    ) -> postgres_adbc.AdbcExecution | None:
        """The rows of a declared query through ADBC, when :func:`postgres_adbc.eligible`."""
        if self._adbc is None or not postgres_adbc.eligible(sql, values, columns):
            return None
        conn = self._adbc.get(self._acquire_timeout)
        return postgres_adbc.AdbcExecution(
            self._adbc, conn, sql, columns, batch_rows=self.batch_rows, batch_bytes=self.batch_bytes
        )

    def validate(self, sql: str) -> str:
        """The kind check, then PostgreSQL's own parser and analyser: the statement is sent as
        an unnamed prepared statement (the protocol's Parse; nothing is executed) in a
        transaction that is rolled back, so syntax errors and unknown tables or columns come
        back with their position. ``sql`` is in psycopg's ``%(name)s`` style."""
        kind = self.check(sql)
        numbers: dict[str, int] = {}

        def placeholder(match: re.Match[str]) -> str:
            if match.group(0) == "%%":
                return "%"
            return f"${numbers.setdefault(match.group(1), len(numbers) + 1)}"

        text = _PYFORMAT.sub(placeholder, sql)
        try:
            conn = self._pool.getconn(self._acquire_timeout)
        except PoolTimeout:
            raise EngineError(f"all {self.max_connections} PostgreSQL connections are busy; try again later") from None
        try:
            conn.execute("SELECT 1")  # opens the (read-only) transaction the statement is parsed in
            result = conn.pgconn.prepare(b"", text.encode(conn.info.encoding))
            if result.status == psycopg.pq.ExecStatus.FATAL_ERROR:
                message = (result.error_field(psycopg.pq.DiagnosticField.MESSAGE_PRIMARY) or b"").decode()
                position = result.error_field(psycopg.pq.DiagnosticField.STATEMENT_POSITION)
                original = _PYFORMAT.sub(lambda m: "%" if m.group(0) == "%%" else f":{m.group(1)}", sql)
                line, column = PositionMap(original, sql).line_column(position.decode() if position else None)
                raise SqlError(message or result.get_error_message(), line=line, column=column)
        finally:
            self._discard(conn)
        return kind

    def _discard(self, conn: psycopg.Connection[Any]) -> None:
        try:
            conn.rollback()
        except psycopg.Error:
            pass
        self._pool.putconn(conn)

    def describe(self) -> str:
        info = self._info
        host = info.get("host") or "localhost"
        port = f":{info['port']}" if info.get("port") else ""
        user = f"{info['user']}@" if info.get("user") else ""
        db = info.get("dbname") or ""
        mode = " (read-only)" if self.read_only else ""
        return f"postgresql {user}{host}{port}/{db}{mode}"

    def close(self) -> None:
        self._pool.close()
        if self._adbc is not None:
            self._adbc.close()
