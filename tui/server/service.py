"""The service: what the HTTP routes do, without HTTP.

It owns the engine, the store and the runner, checks who may see which query, and decides
what a page request gets. Routes (``tui.server.routes``) only translate between this and the
wire; keeping the two apart keeps both readable.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import secrets
import string
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from tui.engines import params as sqlparams
from tui.engines.base import Engine, EngineError, ParameterError, SqlError, field_type_name
from tui.engines.duckdb import DuckDBEngine
from tui.engines.statements import StatementNotAllowed
from tui.server.auth import Principal
from tui.server.derived import DerivedEngine, DerivedError, StoredResult, check_reading, find_calls
from tui.server.errors import ApiError, invalid, not_found
from tui.server.runner import LiveQuery, Runner
from tui.server.settings import ServiceSettings
from tui.store.cursors import CursorError
from tui.store.jsonrows import documents_json
from tui.store.lambdas import LambdaStore
from tui.store.pagebytes import documents_within, rows_within
from tui.store.registry import QueryRecord
from tui.store.resultset import CHUNKS, QuotaExceeded, ResultIndex, read_rows
from tui.store.store import Store
from tui.wire import MAX_OFFSET, ErrorType, QueryStatus, format_ts

if TYPE_CHECKING:
    from tui.store.cluster import ClusterStore

log = logging.getLogger("folio.server")

Clock = Callable[[], datetime]
_ALPHABET = string.ascii_letters + string.digits
#: results smaller than this are rendered on every read: it costs less than a file
_RENDER_MIN_ROWS = 512
#: pages up to this size (Arrow bytes to render) are rendered on the event loop, where that
#: is quicker than a hop to a thread; larger ones on a thread
_INLINE_BYTES = 256 * 1024
_INLINE_ROWS = 2_000
#: rendered pages up to this size are read on the event loop (a few ``pread`` calls from the
#: page cache, about a millisecond); larger ones on a thread
INLINE_READ_BYTES = 4 * 1024 * 1024
#: queries on one page of ``GET /queries`` unless the client asks for fewer (or more)
LIST_LIMIT = 1_000
MAX_LIST_LIMIT = 10_000


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_query_id() -> str:
    """Shaped like Rockset's (``uuid:7 chars:0``), colons and all: clients must URL-encode it."""
    return f"{uuid.uuid4()}:{''.join(secrets.choice(_ALPHABET) for _ in range(7))}:0"


@dataclass(frozen=True)
class PageSlice:
    """Rows ``[position, position + count)`` of a result, and what is known about it: as
    Arrow (``rows``) for an Arrow page, else as the JSON of their documents (``rendered``)."""

    rows: pa.Table | None
    count: int
    position: int
    total: int | None
    status: QueryStatus
    columns: list[dict[str, str]]
    rendered: bytes | None = None

    def documents_json(self) -> bytes:
        if self.rendered is not None:
            return self.rendered
        assert self.rows is not None
        return documents_json(self.rows)


