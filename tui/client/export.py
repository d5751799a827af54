"""Stream a stored result into a file, page by page, atomically.

A file is written through :func:`~tui.client.writers.atomic_output`: it appears under its
name only after the last row is written and flushed, so an export that fails (server gone,
query error, disk full, Ctrl-C, SIGTERM) never leaves a truncated file that looks complete.
Standard output (``-``), a FIFO or a device is written through as a stream instead
(:func:`~tui.client.writers.output_stream`).

CSV and Parquet ask for Arrow pages (fast, and type-faithful for Parquet) and fall back to JSON
pages if the server does not speak Arrow. JSON Lines uses the JSON pages, so each line is the
document exactly as the API returns it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from tui.client.errors import FolioError
from tui.client.query_client import QueryClient
from tui.client.results import Page
from tui.client.writers import ExportFormat, OutputError, RowWriter, is_stream_target, open_writer, output_stream

__all__ = ["ExportError", "ExportStats", "OutputFailed", "export_query"]

#: rows per Arrow page: big enough to amortise each round trip, small enough to keep memory flat
ARROW_PAGE_DOCS = 50_000
#: rows per JSON page (the server's default page size)
JSON_PAGE_DOCS = 10_000

Progress = Callable[[int, "int | None"], None]
_T = TypeVar("_T")


class ExportError(FolioError):
    """The export itself failed: the file cannot be written, rows do not fit, a short result."""


class OutputFailed(ExportError):
    """The output cannot be written (disk full, permission, a reader that went away)."""

    #: the commands' exit code 2 ("unwritable output"), see tui.client.console.exit_code_for
    unwritable_output = True


class _Counted:
    """A binary stream that counts what is written to it (a stream target has no size)."""

    def __init__(self, stream: Any):
        self._stream = stream
        self.written = 0

    def write(self, data: Any) -> int:
        count = self._stream.write(data)
        self.written += len(data) if count is None else count
        return count if count is not None else len(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@dataclass(frozen=True, slots=True)
class ExportStats:
    path: Path
    format: ExportFormat
    rows: int
    bytes: int
    seconds: float
    #: whether the rows came as Arrow (folio's bulk path) rather than JSON
    arrow: bool

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else float("inf")


async def export_query(
    client: QueryClient,
    query_id: str,
    path: str | os.PathLike[str],
    fmt: ExportFormat,
    *,
    docs: int | None = None,
    progress: Progress | None = None,
    columns: Sequence[str] | None = None,
) -> ExportStats:
    """Write every row of query ``query_id`` to ``path`` in ``fmt``; the query may still be running.

    ``progress(rows_written, total)`` is called after each page (``total`` is ``None`` while the
    query runs). ``columns`` writes only those columns, in that order (the app's "what I see").
    Raises a :class:`~tui.client.errors.FolioError` on any failure, leaving no file.
    """
    target = Path(path)
    started = time.perf_counter()
    try:
        with output_stream(target) as raw:
            stream = _Counted(raw)
            writer = _Guarded(open_writer(fmt, stream), target)  # type: ignore[arg-type]
            if columns is not None:
                writer = _Projected(writer, list(columns))  # type: ignore[assignment]
            try:
                rows, arrow = await _copy(client, query_id, fmt, writer, docs, progress)
            finally:
                writer.close()
    except OutputError as exc:
        raise OutputFailed(str(exc)) from None
    return ExportStats(
        path=target,
        format=fmt,
        rows=rows,
        bytes=stream.written if is_stream_target(target) else target.stat().st_size,
        seconds=time.perf_counter() - started,
        arrow=arrow,
    )


async def _copy(
    client: QueryClient,
    query_id: str,
    fmt: ExportFormat,
    writer: RowWriter,
    docs: int | None,
    progress: Progress | None,
) -> tuple[int, bool]:
    use_arrow = fmt is not ExportFormat.JSONL
    if use_arrow:
        pages = client.arrow_pages(query_id, docs=docs or ARROW_PAGE_DOCS)
    else:
        pages = client.pages(query_id, docs=docs or JSON_PAGE_DOCS)
    total: int | None = None
    arrow = False
    async for item in _prefetched(pages):
        if item.total is not None:
            total = item.total
        # Encoding a page (Parquet, CSV) runs in a worker thread: the next page is fetched
        # meanwhile, and an event loop shared with a UI or the embedded service never stalls.
        if isinstance(item, Page):
            await asyncio.to_thread(writer.write_rows, item.rows, [c.name for c in item.columns])
        else:
            arrow = True
            await asyncio.to_thread(writer.write_arrow, item.table)
        if progress is not None:
            progress(writer.rows_written, total)
    if writer.rows_written == 0:
        await _write_empty(client, query_id, writer)
    if total is not None and writer.rows_written != total:
        # Never keep a file that silently misses rows.
        raise ExportError(f"wrote {writer.rows_written:,} rows but the result has {total:,}; not keeping the file")
    return writer.rows_written, arrow


async def _prefetched(pages: AsyncIterator[_T]) -> AsyncIterator[_T]:
    """``pages`` with the next item already being fetched while the caller handles the current
    one: at most two pages in memory, and the network and the writer overlap."""
    iterator = aiter(pages)
    pending: asyncio.Future[_T] = asyncio.ensure_future(anext(iterator))
    try:
        while True:
            try:
                item = await pending
            except StopAsyncIteration:
                return
            pending = asyncio.ensure_future(anext(iterator))
            yield item
    finally:
        if not pending.done():
            pending.cancel()
            with contextlib.suppress(BaseException):
                await pending
        aclose = getattr(iterator, "aclose", None)
        if aclose is not None:
            await aclose()


class _Projected:
    """A writer that keeps only ``columns``, in their order, of every page it is given."""

    def __init__(self, writer: Any, columns: list[str]):
        self._writer = writer
        self._columns = columns

    @property
    def rows_written(self) -> int:
        return self._writer.rows_written

    def write_arrow(self, table: Any) -> None:
        self._writer.write_arrow(table.select(self._columns))

    def write_rows(self, rows: Sequence[dict[str, Any]], names: Sequence[str]) -> None:
        self._writer.write_rows([{name: row.get(name) for name in self._columns} for row in rows], self._columns)

    def close(self) -> None:
        self._writer.close()


class _Guarded:
    """A writer whose failures (disk full, rows that do not fit) become :class:`ExportError`,
    told apart from failures of the server or the network that happen in between."""

    def __init__(self, writer: RowWriter, target: Path):
        self._writer = writer
        self._target = target

    @property
    def rows_written(self) -> int:
        return self._writer.rows_written

    def _fail(self, exc: Exception) -> ExportError:
        if isinstance(exc, BrokenPipeError):
            return OutputFailed(f"cannot write {self._target}: the reader went away (broken pipe)")
        reason = (exc.strerror if isinstance(exc, OSError) else None) or str(exc) or type(exc).__name__
        if isinstance(exc, OSError):
            return OutputFailed(f"cannot write {self._target}: {reason}")
        return ExportError(f"cannot write {self._target}: {reason}")

    def write_arrow(self, table: Any) -> None:
        try:
            self._writer.write_arrow(table)
        except (OSError, ValueError) as exc:  # pyarrow's errors derive from these
            raise self._fail(exc) from None

    def write_rows(self, rows: list[dict[str, Any]], columns: Sequence[str] = ()) -> None:
        try:
            self._writer.write_rows(rows, columns)
        except (OSError, ValueError) as exc:
            raise self._fail(exc) from None

    def close(self) -> None:
        try:
            self._writer.close()
        except (OSError, ValueError) as exc:
            raise self._fail(exc) from None


async def _write_empty(client: QueryClient, query_id: str, writer: RowWriter) -> None:
    """An empty result still gets its CSV header or Parquet schema."""
    item = await client.arrow_page(query_id, offset=0, docs=1)
    if isinstance(item, Page):
        writer.write_rows([], [c.name for c in item.columns])
    else:
        writer.write_arrow(item.table)
