"""The results grid: a virtual table over a result set of any size.

A Line-API :class:`~textual.scroll_view.ScrollView` in the manner of Toolong's ``LogLines``:
the scroll height is the result's row count, ``render_line`` draws one row from a bounded page
cache, and rows that are not cached yet draw as a dim placeholder while a worker fetches their
page. Nothing here waits for the network on the event loop, and memory depends on the page
cache bound, never on the size of the result.
"""

from __future__ import annotations

import time
from bisect import bisect_right
from collections.abc import Callable
from typing import Any

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui.app.clock import Clock, Monotonic, system_clock
from tui.app.grid.cells import (
    cell_text,
    column_widths,
    fit,
    fit_right,
    infer_columns,
    is_numeric_type,
    safe_text,
)
from tui.app.grid.column_actions import COLUMN_BINDINGS, ColumnActions
from tui.app.grid.columns import ColumnLayout, row_number_digits
from tui.app.grid.linetext import crop_cells, wrap_lines
from tui.app.grid.pages import PageCache, RowPage, RowSource
from tui.app.grid.selection_actions import SELECTION_BINDINGS, SelectionActions
from tui.app.grid.value_actions import VALUE_BINDINGS, ValueActions
from tui.app.messages import GridProblem, GridRecovered, PageFailed, PageLoaded
from tui.app.problems import describe

#: rows per page the grid asks for: several screens' worth. A page's cost is mostly per
#: request, not per row (4.8 ms for 250 demo rows, 7.5 ms for 1,000, in-process), but decoding
#: it holds the event loop, so pages stay small enough never to stall a paint.
PAGE_SIZE = 250
#: pages held at most (memory bound: PAGE_SIZE * MAX_PAGES rows, whatever the result size)
MAX_PAGES = 64
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


