"""Apache Spark through Spark Connect (``sc://host:15002``): SQL on a cluster, results as Arrow.

How a statement runs
--------------------
* :meth:`SparkExecution.batches` sends the SQL with ``spark.sql(sql, args=…)``: the ``:name``
  parameters are Spark's own syntax too, so the text goes to Spark unchanged and Spark binds
  the values (never spliced into the text). Error positions therefore count characters of the
  user's own SQL.
* The result is read from Spark Connect's ``ExecutePlan`` response stream, one Arrow record
  batch at a time, through the client's ``to_table_as_iterator`` (what ``toLocalIterator``
  uses): never ``toArrow()``/``collect()``, which hold the whole result. The batches arrive as
  Spark's tasks finish, so the first page is served while later partitions still run.
* Everything, analysis included, runs on the query's own thread inside ``batches``, under a
  tag unique to the query (Spark Connect's tags are per thread); :meth:`SparkExecution.cancel`
  (the service's cancel and its timeout) calls ``interruptTag``, which stops the operation and
  its Spark jobs on the cluster.

Types
-----
Spark sends Arrow already; the columns keep it (``decimal128`` exact, ``timestamp[us, UTC]``,
lists, maps, structs, ``binary``, ``duration`` for day-time intervals). The session runs with
``spark.sql.session.timeZone = UTC`` so timestamps are served in UTC, like every other engine.
``column_fields`` shows Spark's own type names (``bigint``, ``decimal(20,3)``,
``array<int>``, ``struct<x:int,y:string>``).

The sandbox
-----------
Unless ``allow_writes``, only reading statements run: the first keyword must be ``SELECT``,
``WITH``, ``VALUES``, ``TABLE``, ``FROM``, ``SHOW``, ``DESCRIBE`` or ``EXPLAIN``, no keyword
that writes or changes the session (``INSERT``, ``CREATE``, ``SET``, ``CACHE`` …) and no
function that calls into the JVM (``reflect``, ``java_method``) may appear anywhere outside
strings and comments, and there is one statement only. This is deliberately conservative
(a column called ``update`` must be back-quoted) and it guards against mistakes; it is not
a security boundary. Spark's own access control (the catalog's grants, Unity Catalog,
Ranger) is: give folio credentials that may only read what it serves.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pyarrow as pa

from tui.engines import params as sqlparams
from tui.engines.base import Cancelled, Engine, EngineError, Execution, SqlError, typed_field
from tui.engines.statements import ALLOW_WRITES_FLAG, StatementNotAllowed, keyword_kind

if TYPE_CHECKING:  # pyspark is an optional extra, imported when an engine is made
    from pyspark.sql import SparkSession
    from pyspark.sql.types import StructType

#: how many times a call is retried when the server is unreachable: the client's default
#: (15 retries, up to 10 minutes) would make a wrong host look like a hang
CONNECT_RETRIES = 3
#: a cancel is repeated this often until the query's thread has noticed it: an interrupt that
#: reaches the server between two of the query's operations (analysis, then execution) finds
#: nothing to stop
_CANCEL_RETRY_SECONDS = 0.25
_CANCEL_ATTEMPTS = 40
#: the session's time zone: timestamps are served in UTC
SESSION_TIME_ZONE = "UTC"

# --------------------------------------------------------------------------------------------
# The sandbox: which statements only read
# --------------------------------------------------------------------------------------------

_READING_KEYWORDS = frozenset({"select", "with", "values", "table", "from", "show", "describe", "desc", "explain"})
#: words that, anywhere in a statement, may write data, change the session or reach the JVM
_WRITING_WORDS = frozenset(
    {
        "insert",
        "update",
        "delete",
        "merge",
        "create",
        "drop",
        "alter",
        "truncate",
        "replace",
        "set",
        "reset",
        "add",
        "refresh",
        "cache",
        "uncache",
        "clear",
        "load",
        "msck",
        "repair",
        "use",
        "grant",
        "revoke",
        "call",
        "declare",
        "execute",
        "overwrite",
        "directory",
        "reflect",
        "java_method",
        "try_reflect",
    }
)
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _words(sql: str) -> tuple[list[str], bool]:
    """The bare words of ``sql`` (lower-cased) outside strings, back-quoted names and comments,
    and whether it has a ``;`` that is followed by more than whitespace or comments."""
    words: list[str] = []
    semicolon_at: int | None = None
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch in ("'", '"', "`"):
            end = i + 1
            while end < n and sql[end] != ch:
                end += 2 if sql[end] == "\\" and ch != "`" else 1  # Spark strings escape with \
            i = end + 1
        elif sql.startswith("--", i):
            nl = sql.find("\n", i)
            i = n if nl < 0 else nl + 1
        elif sql.startswith("/*", i):
            close = sql.find("*/", i + 2)
            i = n if close < 0 else close + 2
        elif ch == ";":
            if semicolon_at is None:
                semicolon_at = len(words)
            i += 1
        elif m := _WORD.match(sql, i):
            words.append(m.group(0).lower())
            i = m.end()
        else:
            i += 1
    more = semicolon_at is not None and len(words) > semicolon_at
    return words, more


class WritingWordNotAllowed(StatementNotAllowed):
    """A reading statement that names something folio refuses on a read-only Spark source."""

    def __init__(self, kind: str, message: str):
        EngineError.__init__(self, message)
        self.kind = kind


def check_reading(sql: str) -> str:
    """The statement's kind if it only reads; :class:`StatementNotAllowed` otherwise."""
    words, more_statements = _words(sql)
    if more_statements:
        raise WritingWordNotAllowed(
            "several", f"only one statement runs at a time on a read-only source ({ALLOW_WRITES_FLAG} lifts this)"
        )
    if not words:
        raise SqlError("the query is empty: there is no statement to run")
    kind = words[0].upper()
    if words[0] not in _READING_KEYWORDS:
        raise StatementNotAllowed(kind)
    writing = sorted({w for w in words if w in _WRITING_WORDS})
    if writing:
        listed = ", ".join(w.upper() for w in writing)
        raise WritingWordNotAllowed(
            kind,
            f"the statement uses {listed}, which folio refuses on a read-only Spark source: back-quote a column "
            f"of that name, or the operator can start folio with {ALLOW_WRITES_FLAG}",
        )
    return kind


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------

