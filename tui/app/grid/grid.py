"""The results grid: a virtual table over a result set of any size.

A Line-API :class:`~textual.scroll_view.ScrollView` in the manner of Toolong's ``LogLines``:
the scroll height is the result's row count, ``render_line`` draws one row from a bounded page
cache, and rows that are not cached yet draw as a dim placeholder while a worker fetches their
page. Nothing here waits for the network on the event loop, and memory depends on the page
cache bound, never on the size of the result.

This module holds the grid's state: opening a result, its layout and title, moving the cursor.
Its other parts are mixins, one concern each: :mod:`~tui.app.grid.page_loading` (which pages,
fetched how, retried when), :mod:`~tui.app.grid.drawing` (the lines), and the keys over values,
columns and selections (``value_actions``, ``column_actions``, ``selection_actions``).
"""

from __future__ import annotations

import time
from typing import Any

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
    column_widths,
    is_numeric_type,
)
from tui.app.grid.column_actions import COLUMN_BINDINGS, ColumnActions
from tui.app.grid.columns import ColumnLayout, row_number_digits
from tui.app.grid.drawing import GridDrawing
from tui.app.grid.page_loading import PageLoading
from tui.app.grid.pages import PageCache, RowPage, RowSource
from tui.app.grid.selection_actions import SELECTION_BINDINGS, SelectionActions
from tui.app.grid.value_actions import VALUE_BINDINGS, ValueActions

#: rows per page the grid asks for: several screens' worth. A page's cost is mostly per
#: request, not per row (4.8 ms for 250 demo rows, 7.5 ms for 1,000, in-process), but decoding
#: it holds the event loop, so pages stay small enough never to stall a paint.
PAGE_SIZE = 250
#: pages held at most (memory bound: PAGE_SIZE * MAX_PAGES rows, whatever the result size)
MAX_PAGES = 64


class ResultsGrid(PageLoading, GridDrawing, ValueActions, ColumnActions, SelectionActions, ScrollView, can_focus=True):
    """Rows of one result set, fetched page by page as they come into view."""

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
