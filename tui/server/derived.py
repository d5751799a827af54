"""SQL over stored results: ``result('<query_id>')`` and ``result_rows('<query_id>')``.

(When the source is a DuckDB database opened read-only, the derived engine attaches it
read-only as well, so stored results can be joined with the source's tables.)

A derived query reads the Arrow chunks a previous query stored, whatever engine produced them,
so it always runs on DuckDB: the service's own in-memory *derived engine*, sandboxed like every
DuckDB connection (no file access, no extension loading, settings locked) and bounded in memory
(a ``memory_limit``, spilling to a directory inside the store). The SQL cannot name a file, so
the stored chunks reach DuckDB as Arrow objects registered on the query's own cursor (visible
to that cursor only) under a unique name, and each ``result(...)`` call is rewritten to that name.
Calls are found with DuckDB's own tokenizer, so a string literal or a comment that happens to
contain ``result('…')`` is never rewritten.

``result_rows`` adds ``folio_row``, the row's offset in the parent: the chunk index knows each
chunk's first row, so the column is built chunk by chunk as the chunks stream past, without a
window over the whole result.
"""

from __future__ import annotations

import contextlib
import logging
import re
import secrets
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from tui.engines import params as sqlparams
from tui.engines.base import Engine, Execution, SqlError, field_type_name
from tui.engines.duckdb import DuckDBExecution, error_message, error_position, invalidated
from tui.store.literals import int64s
from tui.store.resultset import INDEX_FILE, ResultIndex

if TYPE_CHECKING:
    import pyarrow.dataset as ds

log = logging.getLogger("folio.derived")

#: the functions, lower case as written in SQL
RESULT = "result"
RESULT_ROWS = "result_rows"
ROW_COLUMN = "folio_row"
_FUNCTIONS = (RESULT, RESULT_ROWS)
_STRING = re.compile(r"^'((?:[^']|'')*)'$", re.S)


class DerivedError(SqlError):
    """A ``result(...)`` call is malformed, or the statement is not a reading one."""


@dataclass(frozen=True)
class ResultCall:
    """One ``result('<id>')`` / ``result_rows('<id>')`` in a statement: ``sql[start:end]``."""

    function: str
    query_id: str
    start: int
    end: int


def find_calls(sql: str) -> list[ResultCall]:
    """Every call of ``result``/``result_rows`` in ``sql``, in order.

    Only calls whose first argument is a string literal are ours (the id must be known before
    the query runs: it decides which stored chunks it reads); a name followed by anything else
    is left alone (a CTE or alias called ``result`` with a column list). Raises
    :class:`DerivedError` for a call with a literal and more arguments.
    """
    lowered = sql.lower()
    if RESULT not in lowered:  # the common case costs a substring test, not a tokenizer pass
        return []
    try:
        tokens = duckdb.tokenize(sql)
    except duckdb.Error:
        return []  # DuckDB's parser will say what is wrong
    # DuckDB's token positions are byte offsets into the UTF-8 text, not character offsets
    data = sql.encode()
    texts = [
        data[pos : tokens[i + 1][0] if i + 1 < len(tokens) else len(data)].decode().rstrip()
        for i, (pos, _) in enumerate(tokens)
    ]

    def char_offset(byte_offset: int) -> int:
        return len(data[:byte_offset].decode())

    calls: list[ResultCall] = []
    for i, (pos, kind) in enumerate(tokens):
        if kind != duckdb.token_type.identifier or texts[i].lower() not in _FUNCTIONS:
            continue
        if i + 1 >= len(tokens) or texts[i + 1] != "(":
            continue  # a column or table that happens to be called "result"
        if i > 0 and texts[i - 1] == ".":
            continue  # schema.result(...): someone else's function
        name = texts[i].lower()
        if i + 2 >= len(tokens) or tokens[i + 2][1] != duckdb.token_type.string_const:
            continue  # not ours: ``WITH result(a) AS …``, ``t AS result(a, b)``
        closing = texts[i + 3] if i + 3 < len(tokens) else ""
        match = _STRING.match(texts[i + 2])
        if match is None or closing != ")":
            raise DerivedError(
                f"{name}() takes one argument, a query id as a string literal: {name}('<query_id>')",
                **_position(sql, char_offset(pos)),
            )
        query_id = match.group(1).replace("''", "'")
        calls.append(ResultCall(name, query_id, char_offset(pos), char_offset(tokens[i + 3][0]) + 1))
    return calls


