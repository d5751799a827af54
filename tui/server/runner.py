"""The runner: executes queries on worker threads and streams their rows into the store.

Each query gets a :class:`LiveQuery` while it is queued or running. Its result index is shared
with the page handlers, which is what makes rows of a running query pageable: every stored
chunk wakes the handlers waiting for rows (``notify`` hops from the worker thread to the event
loop). A query's record is saved in its final state *before* it stops being live, so a handler
that finds no live query can trust the registry.
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

    def __init__(self, record: QueryRecord, params: Mapping[str, Any], timeout_s: float, unpaginated: bool):
        self.record = record
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
        self._lock = threading.Lock()

    # -- public API (event loop) ------------------------------------------------------------

    def live(self, query_id: str) -> LiveQuery | None:
        return self._live.get(query_id)

    def submit(
        self, record: QueryRecord, params: Mapping[str, Any], *, timeout_s: float, unpaginated: bool
    ) -> LiveQuery:
        """Start ``record`` (already in the registry) on a worker thread."""
        self._loop = asyncio.get_running_loop()
        live = LiveQuery(record, params, timeout_s, unpaginated)
        self._live[record.query_id] = live
        live.timer = self._loop.call_later(timeout_s, self.cancel, record.query_id, "timeout")
        self._pool.submit(self._execute, live)
        return live

    def cancel(self, query_id: str, reason: str = "cancelled") -> bool:
        """Stop a queued or running query; ``False`` if it is not running."""
        live = self._live.get(query_id)
        if live is None or live.finished.is_set():
            return False
        if live.cancel_reason is None:
            live.cancel_reason = reason
        execution = live.execution
        if execution is not None:
            execution.cancel()
        return True

    async def shutdown(self) -> None:
        for query_id in list(self._live):
            self.cancel(query_id, "shutdown")
        await asyncio.to_thread(self._pool.shutdown, wait=True, cancel_futures=False)

    def is_queued(self, live: LiveQuery) -> bool:
        """Will ``live`` wait for a free worker? (Then nothing about it will be known soon.)"""
        ahead = [q for q in self._live.values() if q is not live and not q.finished.is_set()]
        return live.record.status is QueryStatus.QUEUED and len(ahead) >= self._max_workers

    def live_ids(self) -> list[str]:
        return list(self._live)

    def running_count(self, org: str) -> int:
        return sum(1 for live in self._live.values() if live.record.org == org)

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
            if live.cancel_reason:
                raise Cancelled("query cancelled before it started")
            record.status = QueryStatus.RUNNING
            record.started_at = self.store.clock()
            self.store.registry.save(record)
            self._post(live, live.notify)
            execution = self.engine.start(record.sql, live.params)
            live.execution = execution
            if live.cancel_reason:
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
            if live.cancel_reason:
                raise Cancelled("query cancelled")
            if writer is None:  # no rows at all
                writer = self._open_writer(live, execution)
            index = writer.finish()
            self.store.finished_writing(record, index)
            self._complete(live, index)
        except Cancelled:
            if live.cancel_reason == "timeout":
                self._fail(live, ErrorType.QUERY_TIMEOUT, _timeout_message(live.timeout_s))
            elif live.cancel_reason == "shutdown":
                self._fail(
                    live, ErrorType.INTERNALERROR, "the service stopped while this query was running; run it again"
                )
            else:
                self._fail(live, None, "query cancelled", status=QueryStatus.CANCELLED)
        except SqlError as exc:
            self._fail(live, ErrorType.QUERY_ERROR, exc.message, line=exc.line, column=exc.column)
        except ParameterError as exc:
            self._fail(live, ErrorType.INVALIDINPUT, exc.message)
        except QuotaExceeded as exc:
            self._fail(live, ErrorType.RESOURCEEXCEEDED, str(exc))
        except ResultTooLarge as exc:
            self._fail(live, ErrorType.CONTENTTOOLARGE, str(exc))
        except Exception as exc:  # the engine or the disk failed in a way we did not foresee
            log.exception("query %s failed", record.query_id)
            self._fail(live, ErrorType.INTERNALERROR, f"query failed: {type(exc).__name__}: {exc}")
        finally:
            if execution is not None:
                execution.close()
            self._post(live, lambda: self._retire(live))

    def _open_writer(self, live: LiveQuery, execution: Execution) -> ResultWriter:
        writer = self.store.writer(live.record, execution.schema, on_chunk=lambda: self._post(live, live.notify))
        live.record.columns = [{"name": f.name, "type": field_type_name(f)} for f in execution.schema]
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