_LINE_POS = re.compile(r"\(?line (\d+),? pos (\d+)\)?")
_PLAN_AFTER = re.compile(r";\s*line \d+ pos \d+;?\n.*", re.S)


def _message(exc: BaseException) -> str:
    """Spark's message without the JVM stack trace, the plan dump and the ``== SQL ==`` excerpt
    (the line and column say where instead)."""
    get = getattr(exc, "getMessage", None)
    text = str(get() if callable(get) else exc)
    text = text.split("\n\nJVM stacktrace:", 1)[0]
    text = text.split("\n== SQL", 1)[0]
    text = _PLAN_AFTER.sub("", text)
    text = _LINE_POS.sub("", text)
    return text.strip() or type(exc).__name__


def _position(exc: BaseException, sql: str) -> tuple[int | None, int | None]:
    """1-based line and column of the error in ``sql``: from Spark's query context (a character
    index) or, for parse and analysis errors, the ``line n pos m`` (0-based pos) of its message."""
    contexts = getattr(exc, "getQueryContext", lambda: [])() or []
    for context in contexts:
        start = getattr(context, "startIndex", None)
        index = start() if callable(start) else None
        if isinstance(index, int) and 0 <= index <= len(sql):
            line = sql.count("\n", 0, index) + 1
            return line, index - (sql.rfind("\n", 0, index) + 1) + 1
    get = getattr(exc, "getMessage", None)
    match = _LINE_POS.search(str(get() if callable(get) else exc))
    if match:
        return int(match.group(1)), int(match.group(2)) + 1
    return None, None


def _is_cancel(exc: BaseException) -> bool:
    condition = getattr(exc, "getCondition", lambda: None)()
    return condition == "OPERATION_CANCELED" or "[OPERATION_CANCELED]" in str(exc)


# --------------------------------------------------------------------------------------------
# Execution
# --------------------------------------------------------------------------------------------


