"""Fetching the grid's pages: which ones it wants, asking for them off the event loop, taking
them in, and asking again after a failure with a backoff. A mixin of
:class:`~tui.app.grid.grid.ResultsGrid`, which draws the rows this keeps in its page cache.

Each page is fetched by a worker that only posts a message (:class:`PageLoaded`,
:class:`PageFailed`); the grid takes it in on the event loop. A result shown later gets a new
``generation``, so a page of the result shown before is dropped when it arrives.
"""

from __future__ import annotations

from typing import Any

from tui.app.clock import Clock, Monotonic
from tui.app.grid.cells import column_widths, infer_columns
from tui.app.grid.pages import PageCache, RowPage, RowSource
from tui.app.messages import GridProblem, GridRecovered, PageFailed, PageLoaded
from tui.app.problems import describe

#: how long to wait before asking again for a page that is not ready: the query still runs and
#: the server answered, so its rows are on their way; asked for at a steady pace
RETRY_NOT_READY = 0.3
#: how long to wait before asking again for a page that failed (server down, timed out, an
#: error): RETRY_FIRST after the first failure, twice as long after each further one in a row…
RETRY_FIRST = 0.5
#: …up to RETRY_MAX. 15 s because a server that is down for an hour then gets one request per
#: open page every 15 s instead of a steady stream, while the rows still come back within 15 s
#: of it being up again with no key pressed (sooner when any other request gets through: the
#: app then calls retry_now). A page that arrives starts its count again.
RETRY_MAX = 15.0


def retry_delay(failures: int) -> float:
    """Seconds to wait after the ``failures``-th failure in a row of one page: 0.5, 1, 2, 4, 8,
    then 15 from the sixth on."""
    return min(RETRY_MAX, RETRY_FIRST * 2 ** min(max(failures, 1) - 1, 16))


def _seconds(delay: float) -> str:
    return f"{delay:g} s"


