"""Row sources of derived views: a frequency table gets a bar per row, drawn as VisiData does.

The bar is the row's count against the largest count, which is on the table's first page:
tables of values are ordered by count (the largest first) and binned tables have few rows.
"""

from __future__ import annotations

import asyncio
from typing import Any

from tui.app.grid.pages import RowPage
from tui.app.source import DataSource, QueryRows
from tui.app.views.sql import ROW_COLUMN

#: the column the bars are drawn in (not stored: computed from ``count`` as pages arrive)
BAR_COLUMN = "histogram"
BAR_WIDTH = 30
_EIGHTHS = " ▏▎▍▌▋▊▉"
#: the frequency table's columns the grid shows (``low``/``high`` are for filtering by a bin)
FREQUENCY_SHOWN = ("value", "count", "percent")


def bar(count: int | None, peak: int | None, width: int = BAR_WIDTH) -> str:
    """``count`` as a bar of up to ``width`` cells, ``peak`` filling them all (eighths of a
    cell, so small differences still show)."""
    if not count or not peak or peak <= 0:
        return ""
    eighths = max(1, round(min(count, peak) / peak * width * 8))
    full, part = divmod(eighths, 8)
    return "█" * full + (_EIGHTHS[part] if part else "")


def frequency_columns(columns: list[tuple[str, str]]) -> list[tuple[str, str]]:
    shown = [(name, type_) for name, type_ in columns if name in FREQUENCY_SHOWN]
    return [*shown, (BAR_COLUMN, "VARCHAR")]


class NumberedRows(QueryRows):
    """A derived result's rows: ``folio_row`` stays in each row (for "show this row in the
    original") but is not one of the columns the grid shows."""

    async def fetch(self, offset: int, docs: int) -> RowPage:
        return self.shape(await super().fetch(offset, docs))

    @staticmethod
    def shape(page: RowPage) -> RowPage:
        columns = [(name, type_) for name, type_ in page.columns if name != ROW_COLUMN]
        return RowPage(page.offset, page.rows, columns, page.total, page.running, page.elapsed_ms)


class FrequencyRows(QueryRows):
    """A frequency table's rows, with percent rounded for reading and a bar added."""

    def __init__(self, source: DataSource, query_id: str) -> None:
        super().__init__(source, query_id)
        self.peak: int | None = None
        self._peak_lock = asyncio.Lock()

    async def fetch(self, offset: int, docs: int) -> RowPage:
        page = await super().fetch(offset, docs)
        if offset == 0 and page.rows:
            self.peak = max(self.peak or 0, *(_count(row) for row in page.rows))
        elif self.peak is None:
            async with self._peak_lock:
                if self.peak is None:
                    first = await super().fetch(0, docs)
                    self.peak = max([_count(row) for row in first.rows] or [0])
        return self._bars(page)

    def shape(self, page: RowPage) -> RowPage:
        """A page the caller already has (the table's first rows, with its answer)."""
        if page.offset == 0 and page.rows:
            self.peak = max(self.peak or 0, *(_count(row) for row in page.rows))
        return self._bars(page)

    def _bars(self, page: RowPage) -> RowPage:
        rows = [_with_bar(row, self.peak) for row in page.rows]
        columns = frequency_columns(page.columns) if page.columns else []
        return RowPage(page.offset, rows, columns, page.total, page.running, page.elapsed_ms)


def _count(row: dict[str, Any]) -> int:
    count = row.get("count")
    return int(count) if isinstance(count, (int, float)) else 0


def _with_bar(row: dict[str, Any], peak: int | None) -> dict[str, Any]:
    shown = dict(row)
    percent = shown.get("percent")
    if isinstance(percent, float):
        shown["percent"] = round(percent, 2)
    shown[BAR_COLUMN] = bar(_count(row), peak)
    return shown
