"""The runner: executes queries on worker threads and streams their rows into the store.

Each query gets a :class:`LiveQuery` while it is queued or running. Its result index is shared
with the page handlers, which is what makes rows of a running query pageable: every stored
chunk wakes the handlers waiting for rows (``notify`` hops from the worker thread to the event
loop). A query's record is saved in its final state *before* it stops being live, so a handler
that finds no live query can trust the registry.

Queries wait for a worker in a :class:`~tui.server.fairqueue.FairQueue`, not in the thread
pool's own first-come-first-served queue: an org using many workers yields to one using none,
and a queued query that is cancelled or times out ends at once, without waiting for a worker.

How a query ends is decided once, under its lock (:meth:`Runner._settle`): a cancel that got
there first wins even if the rows are all stored by then, and a cancel that comes after the
outcome was settled is refused. So a client told ``CANCELLED`` never later reads
``COMPLETED``.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from tui.engines.base import Cancelled, Engine, Execution, ParameterError, SqlError, field_type_name
from tui.engines.statements import StatementNotAllowed
from tui.server.fairqueue import FairQueue
from tui.store.registry import QueryRecord
from tui.store.resultset import QuotaExceeded, ResultIndex, ResultWriter
from tui.store.store import Store
from tui.wire import UNPAGINATED_MAX_BYTES, UNPAGINATED_MAX_ROWS, ErrorType, QueryStatus

log = logging.getLogger("folio.runner")

TOO_LARGE_ROWS = (
    "Query result contains more than 100,000 rows. Paginate the query (set max_initial_results, "
    "or sql.paginate) to fetch a larger result page by page."
)
TOO_LARGE_BYTES = (
    "Query result contains more than 100MiB. Paginate the query (set max_initial_results, "
    "or sql.paginate) to fetch a larger result page by page."
)


class ResultTooLarge(Exception):
    pass


class LiveQuery:
    """A query that is queued or running, as the event loop sees it."""

    def __init__(
        self,
        record: QueryRecord,
        params: Mapping[str, Any],
        timeout_s: float,
        unpaginated: bool,
        engine: Engine | None = None,
    ):
        self.record = record
        #: the engine this query runs on when not the service's (a query over stored results)
        self.engine = engine
        self.params = dict(params)
        self.timeout_s = timeout_s
        self.unpaginated = unpaginated
        self.execution: Execution | None = None
        self.index: ResultIndex | None = None
        self.cancel_reason: str | None = None
        self.started = asyncio.Event()  # the statement was accepted (or failed)
        self.finished = asyncio.Event()
        self._changed = asyncio.Event()
        self.timer: asyncio.TimerHandle | None = None
        self.monotonic_start = time.monotonic()
        #: guards ``cancel_reason``, ``execution`` and ``settled`` between the event loop and
        #: the worker thread
        self.lock = threading.Lock()
        #: the outcome is decided (completed or failed): a cancel comes too late
        self.settled = False
        #: handed to a worker (else it waits in the fair queue)
        self.dispatched = False

    @property
    def query_id(self) -> str:
        return self.record.query_id

    @property
    def rows_stored(self) -> int:
        return self.index.rows if self.index is not None else 0

    def notify(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def wait_changed(self, timeout: float) -> None:
        """Return when more rows are stored, the state changes, or ``timeout`` passes."""
        changed = self._changed
        try:
            await asyncio.wait_for(changed.wait(), timeout)
        except TimeoutError:
            pass


class Runner:
    def __init__(self, engine: Engine, store: Store, *, max_workers: int = 4):
        self.engine = engine
        self.store = store
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="folio-query")
        self._max_workers = max_workers
        self._live: dict[str, LiveQuery] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()  # guards the queue, the busy count and closing
        self._queue: FairQueue[LiveQuery] = FairQueue()
        self._busy = 0
        self._closing = False
        # queued queries that were cancelled or timed out, being ended off the event loop
        self._ending: set[asyncio.Future] = set()

    # -- public API (event loop) ------------------------------------------------------------

    def live(self, query_id: str) -> LiveQuery | None:
        return self._live.get(query_id)

    def submit(
        self,
        record: QueryRecord,
        params: Mapping[str, Any],
        *,
        timeout_s: float,
        unpaginated: bool,
        engine: Engine | None = None,
    ) -> LiveQuery:
        """Queue ``record`` (already in the registry) for a worker thread, to run on ``engine``
        if given, else on the service's engine. Its timeout counts from now, queued time included."""
        self._loop = asyncio.get_running_loop()
        live = LiveQuery(record, params, timeout_s, unpaginated, engine)
        self._live[record.query_id] = live
        live.timer = self._loop.call_later(timeout_s, self.cancel, record.query_id, "timeout")
        with self._lock:
            self._queue.push(record.org, live)
        self._dispatch()
        return live

    def cancel(self, query_id: str, reason: str = "cancelled") -> bool:
        """Stop a queued or running query; ``False`` if it is not running or its outcome is
        already settled (it completed or failed just now). A client's cancel takes precedence
        over a timeout or shutdown that has not taken effect yet."""
        live = self._live.get(query_id)
        if live is None or live.finished.is_set():
            return False
        with live.lock:
            if live.settled:
                return False
            if live.cancel_reason is None or reason == "cancelled":
                live.cancel_reason = reason
                if reason == "cancelled":
                    live.record.status = QueryStatus.CANCELLED  # what everyone sees from now on
            execution = live.execution
        with self._lock:
            queued = self._queue.remove(live.record.org, live)
        if queued:
            # it never ran and never will: end it now rather than when a worker is free (the
            # registry write waits for an fsync, so not on the event loop)
            ending = asyncio.get_running_loop().run_in_executor(None, self._end_unstarted, live)
            self._ending.add(ending)
            ending.add_done_callback(self._ending.discard)
        elif execution is not None:
            execution.cancel()
        return True

    def cancel_all(self, reason: str) -> None:
        for query_id in list(self._live):
            self.cancel(query_id, reason)

    async def shutdown(self) -> None:
        with self._lock:
            self._closing = True
        self.cancel_all("shutdown")
        if self._ending:
            await asyncio.gather(*self._ending, return_exceptions=True)
        await asyncio.to_thread(self._pool.shutdown, wait=True, cancel_futures=False)

    def is_queued(self, live: LiveQuery) -> bool:
        """Is ``live`` waiting for a free worker? (Then nothing about it will be known soon.)"""
        with self._lock:
            return not live.dispatched

    def running_count(self, org: str) -> int:
        return sum(1 for live in self._live.values() if live.record.org == org)

    # -- scheduling (any thread) ------------------------------------------------------------

    def _dispatch(self) -> None:
        """Hand queued queries to free workers, fairly between orgs."""
        while True:
            with self._lock:
                if self._closing or self._busy >= self._max_workers:
                    return
                popped = self._queue.pop()
                if popped is None:
                    return
                _, live = popped
                live.dispatched = True
                self._busy += 1
            try:
                self._pool.submit(self._work, live)
            except RuntimeError:  # the pool shut down meanwhile: the service is stopping
                with self._lock:
                    self._busy -= 1
                    self._queue.done(live.record.org)
                with live.lock:
                    live.cancel_reason = live.cancel_reason or "shutdown"
                self._end_unstarted(live)
                return

    def _work(self, live: LiveQuery) -> None:
        try:
            self._execute(live)
        finally:
            with self._lock:
                self._busy -= 1
                self._queue.done(live.record.org)
            self._dispatch()

    def _end_unstarted(self, live: LiveQuery) -> None:
        try:
            self._end(live, Cancelled("query cancelled before it started"))
        finally:
            self._post(live, lambda: self._retire(live))

    # -- worker thread ----------------------------------------------------------------------

    def _post(self, live: LiveQuery, callback) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            loop.call_soon_threadsafe(callback)
        except RuntimeError:  # loop closing during shutdown
            pass

    def _execute(self, live: LiveQuery) -> None:
        record = live.record
        writer: ResultWriter | None = None
        execution: Execution | None = None
        try:
            with live.lock:
                if live.cancel_reason:
                    raise Cancelled("query cancelled before it started")
                record.status = QueryStatus.RUNNING
            record.started_at = self.store.clock()
            self.store.registry.save(record)
            self._post(live, live.notify)
            execution = (live.engine or self.engine).start(record.sql, live.params)
            with live.lock:
                live.execution = execution
                cancelled = live.cancel_reason is not None
            if cancelled:
                execution.cancel()
            self._post(live, live.started.set)
            for batch in execution.batches():
                if writer is None:
                    writer = self._open_writer(live, execution)
                writer.append(batch)
                if live.unpaginated:
                    if writer.appended_rows > UNPAGINATED_MAX_ROWS:
                        raise ResultTooLarge(TOO_LARGE_ROWS)
                    if writer.appended_bytes > UNPAGINATED_MAX_BYTES:
                        raise ResultTooLarge(TOO_LARGE_BYTES)
            if writer is None:  # no rows at all
                writer = self._open_writer(live, execution)
            index = writer.finish()
            if self._settle(live) is not None:
                raise Cancelled("query cancelled")
            self._complete(live, index)
        except Exception as exc:
            self._end(live, exc)
        finally:
            if execution is not None:
                execution.close()
            self._post(live, lambda: self._retire(live))

    def _settle(self, live: LiveQuery) -> str | None:
        """Decide the outcome now: the cancel reason if a cancel got here first, else ``None``
        (the caller's outcome stands, and later cancels are refused)."""
        with live.lock:
            live.settled = True
            return live.cancel_reason

    def _end(self, live: LiveQuery, exc: Exception) -> None:
        """Record how a query that did not complete ended. A cancel that came first decides,
        whatever the engine raised on being interrupted."""
        reason = self._settle(live)
        if reason == "timeout":
            self._fail(live, ErrorType.QUERY_TIMEOUT, _timeout_message(live.timeout_s))
        elif reason == "shutdown":
            self._fail(live, ErrorType.INTERNALERROR, "the service stopped while this query was running; run it again")
        elif reason is not None or isinstance(exc, Cancelled):
            self._fail(live, None, "query cancelled", status=QueryStatus.CANCELLED)
        elif isinstance(exc, SqlError):
            self._fail(live, ErrorType.QUERY_ERROR, exc.message, line=exc.line, column=exc.column)
        elif isinstance(exc, (ParameterError, StatementNotAllowed)):
            self._fail(live, ErrorType.INVALIDINPUT, exc.message)
        elif isinstance(exc, QuotaExceeded):
            self._fail(live, ErrorType.RESOURCEEXCEEDED, str(exc))
        elif isinstance(exc, ResultTooLarge):
            self._fail(live, ErrorType.CONTENTTOOLARGE, str(exc))
        else:  # the engine or the disk failed in a way we did not foresee
            log.error("query %s failed", live.query_id, exc_info=exc)
            self._fail(live, ErrorType.INTERNALERROR, f"query failed: {type(exc).__name__}: {exc}")

    def _open_writer(self, live: LiveQuery, execution: Execution) -> ResultWriter:
        writer = self.store.writer(live.record, execution.schema, on_chunk=lambda: self._post(live, live.notify))
        live.record.columns = [{"name": f.name, "type": field_type_name(f)} for f in writer.index.schema]
        live.index = writer.index
        return writer

    def _complete(self, live: LiveQuery, index: ResultIndex) -> None:
        record = live.record
        now = self.store.clock()
        record.status = QueryStatus.COMPLETED
        record.finished_at = now
        record.expires_at = now + self.store.expiry
        record.row_count = index.rows
        record.byte_size = index.nbytes
        record.file_count = len(index.chunks)
        record.elapsed_ms = int((time.monotonic() - live.monotonic_start) * 1000)
        self.store.registry.save(record)

    def _fail(
        self,
        live: LiveQuery,
        type_: ErrorType | None,
        message: str,
        *,
        status: QueryStatus = QueryStatus.ERROR,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        record = live.record
        self.store.remove_result(record)
        now = self.store.clock()
        record.status = status
        record.finished_at = now
        record.expires_at = now + self.store.expiry
        record.row_count = record.byte_size = record.file_count = None
        record.elapsed_ms = int((time.monotonic() - live.monotonic_start) * 1000)
        record.error = {
            "type": (type_ or ErrorType.QUERY_CANCELLED).value,
            "message": message,
            "line": line,
            "column": column,
        }
        self.store.registry.save(record)

    def _retire(self, live: LiveQuery) -> None:
        if live.timer is not None:
            live.timer.cancel()
        live.started.set()
        live.finished.set()
        live.notify()
        self._live.pop(live.query_id, None)


def _timeout_message(timeout_s: float) -> str:
    return (
        f"Query timeout reached ({timedelta(seconds=round(timeout_s))}). To extend the query timeout, "
        "run an async query by setting `async` to true, or set a larger timeout_ms."
    )