class PageLoading:
    """The grid's pages, fetched as they come into view (see the module's docstring)."""

    # provided by ResultsGrid (and Textual's widget)
    _source: RowSource | None
    _generation: int
    _clock: Clock
    _monotonic: Monotonic
    _retry_at: dict[int, float]
    _failures: dict[int, int]
    _failure_title: str
    _widths: list[int]
    cache: PageCache
    page_size: int
    columns: list[tuple[str, str]]
    total: int | None
    known_rows: int
    running: bool
    last_page_ms: float | None
    page_problem: str | None
    key: str
    row_count: int
    body_height: int
    scroll_offset: Any
    call_after_refresh: Any
    run_worker: Any
    post_message: Any
    refresh: Any
    set_timer: Any
    _set_widths: Any
    _relayout: Any
    _update_title: Any

    def _visible_rows(self) -> tuple[int, int]:
        first = int(self.scroll_offset.y)
        return first, min(first + self.body_height, self.row_count)

    def wanted_pages(self) -> list[int]:
        """Pages to have: the ones on screen, then the next (or previous) one when the view is
        within about a page of the end (or start) of them, so normal scrolling never shows a
        placeholder. While the query runs, the page after the known rows counts as "next"."""
        size = self.page_size
        first, end = self._visible_rows()
        pages = list(self.cache.page_range(first, end))
        margin = max(size // 2, self.body_height)
        following = (end - 1) // size + 1 if end > first else first // size
        if following * size - end < margin and (following * size < self.row_count or self.total is None):
            pages.append(following)
        preceding = first // size - 1
        if preceding >= 0 and first - (preceding + 1) * size < margin:
            pages.append(preceding)
        return pages

    def _request_pages(self) -> None:
        if self._source is None:
            return
        wanted = self.wanted_pages()
        self.cache.touch(self.cache.edge_pages(self.total, self.body_height) + wanted)  # kept for Home/End (finish)
        visible = self.cache.page_range(*self._visible_rows())
        now = self._monotonic()
        for index in wanted:
            page = self.cache.page(index)
            if page is not None and (page.complete or self.total is not None):
                continue
            if now < self._retry_at.get(index, 0.0):
                continue
            if index in self._failures and index not in self.cache.in_flight:
                # the subtitle said "retrying in 4 s": now it is
                self._set_page_problem(f"✗ {self._failure_title} · retrying now…")
            self._fetch(index, ahead=index not in visible)

    def retry_delay(self, index: int) -> float | None:
        """How long the grid waits after page ``index`` failed before asking again (``None``
        when it has not failed since it last arrived)."""
        failures = self._failures.get(index)
        return None if failures is None else retry_delay(failures)

    def retry_now(self) -> None:
        """Ask again at once for the pages that failed, their backoff forgotten (the server is
        back)."""
        self._retry_at.clear()
        self._failures.clear()
        self.refresh()

    def _fetch(self, index: int, *, ahead: bool = False) -> None:
        """Fetch page ``index`` now or, when it is one ``ahead`` of the screen, once the screen
        is painted: taking it in (decoding, widths) then never delays the frame of the key that
        asked for it, and it is still there screens before it is shown."""
        if self._source is None or not self.cache.begin(index):
            return
        if ahead:
            self.call_after_refresh(self._start_fetch, self._source, self._generation, index)
        else:
            self._start_fetch(self._source, self._generation, index)

    def _start_fetch(self, source: RowSource, generation: int, index: int) -> None:
        if generation == self._generation:  # else another result is shown: its own cache
            self.run_worker(self._load_page(source, generation, index), group="pages", exit_on_error=False)

    async def _load_page(self, source: RowSource, generation: int, index: int) -> None:
        started = self._clock()
        try:
            page = await source.fetch(index * self.page_size, self.page_size)
        except Exception as error:  # every failure becomes a message; the grid decides
            self.post_message(PageFailed(generation, index, error))
        else:
            elapsed = (self._clock() - started).total_seconds() * 1000
            self.post_message(PageLoaded(generation, index, page, elapsed))

    def on_page_loaded(self, message: PageLoaded) -> None:
        message.stop()
        if message.generation != self._generation:
            return
        self.cache.end(message.index)
        self._retry_at.pop(message.index, None)
        self._failures.pop(message.index, None)
        if self.page_problem is not None:
            self.page_problem = None
            self.post_message(GridRecovered(self.key))
        self._take_page(message.page, elapsed_ms=message.elapsed_ms)
        page = self.cache.page(message.index)
        if page is not None and not page.complete and self.total is None:
            # the last page of a running query: ask again shortly for the rows still to come
            self._retry_at[message.index] = self._monotonic() + RETRY_NOT_READY
            self.set_timer(RETRY_NOT_READY + 0.02, self.refresh)

    def _take_page(self, page: RowPage, *, elapsed_ms: float | None) -> None:
        size = self.page_size
        before = (list(self._widths), self.total, self.known_rows, self.running, len(self.columns))
        if page.columns and not self.columns:
            self.columns = list(page.columns)
        if page.rows and not self.columns:
            self.columns = infer_columns(page.rows)
        if len(self._widths) != len(self.columns):
            self._set_widths([])
        if page.rows:
            # Columns widen (never narrow) as pages with longer values arrive: a value cut
            # because only the first page was measured would be silently misleading.
            sample = column_widths(self.columns, page.rows[:200], whole=page.column_widths)
            self._widths = [max(old, new) for old, new in zip(self._widths, sample, strict=True)]
        if page.total is not None:
            self.total = page.total
            self.running = False
        elif page.running:
            self.running = True
        end = page.offset + len(page.rows)
        self.known_rows = max(self.known_rows, end) if self.total is None else self.total
        # A page the grid did not ask for (a query's initial rows) may not be page-aligned:
        # keep only the aligned pages it covers in full, or the last ones of the result.
        first_index = -(-page.offset // size)
        index = first_index
        while True:
            start = index * size
            if start >= end or start - page.offset >= len(page.rows):
                break
            rows = page.rows[start - page.offset : start - page.offset + size]
            expected = size if self.total is None else min(size, self.total - start)
            complete = len(rows) >= expected
            if complete or start + len(rows) == end:
                self.cache.put(index, rows, complete=complete, keep=self.wanted_pages())
            index += 1
        if elapsed_ms is not None:
            self.last_page_ms = elapsed_ms
        if before != (self._widths, self.total, self.known_rows, self.running, len(self.columns)):
            self._relayout()
        else:
            # a page fetched ahead, and nothing else changed: the lines on screen are drawn
            # from their cached strips again (a new page's rows are new strips), not redrawn
            self._update_title()
            self.refresh()

    def on_page_failed(self, message: PageFailed) -> None:
        message.stop()
        if message.generation != self._generation:
            return
        self.cache.end(message.index)
        if self._source is None:
            # the result is already known to be gone: the other pages asked for at the same
            # time fail the same way, and say nothing new
            return
        problem = describe(message.error)
        kind = problem.kind
        index = message.index
        if kind == "not_ready":
            # the server answered: not a failure, the rows are on their way
            self._failures.pop(index, None)
            delay = RETRY_NOT_READY
        else:
            self.post_message(GridProblem(self.key, message.error))
            if kind in ("expired", "not_found"):
                # the result is gone: asking again cannot help
                self._source = None
                self.running = False
                self._set_page_problem(f"✗ {problem.title}")
                return
            failures = self._failures[index] = self._failures.get(index, 0) + 1
            delay = retry_delay(failures)
            # said in the grid itself, where the rows are missing, until a page arrives
            self._failure_title = problem.title
            self._set_page_problem(f"✗ {problem.title} · retrying in {_seconds(delay)}")
        self._retry_at[index] = self._monotonic() + delay
        self.set_timer(delay + 0.02, self.refresh)

    def _set_page_problem(self, problem: str) -> None:
        if problem != self.page_problem:
            self.page_problem = problem
            self._update_title()