class Service:
    def __init__(self, settings: ServiceSettings, engine: Engine, *, clock: Clock | None = None):
        self.settings = settings
        self.engine = engine
        self.clock = clock or utc_now
        self.store = _open_store(settings, self.clock)
        self.runner = Runner(engine, self.store, max_workers=settings.max_concurrent_queries)
        # Chunks are rendered by two threads: the Arrow kernels doing the work release the GIL,
        # so two use both cores of a small server while a result is first read at random
        # (measured: the load test's cold start took ~7 s with two, ~10 s with one). Each
        # holds one chunk's JSON while it works.
        self._renderer = ThreadPoolExecutor(2, thread_name_prefix="folio-render")
        #: saved query lambdas, in the registry's file (they never expire)
        self.lambdas = _open_lambdas(self.store, self.clock)
        self._sweeper: asyncio.Task | None = None
        self._leases: asyncio.Task | None = None
        #: set when shutdown began: new queries are refused
        self.closing = False
        self._derived: DerivedEngine | None = None

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        self._sweeper = asyncio.create_task(self._sweep_forever(), name="folio-sweeper")
        if self.store.remote:
            self._leases = asyncio.create_task(self._lease_forever(self.store), name="folio-leases")  # type: ignore[arg-type]

    def stop_queries(self) -> None:
        """The service is shutting down: stop every queued and running query now (each ends as
        an ERROR saying so), and take no new ones, so shutdown ends within its grace period
        instead of waiting for statements that may run for hours."""
        self.closing = True
        self.runner.cancel_all("shutdown")

    async def stop(self) -> None:
        self.closing = True
        if self._sweeper:
            self._sweeper.cancel()
        if self._leases:
            self._leases.cancel()
        await self.runner.shutdown()
        self._renderer.shutdown(wait=True, cancel_futures=True)
        self.lambdas.close()
        if self._derived is not None:
            self._derived.close()
        self.store.close()

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.settings.sweep_interval_s)
            try:
                removed = await asyncio.to_thread(self.store.sweep)
                if removed:
                    log.info("expired %d result(s)", removed)
            except Exception:  # keep sweeping; a failed sweep is retried next round
                log.exception("expiry sweep failed")

    async def _lease_forever(self, store: ClusterStore) -> None:
        """A cluster replica: renew the leases of the queries running here (and pick up
        cancel requests made on other replicas), and fail those whose replica stopped."""
        interval = max(self.settings.lease_s / 3, 0.05)
        while True:
            await asyncio.sleep(interval)
            try:
                for query_id in await asyncio.to_thread(store.heartbeat, self.runner.live_ids()):
                    self.runner.cancel(query_id)
                lost = await asyncio.to_thread(store.reap)
                if lost:
                    log.warning("failed %d query(ies) whose replica stopped", lost)
            except Exception:  # the registry is unreachable: try again next round
                log.exception("lease heartbeat failed")

    # -- queries ----------------------------------------------------------------------------

    @property
    def derived(self) -> DerivedEngine:
        """The DuckDB that runs queries over stored results (made on first use)."""
        if self._derived is None:
            engine = self.engine
            source = Path(engine.path) if isinstance(engine, DuckDBEngine) and engine.read_only else None
            self._derived = DerivedEngine(
                self.settings.store_dir / "spill", memory_limit=self.settings.derived_memory_limit, source=source
            )
        return self._derived

    def param_style(self, sql: str) -> str:
        """How ``sql``'s parameters are written for the engine that will run it."""
        try:
            return self.derived.param_style if find_calls(sql) else self.engine.param_style
        except DerivedError:
            return self.engine.param_style  # submit() reports the malformed call

    def stored_result(self, principal: Principal, query_id: str) -> StoredResult:
        """The stored rows of ``query_id`` for a query over them: only the caller's org's,
        COMPLETED and unexpired; anything else is the same not-found error, so another org's
        ids cannot be told from unknown ones."""
        record = self.store.registry.get(query_id, principal.org)
        index = None
        if (
            record is not None
            and record.status is QueryStatus.COMPLETED
            and (record.expires_at is None or record.expires_at > self.clock())
        ):
            if self.store.remote:
                # a cluster replica reads the parent's chunks from its own disk: fetch them
                # into its cache first (blocking: a derived query's start is rare and waits
                # for its parent's chunks anyway)
                index = self.store.prepare(record, None, 0, record.row_count or 0)  # type: ignore[attr-defined]
            else:
                index = self.store.index(record)
        if record is None or index is None:
            raise ApiError(
                404,
                ErrorType.NOTFOUND,
                f"result('{query_id}'): no completed, unexpired result of that query in this org",
                query_id=None,
            )
        return StoredResult(query_id, self.store.path(record), index)

    async def submit(
        self,
        principal: Principal,
        sql: str,
        params: Mapping[str, Any],
        *,
        timeout_s: float,
        unpaginated: bool,
        query_lambda_path: str | None = None,
        derived_from: str | None = None,
    ) -> LiveQuery:
        if self.closing:
            raise ApiError(503, ErrorType.SERVICEUNAVAILABLE, "the service is shutting down; try again shortly")
        if self.runner.running_count(principal.org) >= self.settings.max_running_per_org:
            raise ApiError(
                429,
                ErrorType.RATELIMITEXCEEDED,
                f"too many queries running for this org (limit {self.settings.max_running_per_org}); "
                "wait for some to finish or cancel them",
                headers={"Retry-After": "1"},
            )
        engine = None
        try:
            calls = find_calls(sql)
            if calls:  # checked with the parameters bound, as DuckDB will parse it
                check_reading(sqlparams.bind(sql, params, self.derived.param_style)[0])
        except (DerivedError, ParameterError) as exc:
            raise invalid(exc.message, line=exc.line, column=exc.column) from None
        except SqlError as exc:
            raise ApiError(400, ErrorType.QUERY_ERROR, exc.message, line=exc.line, column=exc.column) from None
        if calls:
            sources = {call.query_id: self.stored_result(principal, call.query_id) for call in calls}
            engine = self.derived.bind(sql, calls, sources)
            derived_from = derived_from or calls[0].query_id
        try:
            self.store.admit_sql(sql)
        except QuotaExceeded as exc:
            raise ApiError(400, ErrorType.RESOURCEEXCEEDED, str(exc)) from None
        record = QueryRecord(
            query_id=new_query_id(),
            org=principal.org,
            executed_by=principal.user,
            sql=sql,
            status=QueryStatus.QUEUED,
            directory=self.store.new_directory_name(),
            submitted_at=self.clock(),
            query_lambda_path=query_lambda_path,
            derived_from=derived_from,
        )
        # the registry's commit waits for an fsync: off the event loop, which serves pages meanwhile
        await asyncio.to_thread(self.store.registry.insert, record)
        return self.runner.submit(record, params, timeout_s=timeout_s, unpaginated=unpaginated, engine=engine)

    async def check_sql(self, sql: str, *, validate: bool = False) -> list[str]:
        """Parse ``sql`` with the engine's parser and check its statement kind, never running
        it (``validate``: as thoroughly as the engine can, for ``POST /queries/validations``):
        the names of its ``:name`` parameters, or a 400 saying what is wrong."""
        text, names = sqlparams.rewrite(sql, self.param_style(sql))
        try:
            derived = bool(find_calls(sql))
        except DerivedError:
            derived = True  # submit() reports the malformed call
        if derived:  # SQL over stored results runs on the derived engine, which checks it itself
            return list(dict.fromkeys(names))
        try:
            await asyncio.to_thread(self.engine.validate if validate else self.engine.check, text)
        except StatementNotAllowed as exc:
            raise invalid(exc.message) from None
        except SqlError as exc:
            raise ApiError(400, ErrorType.QUERY_ERROR, exc.message, line=exc.line, column=exc.column) from None
        except EngineError as exc:
            raise ApiError(503, ErrorType.SERVICEUNAVAILABLE, exc.message) from None
        return list(dict.fromkeys(names))

    def lookup(self, principal: Principal, query_id: str) -> tuple[QueryRecord, LiveQuery | None]:
        """The query ``query_id`` if ``principal`` may see it; another org's query is
        indistinguishable from one that does not exist."""
        live = self.runner.live(query_id)
        if live is not None and live.record.org != principal.org:
            live = None  # someone else's running query: answer exactly as for no query
        record = live.record if live is not None else self.store.registry.get(query_id, principal.org)
        if record is None:
            raise not_found(query_id=None)
        if live is None and record.expires_at is not None and record.expires_at <= self.clock():
            raise ApiError(
                410,
                ErrorType.NOTFOUND,
                f"the result of this query expired at {format_ts(record.expires_at)}; run the query again",
                query_id=query_id,
                expired_at=format_ts(record.expires_at),
            )
        return record, live

    def list(
        self, principal: Principal, *, cursor: str | None = None, limit: int = LIST_LIMIT
    ) -> tuple[list[tuple[QueryRecord, LiveQuery | None]], str | None]:
        """A page of ``principal``'s org's queries, newest first, and the cursor of the next
        page (``None`` on the last). A page holds up to ``limit`` queries and, beyond the
        first, no more than ``page_max_bytes`` of SQL text."""
        after = _decode_list_cursor(cursor) if cursor else None
        found = self.store.registry.list_page(principal.org, self.clock(), after=after, limit=limit + 1)
        page: list[tuple[QueryRecord, LiveQuery | None]] = []
        budget = self.settings.page_max_bytes
        last = (0.0, 0)  # where the page ends (set before it is needed: a page is never empty)
        for record, position in found[:limit]:
            budget -= len(record.sql)
            if page and budget < 0:
                return page, _encode_list_cursor(last)
            page.append((record, self.runner.live(record.query_id)))
            last = position
        return page, _encode_list_cursor(last) if len(found) > limit else None

    async def cancel_or_drop(self, record: QueryRecord, live: LiveQuery | None) -> QueryRecord:
        if live is not None:
            if self.runner.cancel(record.query_id):
                return live.record  # CANCELLED now, and it stays so: the runner saves it
            # too late to cancel: the query completed or failed just now; once its final state
            # is saved it is dropped like any finished query
            await live.finished.wait()
            record = self.store.registry.get(record.query_id, record.org) or record
        elif not record.status.is_final and self.store.remote:
            # running on another replica, which polls for cancel requests with its heartbeat
            if await asyncio.to_thread(self.store.request_cancel, record.query_id):  # type: ignore[attr-defined]
                record.status = QueryStatus.CANCELLED
            return record
        if record.status.is_final:
            # deleting a large result is thousands of unlinks and a registry fsync
            await asyncio.to_thread(self.store.drop, record)
        return record

    def decode_cursor(self, record: QueryRecord, cursor: str) -> int:
        try:
            return self.store.cursors.decode(record.query_id, cursor)
        except CursorError as exc:
            raise invalid(f"invalid cursor: {exc}", query_id=record.query_id) from None

    def cursor(self, record: QueryRecord, offset: int) -> str:
        return self.store.cursors.encode(record.query_id, offset)

    # -- pages ------------------------------------------------------------------------------

    async def page(
        self,
        record: QueryRecord,
        live: LiveQuery | None,
        position: int,
        docs: int,
        *,
        wait: bool = True,
        arrow: bool = False,
        bounded: bool = True,
    ) -> PageSlice:
        """Rows from ``position`` on, at most ``docs`` and, if ``bounded``, at most
        ``page_max_bytes`` of them (as Arrow if ``arrow``, else as JSON). For a running query,
        wait (bounded) for rows to exist there; never answer an empty page while rows may still
        come. Large pages are built on a thread: the event loop keeps serving everyone else."""
        if position > MAX_OFFSET + 100_000:
            raise invalid("offset is past the largest allowed position")
        max_bytes = self.settings.page_max_bytes if bounded else None
        if live is not None:
            deadline = time.monotonic() + (self.settings.page_wait_s if wait else 0)
            while not live.finished.is_set() and live.rows_stored <= position:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise ApiError(
                        503,
                        ErrorType.NOT_READY,
                        f"the query is {live.record.status.value.lower()} and has stored "
                        f"{live.rows_stored:,} rows so far; ask again shortly",
                        query_id=record.query_id,
                        headers={"Retry-After": "1"},
                    )
                await live.wait_changed(remaining)
            if not live.finished.is_set() and live.index is not None:
                index = live.index
                try:
                    rows = read_rows(self.store.path(record), index, position, docs)
                except FileNotFoundError:
                    # the query failed or was cancelled just now and its chunks are going
                    rows = None
                if rows is not None:
                    columns = [{"name": f.name, "type": field_type_name(f)} for f in index.schema]
                    return await self._slice(rows, position, None, live.record.status, columns, arrow, max_bytes)
                await live.finished.wait()
            record = self.store.registry.get(record.query_id) or record
        elif self.store.remote:
            remote = await self._elsewhere(
                self.store,  # type: ignore[arg-type]
                record,
                position,
                docs,
                wait=wait,
                arrow=arrow,
                max_bytes=max_bytes,
            )
            if isinstance(remote, PageSlice):
                return remote
            record = remote
        if not arrow:
            rendered = self.rendered_page(record, position, docs, bounded=bounded, read_limit=INLINE_READ_BYTES)
            if rendered is not None and rendered.rendered is None:  # rendered, but large to read
                rendered = await asyncio.to_thread(self.rendered_page, record, position, docs, bounded=bounded)
            if rendered is not None and rendered.rendered is not None:
                return rendered
            if (record.row_count or 0) >= _RENDER_MIN_ROWS:
                self._admit(record, position, docs)
        return await self._stored_page(record, position, docs, arrow, max_bytes)

    async def _slice(
        self,
        rows: pa.Table,
        position: int,
        total: int | None,
        status: QueryStatus,
        columns: list[dict[str, str]],
        arrow: bool,
        max_bytes: int | None,
    ) -> PageSlice:
        """The page of ``rows``: cut to ``max_bytes``, and as JSON unless ``arrow``."""
        if arrow:
            rows = rows_within(rows, max_bytes)
            return PageSlice(rows, rows.num_rows, position, total, status, columns)
        if rows.nbytes <= _INLINE_BYTES and rows.num_rows <= _INLINE_ROWS:
            rendered, count = documents_within(rows, max_bytes)
        else:
            rendered, count = await asyncio.to_thread(documents_within, rows, max_bytes)
        return PageSlice(None, count, position, total, status, columns, rendered)

    async def _elsewhere(
        self,
        store: ClusterStore,
        record: QueryRecord,
        position: int,
        docs: int,
        *,
        wait: bool,
        arrow: bool,
        max_bytes: int | None,
    ) -> PageSlice | QueryRecord:
        """A cluster replica answering for a result it may not have: rows of a query running
        on another replica (following its progress object), or the chunks of a completed
        result fetched into the local cache. Returns the page, or the (fresh) record when the
        ordinary path can now answer from the local disk."""
        deadline = time.monotonic() + (self.settings.page_wait_s if wait else 0)
        while not record.status.is_final:
            progress = await asyncio.to_thread(store.progress, record)
            if progress is not None and progress.rows > position:
                index = await asyncio.to_thread(store.prepare, record, progress, position, docs)
                if index is not None:
                    rows = read_rows(store.path(record), index, position, docs)
                    return await self._slice(rows, position, None, record.status, _columns(index), arrow, max_bytes)
            if time.monotonic() >= deadline:
                raise ApiError(
                    503,
                    ErrorType.NOT_READY,
                    f"the query is {record.status.value.lower()} and has stored "
                    f"{progress.rows if progress else 0:,} rows so far; ask again shortly",
                    query_id=record.query_id,
                    headers={"Retry-After": "1"},
                )
            await asyncio.sleep(min(0.1, max(0.0, deadline - time.monotonic())))
            record = await asyncio.to_thread(store.registry.get, record.query_id) or record
        if record.status is QueryStatus.COMPLETED and not store.ready(record, position, docs):
            await asyncio.to_thread(store.prepare, record, None, position, docs)
        return record

    def _admit(self, record: QueryRecord, position: int, docs: int) -> None:
        """Count this read; the chunks it makes due are rendered on the renderer threads, and
        this read, which no request waits for, is answered from Arrow."""
        index = self.store.index(record)
        if index is None:
            return
        path = self.store.path(record)
        for chunk in self.store.rendered.admit(path, index, position, docs):
            self._renderer.submit(self.store.rendered.render, path, chunk).add_done_callback(_log_failure)

    def rendered_page(
        self, record: QueryRecord, position: int, docs: int, *, bounded: bool = True, read_limit: int | None = None
    ) -> PageSlice | None:
        """The page if it can be answered from already-rendered JSON, else ``None``; it raises
        nothing and changes nothing (not even what counts as read), so a caller can always
        fall back to :meth:`page` as if it had never asked. A page over ``read_limit`` bytes
        comes without its JSON (``rendered`` is ``None``): the caller reads it on a thread."""
        if record.status is not QueryStatus.COMPLETED or position > MAX_OFFSET + 100_000:
            return None
        index = self.store.index(record)
        if index is None:
            return None
        max_bytes = self.settings.page_max_bytes if bounded else None
        found = self.store.rendered.page_within(self.store.path(record), index, position, docs, max_bytes, read_limit)
        if found is None:
            return None
        columns = record.columns or _columns(index)
        return PageSlice(None, found.count, position, index.rows, record.status, columns, found.json)

    async def _stored_page(
        self, record: QueryRecord, position: int, docs: int, arrow: bool, max_bytes: int | None
    ) -> PageSlice:
        if record.status is not QueryStatus.COMPLETED:
            raise _unfinished_error(record)
        index = self.store.index(record)
        if index is None:
            raise ApiError(
                410, ErrorType.NOTFOUND, "the result of this query is no longer stored", query_id=record.query_id
            )
        columns = record.columns or _columns(index)
        try:
            rows = read_rows(self.store.path(record), index, position, docs)
        except FileNotFoundError:  # dropped or expired between the lookup and the read
            raise ApiError(
                410, ErrorType.NOTFOUND, "the result of this query is no longer stored", query_id=record.query_id
            ) from None
        return await self._slice(rows, position, index.rows, record.status, columns, arrow, max_bytes)


