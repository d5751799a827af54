"""``folio rest URL``: the results grid over a token-paginated REST endpoint (no editor).

A token API can only be walked forward, page after page (``nextPageToken``/``nextPage``), so
:class:`RestRows` keeps one walk open and serves the grid's pages from it; a page behind the
walk (scrolling back past the grid's own page cache) starts a new walk from the first page.
Only the rows between the walk's position and the page asked for are held: memory stays flat.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from tui.app.footer import KeysFooter
from tui.app.grid import ResultsGrid, RowPage
from tui.app.messages import GridProblem
from tui.app.problems import describe

#: rows per grid page; REST endpoints usually answer a few dozen to a few hundred items a call
REST_PAGE_SIZE = 100
#: pages of rows kept behind the walk, so the grid's page before the one it jumped to (asked
#: for at the same time) does not cost a whole new walk; bounded, so memory stays flat
KEEP_BEHIND = 4


def _as_row(item: Any) -> dict[str, Any]:
    return item if isinstance(item, dict) else {"value": item}


class RestRows:
    """A grid :class:`~tui.app.grid.RowSource` over a ``RestPager``."""

    def __init__(self, make_pager: Callable[[], Any]) -> None:
        self._make_pager = make_pager
        self._lock = asyncio.Lock()
        self._pager: Any = None
        self._pages: Any = None
        #: how many times the listing was walked from its first page (tests read it)
        self.walks = 0
        self.calls = 0

    async def _restart(self) -> None:
        await self.aclose()
        self._pager = self._make_pager()
        self._pages = self._pager.pages().__aiter__()
        self._start = 0
        self._rows: list[dict[str, Any]] = []
        self._done = False
        self._total: int | None = None
        self.walks += 1

    async def aclose(self) -> None:
        if self._pages is not None:
            await self._pages.aclose()
        if self._pager is not None:
            await self._pager.aclose()
        self._pager = self._pages = None

    async def fetch(self, offset: int, docs: int) -> RowPage:
        async with self._lock:
            if self._pages is None or offset < self._start:
                await self._restart()
            while not self._done and self._start + len(self._rows) < offset + docs:
                try:
                    page = await self._pages.__anext__()
                except StopAsyncIteration:
                    self._done = True
                    break
                self.calls += 1
                self._rows.extend(_as_row(item) for item in page.items)
                if page.total is not None:
                    self._total = page.total
                if not page.has_more:
                    self._done = True
                self._forget_before(offset - docs * KEEP_BEHIND)
            self._forget_before(offset - docs * KEEP_BEHIND)
            begin = offset - self._start
            rows = self._rows[begin : begin + docs] if begin >= 0 else []
            total = self._start + len(self._rows) if self._done else self._total
            return RowPage(offset, rows, total=total, running=False)

    def _forget_before(self, offset: int) -> None:
        drop = min(offset - self._start, len(self._rows))
        if drop > 0:
            del self._rows[:drop]
            self._start += drop


class RestGridApp(App[None]):
    CSS_PATH = "folio.tcss"
    TITLE = "folio rest"
    BINDINGS = [Binding("ctrl+q,q", "quit", "Quit")]

    def __init__(self, url: str, make_pager: Callable[[], Any], *, page_size: int = REST_PAGE_SIZE) -> None:
        super().__init__()
        self.url = url
        self.rows = RestRows(make_pager)
        self.page_size = page_size

    def compose(self) -> ComposeResult:
        self.status_line = Static(f"{self.url} · End walks every page (token pagination)", id="status", markup=False)
        self.grid = ResultsGrid(id="grid", page_size=self.page_size, max_pages=24)
        self.grid.pending_label = "more pages"
        yield self.status_line
        yield self.grid
        yield KeysFooter()

    def on_mount(self) -> None:
        self.grid.open(self.rows, key=self.url)
        self.grid.focus()

    def on_grid_problem(self, message: GridProblem) -> None:
        problem = describe(message.error)
        self.status_line.set_classes("-error")
        self.status_line.update(f"✗ {problem.title}: {problem.message.splitlines()[0] if problem.message else ''}")
        self.notify(problem.message, title=problem.title, severity="error", timeout=8, markup=False)

    async def action_quit(self) -> None:
        await self.rows.aclose()
        self.exit()


def run_rest_grid(
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, Any] | None = None,
    page_size: int | None = None,
    style: Any = None,
) -> int:
    """Show a REST listing in the grid (what ``folio rest URL`` does without ``-o``)."""
    from tui.client.rest_pager import ROCKETLANE, RestPager

    size = page_size or REST_PAGE_SIZE

    def make_pager() -> Any:
        return RestPager(url, headers=headers, params=params, page_size=size, style=style or ROCKETLANE)

    app = RestGridApp(url, make_pager, page_size=size)
    app.run()
    return int(app.return_code or 0)