class SparkExecution(Execution):
    """One statement on the engine's Spark Connect session, run on the calling thread."""

    def __init__(self, engine: SparkEngine, sql: str, args: dict[str, Any]):
        self._engine = engine
        self._sql = sql
        self._args = args
        self._tag = f"folio-{uuid.uuid4().hex}"
        self._cancelled = threading.Event()
        self._lock = threading.Lock()
        self._tagged = False
        self._finished = False
        self._closed = threading.Event()
        self.schema = pa.schema([])

    def batches(self) -> Iterator[pa.RecordBatch]:
        from pyspark.errors import PySparkException
        from pyspark.sql.types import StructType

        spark = self._engine.session
        client = spark.client
        with self._lock:
            if self._cancelled.is_set():
                raise Cancelled("query cancelled")
            client.add_tag(self._tag)  # this thread's operations carry the tag from now on
            self._tagged = True
        try:
            frame = spark.sql(self._sql, args=self._args or None)
            plan = frame._plan.to_proto(client)
            struct: StructType | None = None
            stream = client.to_table_as_iterator(plan, {})
            try:
                for item in stream:
                    if self._cancelled.is_set():
                        raise Cancelled("query cancelled")
                    if isinstance(item, StructType):
                        struct = item
                        continue
                    table: pa.Table = item
                    if not len(self.schema):
                        self.schema = self._schema(table.schema, struct or frame.schema)
                    for batch in table.to_batches():
                        if batch.num_rows:
                            yield pa.RecordBatch.from_arrays(batch.columns, schema=self.schema)
            finally:
                stream.close()  # releases the server's side of the stream now, not at GC
            self._finished = True
            if not len(self.schema) and struct is not None and len(struct.fields):
                from pyspark.sql.pandas.types import to_arrow_schema

                self.schema = self._schema(to_arrow_schema(struct), struct)
        except PySparkException as exc:
            if self._cancelled.is_set() or _is_cancel(exc):
                raise Cancelled("query cancelled") from None
            line, column = _position(exc, self._sql)
            raise SqlError(_message(exc), line=line, column=column) from None
        except (ValueError, TypeError) as exc:  # a parameter value Spark cannot turn into a literal
            if self._cancelled.is_set():
                raise Cancelled("query cancelled") from None
            raise SqlError(f"cannot bind the query's parameters: {exc}") from None

    @staticmethod
    def _schema(arrow: pa.Schema, struct: StructType) -> pa.Schema:
        names = {f.name: f.dataType.simpleString() for f in struct.fields}
        types = [f.dataType.simpleString() for f in struct.fields]
        fields = []
        for i, field in enumerate(arrow):
            type_name = types[i] if i < len(types) else names.get(field.name, str(field.type))
            fields.append(typed_field(field, type_name))
        return pa.schema(fields)

    def cancel(self) -> None:
        with self._lock:
            if self._cancelled.is_set() or self._closed.is_set():
                return
            self._cancelled.set()
        threading.Thread(target=self._cancel_loop, name="folio-spark-cancel", daemon=True).start()

    def _cancel_loop(self) -> None:
        for _ in range(_CANCEL_ATTEMPTS):
            with self._lock:
                tagged = self._tagged
            if tagged:
                self._engine.interrupt(self._tag)
            if self._closed.wait(_CANCEL_RETRY_SECONDS):
                return

    def close(self) -> None:
        with self._lock:
            tagged, self._tagged = self._tagged, False
            self._closed.set()
        if tagged:
            if not self._finished:  # the reader stopped early (an error, a size limit): stop the jobs
                self._engine.interrupt(self._tag)
            self._engine.session.client.remove_tag(self._tag)


# --------------------------------------------------------------------------------------------
# Engine
# --------------------------------------------------------------------------------------------


def _quiet_error_loggers() -> None:
    """pyspark logs every SQL error it raises, stack trace included, to stderr (which is the
    terminal in the app); folio reports the error to whoever ran the query instead."""
    from pyspark.logger import PySparkLogger

    for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
        PySparkLogger.getLogger(name).disabled = True


class SparkEngine(Engine):
    """A Spark Connect endpoint (``sc://host:port/;token=…``), shared by concurrent queries."""

    name = "spark"
    param_style = "colon"

    def __init__(self, url: str, *, allow_writes: bool = False):
        from tui.engines import SourceError  # the package imports this module lazily

        try:
            from pyspark.errors import PySparkException
            from pyspark.sql import SparkSession
            from pyspark.sql.connect.client.retries import DefaultPolicy
        except ImportError as exc:
            raise SourceError(f"Spark sources need the spark extra (pip install 'folio[spark]'): {exc}") from None
        _quiet_error_loggers()
        self.url = url
        self.allow_writes = allow_writes
        self.read_only = not allow_writes
        try:
            self.session: SparkSession = SparkSession.builder.remote(url).create()
        except (PySparkException, ValueError) as exc:
            raise SourceError(f"invalid Spark Connect URL {self.describe_url()}: {_message(exc)}") from None
        self.session.client.set_retry_policies([DefaultPolicy(max_retries=CONNECT_RETRIES, max_backoff=2000)])
        try:  # a first round trip, so a wrong address fails now and not on the first query
            self.session.conf.set("spark.sql.session.timeZone", SESSION_TIME_ZONE)
            self.version = self.session.version
        except PySparkException as exc:
            self._stop()
            raise SourceError(f"cannot connect to {self.describe_url()}: {_message(exc)}") from None

    def check(self, sql: str) -> str:
        """By keywords (Spark's parser is on the server): see the module's docstring."""
        return keyword_kind(sql) if self.allow_writes else check_reading(sql)

    def start(self, sql: str, params: Mapping[str, Any]) -> Execution:
        self.check(sql)
        _, values = sqlparams.bind(sql, params, self.param_style)
        return SparkExecution(self, sql, values)

    def interrupt(self, tag: str) -> None:
        """Stop every operation of one query (its Spark jobs included)."""
        from pyspark.errors import PySparkException

        try:
            self.session.interruptTag(tag)
        except PySparkException:
            pass  # the server is gone: the running call fails on its own

    def describe_url(self) -> str:
        """The URL without its parameters (which may hold a token)."""
        parts = urlsplit(self.url)
        return f"sc://{parts.netloc}"

    def describe(self) -> str:
        mode = " (read-only)" if self.read_only else ""
        return f"spark {self.describe_url()}{mode}"

    def _stop(self) -> None:
        try:
            self.session.stop()
        except Exception:  # closing a session whose server is gone
            pass

    def close(self) -> None:
        self._stop()