def _position(sql: str, offset: int) -> dict[str, int]:
    line = sql.count("\n", 0, offset) + 1
    column = offset - (sql.rfind("\n", 0, offset) + 1) + 1
    return {"line": line, "column": column}


def check_reading(sql: str) -> None:
    """A derived query is one reading statement: it runs on an engine shared by every org."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        message = str(exc).strip()
        line, column = error_position(message, sql)
        raise SqlError(message, line=line, column=column) from None
    if len(statements) != 1:
        raise DerivedError("a query over result() must be exactly one statement")
    kind = statements[0].type
    if kind not in (duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN):
        name = str(kind).rsplit(".", 1)[-1]
        raise DerivedError(f"a query over result() may only read: {name} statements are not allowed")


@dataclass(frozen=True)
class StoredResult:
    """A parent result the caller may read: where its chunks are and how they are laid out."""

    query_id: str
    directory: Path
    index: ResultIndex


def rows_schema(schema: pa.Schema) -> pa.Schema:
    return pa.schema([pa.field(ROW_COLUMN, pa.int64(), nullable=False), *schema])


def _wide_integers(schema: pa.Schema) -> list[tuple[int, str]]:
    """The columns holding DuckDB's 128-bit integers, stored as decimals Arrow can hold but
    DuckDB cannot read back as they are: its own export of a ``HUGEINT`` is a
    ``DECIMAL(38,0)`` whose largest values have 39 digits (reading them as that decimal
    invalidated the whole derived engine), and a ``UHUGEINT`` is stored as a 39-digit
    decimal256, which DuckDB does not read at all. Each becomes its type again in SQL."""
    return [
        (i, name)
        for i, field in enumerate(schema)
        if pa.types.is_decimal(field.type) and (name := field_type_name(field).upper()) in ("HUGEINT", "UHUGEINT")
    ]


def readable_schema(schema: pa.Schema) -> pa.Schema:
    """``schema`` with its 256-bit decimals read as text (DuckDB casts that text back)."""
    for i, _ in _wide_integers(schema):
        if pa.types.is_decimal256(schema.field(i).type):
            schema = schema.set(i, schema.field(i).with_type(pa.string()))
    return schema


def table_sql(name: str, schema: pa.Schema) -> str:
    """What a ``result()`` call becomes: the registered table ``name``, its wide integers cast
    back to their own types (a ``DECIMAL(38,0)`` becomes ``HUGEINT`` bit for bit)."""
    wide = _wide_integers(schema)
    if not wide:
        return f'"{name}"'
    columns = [(_ident(schema.field(i).name), type_) for i, type_ in wide]
    casts = ", ".join(f"CAST({column} AS {type_}) AS {column}" for column, type_ in columns)
    return f'(SELECT * REPLACE ({casts}) FROM "{name}")'


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _dataset(stored: StoredResult) -> ds.Dataset:
    # imported here, not with the module: pyarrow.dataset imports pandas (its module init makes
    # an Arrow scalar from a Python value, see tui.store.literals) and pyarrow.fs loads the S3,
    # GCS, Azure and HDFS libraries: 70 MiB and a second that a service pays only once a
    # derived result is asked for
    import pyarrow.dataset as ds
    import pyarrow.fs as pafs

    paths = [str(stored.directory / chunk.name) for chunk in stored.index.chunks]
    # memory-mapped, as pages are read: buffers are the page cache's, not copies on the heap
    mapped = pafs.LocalFileSystem(use_mmap=True)
    # a column declared as text where the file has a decimal256 is cast as it is scanned
    return ds.dataset(paths, schema=readable_schema(stored.index.schema), format="ipc", filesystem=mapped)


def _numbered_batches(stored: StoredResult) -> Iterator[pa.RecordBatch]:
    schema = rows_schema(readable_schema(stored.index.schema))
    for chunk in stored.index.chunks:
        # memory-mapped: only the columns DuckDB reads are ever paged in
        batch = pa.ipc.open_file(pa.memory_map(str(stored.directory / chunk.name), "r")).get_batch(0)
        numbers = int64s(range(chunk.start, chunk.start + batch.num_rows))
        columns = [
            column if column.type == field.type else column.cast(field.type)
            for column, field in zip(batch.columns, list(schema)[1:], strict=True)
        ]
        yield pa.RecordBatch.from_arrays([numbers, *columns], schema=schema)


def register(cursor: duckdb.DuckDBPyConnection, name: str, function: str, stored: StoredResult) -> None:
    """Make ``stored`` readable as table ``name`` on ``cursor`` (and nowhere else)."""
    if function == RESULT:
        cursor.register(name, _dataset(stored))
    else:  # a reader is read once; every call gets its own (see rewrite)
        schema = rows_schema(readable_schema(stored.index.schema))
        cursor.register(name, pa.RecordBatchReader.from_batches(schema, _numbered_batches(stored)))


def rewrite(sql: str, calls: list[ResultCall], tables: list[str]) -> str:
    """``sql`` with each call replaced by the table (or subquery, see :func:`table_sql`) it reads."""
    out: list[str] = []
    last = 0
    for call, table in zip(calls, tables, strict=True):
        out += [sql[last : call.start], table]
        last = call.end
    out.append(sql[last:])
    return "".join(out)


class DerivedEngine:
    """The service's own DuckDB for derived queries: in memory, sandboxed, memory-bounded.

    Configured before any SQL runs and then locked: no file access (the chunks come in as Arrow
    objects), no extension loading, a memory limit with spilling to ``spill_dir``.
    """

    name = "duckdb (derived)"
    param_style = "dollar"

    #: the catalog name of the source database, when one is attached
    SOURCE = "folio_source"

    def __init__(
        self,
        spill_dir: Path,
        *,
        memory_limit: str = "1GB",
        threads: int | None = None,
        source: Path | None = None,
    ):
        spill_dir.mkdir(parents=True, exist_ok=True)
        config: dict[str, Any] = {
            "memory_limit": memory_limit,
            "temp_directory": str(spill_dir),
            "autoload_known_extensions": False,
            "autoinstall_known_extensions": False,
        }
        if threads:
            config["threads"] = threads
        self._config = config
        self._source = source
        self.source_attached = False
        self._lock = threading.Lock()
        self._con = self._connect()

    def _connect(self) -> duckdb.DuckDBPyConnection:
        con = duckdb.connect(":memory:", config=self._config)
        # time bins of TIMESTAMPTZ columns in UTC, whatever the host's zone (ICU's setting,
        # hence not a connect option)
        con.execute("SET TimeZone = 'UTC'")
        # A read-only DuckDB database source is attached (read-only too), so a derived query can
        # join a stored result with the source's tables; attaching is a file access, so it too
        # happens before external access is switched off.
        if self._source is not None:
            literal = str(self._source).replace("'", "''")
            try:
                con.execute(f"ATTACH '{literal}' AS {self.SOURCE} (READ_ONLY)")
                self.source_attached = True
            except duckdb.Error as exc:
                log.warning("derived queries cannot read the source's tables: %s", exc)
        # the temp directory cannot be set once external access is off, so these come last
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
        return con

    def reopen(self, failed: duckdb.DuckDBPyConnection) -> None:
        """Open the engine again after an internal error invalidated its database (DuckDB then
        refuses every statement, for every org, until it is opened again). It holds nothing
        between queries, so nothing is lost; queries running on the old one fail as they would
        have anyway. ``failed`` is the connection the error came from: a second report of the
        same failure does not reopen again."""
        with self._lock:
            if self._con is not failed:
                return
            log.error("the derived engine's DuckDB was invalidated by an internal error: opening it again")
            with contextlib.suppress(duckdb.Error):
                failed.close()  # its memory goes with the last query still reading it
            self._con = self._connect()

    def bind(self, sql: str, calls: list[ResultCall], sources: Mapping[str, StoredResult]) -> BoundQuery:
        return BoundQuery(self, sql, calls, sources)

    def cursor(self) -> tuple[duckdb.DuckDBPyConnection, duckdb.DuckDBPyConnection]:
        """A new cursor, and the connection it is of (to say which one failed, see :meth:`reopen`)."""
        with self._lock:  # cursor() on the shared connection is not thread-safe
            con = self._con
            cursor = con.cursor()
        if self.source_attached:  # unqualified names are the source's, as on its own engine
            cursor.execute(f"USE {self.SOURCE}")
        return cursor, con

    def close(self) -> None:
        self._con.close()


class BoundQuery(Engine):
    """One derived query with its parents resolved: the runner starts it like any engine's."""

    name = "duckdb (derived)"
    param_style = "dollar"

    def __init__(
        self,
        engine: DerivedEngine,
        sql: str,
        calls: list[ResultCall],
        sources: Mapping[str, StoredResult],
    ):
        self._engine = engine
        self._calls = calls
        self._sources = dict(sources)
        suffix = secrets.token_hex(4)
        self._names = [f"folio_{call.function}_{n}_{suffix}" for n, call in enumerate(calls)]
        tables = [
            table_sql(name, _call_schema(call, self._sources[call.query_id]))
            for call, name in zip(calls, self._names, strict=True)
        ]
        self.sql = rewrite(sql, calls, tables)

    def start(self, sql: str, params: Mapping[str, Any]) -> Execution:
        del sql  # the statement was bound (and rewritten) when the query was submitted
        text, values = sqlparams.bind(self.sql, params, self.param_style)
        check_reading(text)  # again, on exactly what runs: the engine is shared by every org
        cursor, con = self._engine.cursor()
        try:
            for call, name in zip(self._calls, self._names, strict=True):
                register(cursor, name, call.function, self._sources[call.query_id])
        except (duckdb.Error, OSError, pa.ArrowException) as exc:
            cursor.close()
            if invalidated(exc):
                self._engine.reopen(con)
            raise SqlError(_strip_names(error_message(exc), self._names)) from None
        # binding and running happen in batches(), where cancel reaches them (as for any DuckDB query)
        execution = DerivedExecution(cursor, text, values or None, list(self._sources.values()), self._names)
        execution.on_invalidated = lambda: self._engine.reopen(con)
        return execution


class DerivedExecution(DuckDBExecution):
    """A derived query running: a parent dropped or expired under it is said as such, not as
    the file error DuckDB meets when it reads the next chunk."""

    def __init__(
        self,
        cursor: duckdb.DuckDBPyConnection,
        sql: str,
        values: dict[str, Any] | None,
        sources: list[StoredResult],
        names: list[str],
    ):
        super().__init__(cursor, sql, values)
        self._sources = sources
        self._names = names

    def _translate(self, exc: BaseException) -> Exception:
        error = super()._translate(exc)
        if isinstance(error, SqlError):
            error = SqlError(_strip_names(error.message, self._names), line=error.line, column=error.column)
            for stored in self._sources:
                if not (stored.directory / INDEX_FILE).exists():
                    return SqlError(
                        f"the result of query {stored.query_id} was dropped or expired while this query read it"
                    )
        return error


def _call_schema(call: ResultCall, stored: StoredResult) -> pa.Schema:
    schema = stored.index.schema
    return schema if call.function == RESULT else rows_schema(schema)


def _strip_names(message: str, names: list[str]) -> str:
    """Error messages name the registered table, not what the user wrote."""
    for name in names:
        message = message.replace(name, "result")
    return message


Resolver = Callable[[str], StoredResult]