class ResultsGrid(ValueActions, ColumnActions, SelectionActions, ScrollView, can_focus=True):
    """Rows of one result set, fetched page by page as they come into view."""

    HEADER_HEIGHT = 2

    COMPONENT_CLASSES = {
        "results-grid--header",
        "results-grid--type",
        "results-grid--gutter",
        "results-grid--null",
        "results-grid--placeholder",
        "results-grid--cursor",
        "results-grid--cursor-row",
        "results-grid--selection",
        "results-grid--hint",
    }

    DEFAULT_CSS = """
    ResultsGrid > .results-grid--header { text-style: bold; }
    ResultsGrid > .results-grid--type { color: $text-muted; text-style: italic; }
    ResultsGrid > .results-grid--gutter { color: $text-muted; }
    ResultsGrid > .results-grid--null { color: $text-muted; text-style: italic; }
    ResultsGrid > .results-grid--placeholder { color: $text-disabled; }
    ResultsGrid > .results-grid--hint { color: $text-muted; }
    ResultsGrid > .results-grid--cursor-row { background: $boost; }
    ResultsGrid > .results-grid--selection { background: $primary 40%; }
    ResultsGrid > .results-grid--cursor { background: $block-cursor-blurred-background; text-style: reverse; }
    ResultsGrid:focus > .results-grid--cursor {
        background: $block-cursor-background; color: $block-cursor-foreground; text-style: bold;
    }
    """

    BINDINGS = [
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("left", "cursor_left", "Left", show=False),
        Binding("right", "cursor_right", "Right", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home,ctrl+home", "first_row", "First row", show=False),
        Binding("end,ctrl+end", "last_row", "Last row", show=False),
        *VALUE_BINDINGS,
        *COLUMN_BINDINGS,
        *SELECTION_BINDINGS,
    ]

    cursor_row: reactive[int] = reactive(0, always_update=True, repaint=False)
    cursor_col: reactive[int] = reactive(0, always_update=True, repaint=False)

    def __init__(
        self,
        *,
        page_size: int = PAGE_SIZE,
        max_pages: int = MAX_PAGES,
        clock: Clock = system_clock,
        monotonic: Monotonic = time.monotonic,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.page_size = page_size
        self.max_pages = max_pages
        self._clock = clock
        self._monotonic = monotonic
        self._source: RowSource | None = None
        self._generation = 0
        self.key = ""
        self.columns: list[tuple[str, str]] = []
        self._widths: list[int] = []
        self._numeric: list[bool] = []
        self.total: int | None = None
        #: rows known to exist (all of them once ``total`` is known)
        self.known_rows = 0
        self.running = False
        self.cache = PageCache(page_size, max_pages)
        self._retry_at: dict[int, float] = {}
        #: failures in a row of each page that failed, until it arrives (its retry backoff)
        self._failures: dict[int, int] = {}
        #: what the last failure was ("Server unreachable"), for the "retrying" subtitle
        self._failure_title = ""
        self.last_page_ms: float | None = None
        #: why the last page asked for could not be fetched ("Server unreachable"), until one is
        self.page_problem: str | None = None
        self.hint = "Run a query: ctrl+enter (or ctrl+j / F5) in the editor"
        #: what the title says while the row count is not known yet
        self.pending_label = "running"
        self._styles_memo: dict[str, Style] = {}
        self._strips: LRUCache[tuple[Any, ...], Strip] = LRUCache(1024)
        self._gutter = 3
        #: the user's arrangement of the columns, and the shown ones' schema indexes in order
        self.column_layout = ColumnLayout(0)
        self._shown: list[int] = []
        self._frozen = 0
        self._fixed_width = 0
        self._offsets: list[int] = []
        self._scroll_width = 0

    # ------------------------------------------------------------------------------------------
    # Opening a result

    def open(
        self,
        source: RowSource,
        *,
        key: str,
        columns: list[tuple[str, str]] | None = None,
        total: int | None = None,
        running: bool = False,
        first: RowPage | None = None,
    ) -> None:
        """Show the result set ``source`` from its first row. ``first`` is a page the caller
        already has (a query's initial rows), so the grid does not fetch it again."""
        self.workers.cancel_group(self, "pages")
        self._generation += 1
        self._source = source
        self.key = key
        self.columns = list(columns or [])
        self.total = total
        self.known_rows = total or 0
        self.running = running and total is None
        self.cache = PageCache(self.page_size, self.max_pages)
        self._retry_at.clear()
        self._failures.clear()
        self.last_page_ms = None
        self.page_problem = None
        self.cursor_row = 0
        self.cursor_col = 0
        self._gutter = 0
        self._set_widths([])
        self.hint = "waiting for the first rows…"
        self.scroll_to(0, 0, animate=False)
        if first is not None and (first.rows or first.total is not None):
            self._take_page(first, elapsed_ms=first.elapsed_ms)
        if self.total == 0 and not self.columns:
            self.hint = "The statement returned no rows."
        self._relayout()

    def clear(self, hint: str | None = None) -> None:
        """Show no result (before the first query, or after one failed)."""
        self.workers.cancel_group(self, "pages")
        self._generation += 1
        self._source = None
        self.key = ""
        self.columns = []
        self.total = None
        self.known_rows = 0
        self.running = False
        self.cache = PageCache(self.page_size, self.max_pages)
        self._retry_at.clear()
        self._failures.clear()
        self.page_problem = None
        self.cursor_row = self.cursor_col = self._gutter = 0
        if hint is not None:
            self.hint = hint
        self._set_widths([])
        self._relayout()

    def finish(self, total: int) -> None:
        """The query completed with ``total`` rows (learned from its info). Its first and last
        pages are fetched now, so Home and End only paint."""
        for index in self.cache.edge_pages(total, self.body_height):
            if index not in self.cache:
                self._fetch(index)
        if self.total == total and not self.running:
            return
        self.total = total
        self.known_rows = total
        self.running = False
        self._retry_at.clear()
        for index in self.cache.indexes:
            page = self.cache.page(index)
            assert page is not None
            expected = min(self.page_size, total - index * self.page_size)
            page.complete = len(page.rows) >= expected
        self._relayout()

    def grow(self, rows: int) -> None:
        """A running query has at least ``rows`` rows stored: let the view reach them."""
        if self.total is None and rows > self.known_rows:
            self.known_rows = rows
            self._relayout()

    def stop(self) -> None:
        """The query stopped without a total (cancelled or failed): keep what is shown."""
        self.running = False
        self.total = self.known_rows
        self._relayout()

    @property
    def row_count(self) -> int:
        return self.total if self.total is not None else self.known_rows

    @property
    def has_result(self) -> bool:
        return self._source is not None

    @property
    def body_height(self) -> int:
        return max(1, self.scrollable_content_region.height - self.HEADER_HEIGHT)

    # ------------------------------------------------------------------------------------------
    # Layout

    def _set_widths(self, sample: list[dict[str, Any]]) -> None:
        self._widths = column_widths(self.columns, sample)
        self._numeric = [is_numeric_type(type_) for _, type_ in self.columns]
        self.load_layout()

    def _relayout(self) -> None:
        rows = self.row_count
        # sized once from the largest row number it can show: never narrower, so no column
        # shifts when a running query completes
        gutter = row_number_digits(self.total, self.known_rows, self._gutter - 2) + 2
        self._shown = [i for i in self.column_layout.shown() if i < len(self._widths)]
        self._frozen = min(self.column_layout.frozen_count(), len(self._shown))
        cells = [self.column_width(i) + 2 for i in self._shown]
        self._gutter = gutter
        self._fixed_width = gutter + sum(cells[: self._frozen])
        offsets, x = [0], 0
        for width in cells[self._frozen :]:
            x += width
            offsets.append(x)
        self._offsets = offsets  # offsets[i] = start of column i + 1 in the scrolling part
        self._scroll_width = x
        self._strips.clear()
        self._resize_virtual(Size(self._fixed_width + self._scroll_width, rows + self.HEADER_HEIGHT))
        self.cursor_row = min(self.cursor_row, max(rows - 1, 0))
        self._update_title()
        self.refresh()

    def _resize_virtual(self, size: Size) -> None:
        old = self.virtual_size
        if size == old:
            return
        viewport = self.scrollable_content_region.size
        same_bars = (size.height > viewport.height) == self.show_vertical_scrollbar and (
            size.width > viewport.width
        ) == self.show_horizontal_scrollbar
        if same_bars and old.height and old.width:
            # Only the content grew (a running query's rows, a wider column) and the scrollbars
            # stay as they are: update them without the screen-wide layout that setting the
            # reactive causes (it is the slowest part of showing a newly fetched page).
            self.set_reactive(ResultsGrid.virtual_size, size)
            self._scroll_update(size)
        else:
            self.virtual_size = size

    def _update_title(self) -> None:
        rows = self.row_count
        if not self.has_result:
            self.border_title = "Results"
            self.border_subtitle = ""
            return
        first = int(self.scroll_offset.y) + 1
        last = min(first + self.body_height - 1, rows)
        shown = f"rows {first:,}-{last:,}" if rows else "no rows"
        if self.running or self.total is None:
            self.border_title = (
                f"{shown} of {self.known_rows:,}+ ({self.pending_label})"
                if rows
                else f"waiting for rows ({self.pending_label})"
            )
        else:
            self.border_title = f"{shown} of {rows:,}" if rows else "no rows"
        if self.page_problem is not None:
            self.border_subtitle = self.page_problem
        else:
            self.border_subtitle = f"page {self.last_page_ms:,.0f} ms" if self.last_page_ms is not None else ""

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles_memo.clear()
        self._strips.clear()

    def on_resize(self, event: events.Resize) -> None:
        self._strips.clear()
        self._update_title()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._update_title()
        # ask for the rows now, not when the next frame paints (up to a frame later)
        self._request_pages()

    # ------------------------------------------------------------------------------------------
    # Fetching pages

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

    # ------------------------------------------------------------------------------------------
    # Rendering

    def _style(self, name: str) -> Style:
        style = self._styles_memo.get(name)
        if style is None:
            style = self._styles_memo[name] = self.get_component_rich_style(f"results-grid--{name}")
        return style

    def render_lines(self, crop):  # type: ignore[no-untyped-def]
        # Decide what to fetch once per paint, before any line is drawn: render_line itself
        # only reads the cache.
        self._request_pages()
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.rich_style
        if not self.columns:
            return self._hint_line(y, width, base)
        if y < self.HEADER_HEIGHT:
            return self._header_line(y, width, base)
        row = int(self.scroll_offset.y) + y - self.HEADER_HEIGHT
        if row >= self.row_count:
            if row == self.row_count and self.total is None and self._source is not None:
                return self._text_line("  … more rows are on their way", width, base + self._style("placeholder"))
            return Strip.blank(width, base)
        scroll_x = int(self.scroll_offset.x)
        cursor_col = self.cursor_col if row == self.cursor_row else -1
        data = self.cache.row(row)
        key = (row, cursor_col, scroll_x, width, data is None, self._generation, self.has_focus)
        strip = self._strips.get(key)
        if strip is None:
            strip = self._row_line(row, data, cursor_col, scroll_x, width, base)
            self._strips[key] = strip
        return strip

    def _text_line(self, text: str, width: int, style: Style) -> Strip:
        return Strip([Segment(fit(text, width), style)], width)

    def _hint_line(self, y: int, width: int, base: Style) -> Strip:
        # the hint may be a server's error message: several lines, shown as they are
        lines = wrap_lines(safe_text(self.hint), max(10, width - 4))
        if 1 <= y <= len(lines):
            return self._text_line(f"  {lines[y - 1]}", width, base + self._style("hint"))
        return Strip.blank(width, base)

    def _header_line(self, y: int, width: int, base: Style) -> Strip:
        style = base + self._style("header" if y == 0 else "type")
        cursor = style + self._style("cursor")

        def cell(i: int) -> tuple[str, Style]:
            name, type_ = self.columns[i]
            text, w = cell_text(name if y == 0 else type_.lower()), self.column_width(i)
            cell_style = cursor if (i == self.cursor_col and y == 0 and self.has_focus) else style
            aligned = fit_right(text, w) if self._numeric[i] else fit(text, w)
            return f" {aligned} ", cell_style

        gutter = (fit_right("#" if y == 0 else "", self._gutter - 1) + " ", base + self._style("gutter"))
        return self._line(gutter, cell, width, base, int(self.scroll_offset.x))

    def _row_line(
        self, row: int, data: dict[str, Any] | None, cursor_col: int, scroll_x: int, width: int, base: Style
    ) -> Strip:
        on_cursor_row = cursor_col >= 0
        row_style = base + self._style("cursor-row") if on_cursor_row else base
        gutter = (fit_right(str(row + 1), self._gutter - 1) + " ", row_style + self._style("gutter"))
        placeholder = row_style + self._style("placeholder")
        null = row_style + self._style("null")
        cursor = row_style + self._style("cursor")
        selected = row_style + self._style("selection")

        def cell(i: int) -> tuple[str, Style]:
            name, w = self.columns[i][0], self.column_width(i)
            if data is None:
                text, style = fit("·" * min(3, w), w), placeholder
            else:
                value = data.get(name)
                text = cell_text(value)
                style = null if value is None else row_style
                text = fit_right(text, w) if self._numeric[i] and value is not None else fit(text, w)
            if i == cursor_col:
                style = cursor
            elif self.in_selection(row, i):
                style = selected
            return f" {text} ", style

        return self._line(gutter, cell, width, base, scroll_x)

    def _line(
        self,
        gutter: tuple[str, Style],
        cell: Callable[[int], tuple[str, Style]],
        width: int,
        base: Style,
        scroll_x: int,
    ) -> Strip:
        """One line: the gutter and frozen cells stay put, the other cells scroll by ``scroll_x``.

        ``cell(i)`` is the text and style of column ``i``'s cell; it is asked only for the cells
        on screen, and only their visible part becomes a segment (no cropping of a full-width
        strip afterwards): a line costs what is on screen, however many columns the result has.
        """
        frozen = self._frozen
        shown = self._shown
        segments = [Segment(*gutter), *(Segment(*cell(i)) for i in shown[:frozen])]
        used = self._fixed_width
        left = scroll_x
        right = scroll_x + max(0, self.scrollable_content_region.width - self._fixed_width)
        offsets = self._offsets
        # the first scrolling column that ends past the left edge: a bisection, not a walk
        # over every column (a line is drawn 46 times a screen)
        first = max(0, bisect_right(offsets, left) - 1)
        for position in range(first, len(shown) - frozen):
            start = offsets[position]
            end = offsets[position + 1]
            if end <= left:
                continue
            if start >= right:
                break
            text, style = cell(shown[frozen + position])
            if start < left or end > right:
                text = crop_cells(text, max(0, left - start), min(end, right) - start)
            segments.append(Segment(text, style))
            used += cell_len(text)
        if used < width:
            segments.append(Segment(" " * (width - used), base))
            used = width
        return Strip(segments, used)

    # ------------------------------------------------------------------------------------------
    # Moving

    def move_cursor(self, row: int | None = None, column: int | None = None) -> None:
        rows = self.row_count
        if row is not None:
            self.cursor_row = max(0, min(row, rows - 1)) if rows else 0
        if column is not None and self._shown:
            self.cursor_col = column if column in self._shown else self._shown[0]
        self.selection_follows()
        self._scroll_to_cursor()
        self._strips.clear()
        self.refresh()

    def _scroll_to_cursor(self) -> None:
        body = self.body_height
        y = int(self.scroll_offset.y)
        if self.cursor_row < y:
            y = self.cursor_row
        elif self.cursor_row >= y + body:
            y = self.cursor_row - body + 1
        x = int(self.scroll_offset.x)
        col = self._shown.index(self.cursor_col) - self._frozen + 1 if self.cursor_col in self._shown else 0
        if col >= 1 and self._offsets:
            start = self._offsets[col - 1]
            end = self._offsets[col] if col < len(self._offsets) else self._scroll_width
            visible = max(1, self.scrollable_content_region.width - self._fixed_width)
            if start < x:
                x = start
            elif end > x + visible:
                x = min(start, end - visible)
        self.scroll_to(x, y, animate=False, force=True)

    def action_cursor_up(self) -> None:
        self.move_cursor(self.cursor_row - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(self.cursor_row + 1)

    def action_cursor_left(self) -> None:
        self.move_cursor(column=self.column_layout.neighbour(self.cursor_col, -1))

    def action_cursor_right(self) -> None:
        self.move_cursor(column=self.column_layout.neighbour(self.cursor_col, +1))

    def action_page_down(self) -> None:
        body = self.body_height
        self.scroll_to(y=min(self.scroll_offset.y + body, self.max_scroll_y), animate=False, force=True)
        self.move_cursor(self.cursor_row + body)

    def action_page_up(self) -> None:
        body = self.body_height
        self.scroll_to(y=max(self.scroll_offset.y - body, 0), animate=False, force=True)
        self.move_cursor(self.cursor_row - body)

    def action_first_row(self) -> None:
        self.go_to_row(0)

    def action_last_row(self) -> None:
        # one jump: only the last page is fetched, by its offset, none in between
        self.scroll_to(y=self.max_scroll_y, animate=False, force=True)
        self.move_cursor(self.row_count - 1)

    def go_to_row(self, row: int) -> None:
        """Put row ``row`` (0-based) under the cursor, near the top of the view."""
        rows = self.row_count
        row = max(0, min(row, rows - 1)) if rows else 0
        self.scroll_to(y=min(max(row - 2, 0), self.max_scroll_y), animate=False, force=True)
        self.move_cursor(row)

    def on_click(self, event: events.Click) -> None:
        y = event.y - self.HEADER_HEIGHT
        if y >= 0 and self.columns:
            self.move_cursor(int(self.scroll_offset.y) + y)
