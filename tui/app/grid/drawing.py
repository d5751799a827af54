"""Drawing the grid's lines: the header, each row from the page cache (a placeholder while its
page loads), the hint when there is no result. A mixin of :class:`~tui.app.grid.grid.ResultsGrid`.

A line costs what is on screen, however many columns the result has: only the cells in view
are asked for, and a drawn row is kept as a strip until something it shows changes.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from typing import Any

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.cache import LRUCache
from textual.strip import Strip

from tui.app.grid.cells import cell_text, fit, fit_right, safe_text
from tui.app.grid.linetext import crop_cells, wrap_lines
from tui.app.grid.pages import PageCache, RowSource


class GridDrawing:
    """The grid's ``render_line`` (see the module's docstring)."""

    HEADER_HEIGHT = 2

    # provided by ResultsGrid (and Textual's scroll view)
    _source: RowSource | None
    _generation: int
    _styles_memo: dict[str, Style]
    _strips: LRUCache[tuple[Any, ...], Strip]
    _numeric: list[bool]
    _gutter: int
    _frozen: int
    _shown: list[int]
    _fixed_width: int
    _offsets: list[int]
    cache: PageCache
    columns: list[tuple[str, str]]
    total: int | None
    hint: str
    cursor_row: int
    cursor_col: int
    row_count: int
    size: Any
    rich_style: Style
    scroll_offset: Any
    has_focus: bool
    scrollable_content_region: Any
    get_component_rich_style: Any
    column_width: Any
    in_selection: Any
    _request_pages: Any

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
