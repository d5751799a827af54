"""The grid on its own, over a row source the test controls (shared by the grid's tests)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from textual.app import App, ComposeResult

from tui.app.grid import ResultsGrid
from tui.app.grid.pages import RowPage, RowSource

COLUMNS = [("i", "BIGINT"), ("label", "VARCHAR")]


class Ticks:
    """A monotonic clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


class FlakySource:
    """Rows ``i``/``label``; every fetch fails while ``down`` is set, as a stopped server does."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.down = False
        self.fetches: list[int] = []

    async def fetch(self, offset: int, docs: int) -> RowPage:
        self.fetches.append(offset)
        if self.down:
            raise httpx.ConnectError("connection refused")
        rows = [{"i": i, "label": f"row {i}"} for i in range(offset, min(offset + docs, self.total))]
        return RowPage(offset, rows, COLUMNS, total=self.total)


class GridApp(App[None]):
    def __init__(self, ticks: Ticks, max_pages: int = 64) -> None:
        super().__init__()
        self.ticks = ticks
        self.max_pages = max_pages

    def compose(self) -> ComposeResult:
        yield ResultsGrid(id="grid", page_size=100, max_pages=self.max_pages, monotonic=self.ticks)


@asynccontextmanager
async def grid_over(
    source: RowSource,
    *,
    columns: list[tuple[str, str]] | None = COLUMNS,
    total: int | None = None,
    ticks: Ticks | None = None,
    max_pages: int = 64,
) -> AsyncIterator[tuple[Any, ResultsGrid]]:
    """An 80×24 app holding only a grid (pages of 100 rows), ``source`` open in it."""
    app = GridApp(ticks or Ticks(), max_pages=max_pages)
    async with app.run_test(size=(80, 24)) as pilot:
        grid = app.query_one(ResultsGrid)
        grid.open(source, key="q", columns=columns, total=total)
        yield pilot, grid