def _encode_list_cursor(position: tuple[float, int]) -> str:
    return base64.urlsafe_b64encode(f"{position[0]!r}:{position[1]}".encode()).decode().rstrip("=")


def _decode_list_cursor(cursor: str) -> tuple[float, int]:
    try:
        submitted, rowid = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().split(":")
        return float(submitted), int(rowid)
    except (ValueError, UnicodeDecodeError):
        raise invalid("invalid cursor: not one this list handed out") from None


def _open_lambdas(store: Store, clock: Clock) -> LambdaStore:
    if store.remote:
        from tui.store.pg_shim import SqliteStylePg

        return LambdaStore(None, clock=clock, db=SqliteStylePg(store.registry.dsn))  # type: ignore[attr-defined]
    return LambdaStore(store.registry.path, clock=clock)  # type: ignore[attr-defined]


def _open_store(settings: ServiceSettings, clock: Clock) -> Store:
    CHUNKS.resize(settings.mapped_chunk_bytes)  # one cache per process: the last service's bound
    common = dict(
        clock=clock,
        expiry=timedelta(seconds=settings.expiry_s),
        quota_bytes=settings.quota_bytes,
        min_free_bytes=settings.min_free_bytes,
        chunk_rows=settings.chunk_rows,
        rendered_cache_bytes=settings.rendered_cache_bytes,
    )
    if not settings.clustered:
        return Store(settings.store_dir, **common)
    from tui.store.cluster import open_cluster_store

    if not (settings.registry and settings.results):
        raise ValueError("a cluster needs both --registry postgresql://… and --results s3://bucket/prefix")
    return open_cluster_store(
        root=settings.store_dir,
        registry_url=settings.registry,
        results_url=settings.results,
        lease_s=settings.lease_s,
        local_cache_bytes=settings.local_cache_bytes,
        **common,
    )


def _log_failure(future: Future) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.error("rendering a chunk failed", exc_info=future.exception())


def _columns(index: ResultIndex) -> list[dict[str, str]]:
    return [{"name": f.name, "type": field_type_name(f)} for f in index.schema]


def _unfinished_error(record: QueryRecord) -> ApiError:
    error = record.error or {}
    if record.status is QueryStatus.CANCELLED:
        return ApiError(
            400, ErrorType.QUERY_CANCELLED, "the query was cancelled; it has no results", query_id=record.query_id
        )
    return ApiError(
        400,
        error.get("type") or ErrorType.QUERY_ERROR,
        f"the query failed, so it has no results: {error.get('message', 'unknown error')}",
        line=error.get("line"),
        column=error.get("column"),
        query_id=record.query_id,
    )
