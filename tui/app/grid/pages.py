"""The grid's memory: a bounded LRU of pages, and which pages are on their way.

Pure bookkeeping (no Textual, no I/O), so the "memory does not depend on the result size" and
"each page at most once in flight" rules are tested on their own.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

Row = dict[str, Any]
#: the least ``max_pages`` with room for the first and last pages beside the ones on screen
EDGE_ROOM = 8


@dataclass(frozen=True)
class RowPage:
    """What the grid needs to know about one page of a result set."""

    offset: int
    rows: list[Row]
    columns: list[tuple[str, str]] = field(default_factory=list)
    #: all rows of the result, or ``None`` while the query still runs
    total: int | None = None
    running: bool = False
    elapsed_ms: float | None = None
    #: the service's width of each column's longest value over the whole result (0: unknown)
    column_widths: list[int] | None = None


class RowSource(Protocol):
    """Where a grid gets its rows: a stored query result, or a REST endpoint."""

    async def fetch(self, offset: int, docs: int) -> RowPage: ...


@dataclass
class CachedPage:
    rows: list[Row]
    #: ``False`` for the last page of a running query, which may still fill up
    complete: bool


class PageCache:
    """Pages of ``page_size`` rows, aligned on multiples of it, at most ``max_pages`` held.

    Least recently used pages are evicted first, except the ones the caller says it is showing.
    """

    def __init__(self, page_size: int, max_pages: int) -> None:
        if page_size < 1 or max_pages < 2:
            raise ValueError("page_size must be >= 1 and max_pages >= 2")
        self.page_size = page_size
        self.max_pages = max_pages
        self._pages: OrderedDict[int, CachedPage] = OrderedDict()
        self._in_flight: set[int] = set()

    def __len__(self) -> int:
        return len(self._pages)

    def __contains__(self, index: int) -> bool:
        return index in self._pages

    @property
    def indexes(self) -> list[int]:
        return list(self._pages)

    @property
    def in_flight(self) -> frozenset[int]:
        return frozenset(self._in_flight)

    def page_of(self, row: int) -> int:
        return row // self.page_size

    def page_range(self, first_row: int, end_row: int) -> range:
        """Indexes of the pages holding rows ``first_row`` .. ``end_row - 1``."""
        if end_row <= first_row:
            return range(0)
        return range(self.page_of(first_row), self.page_of(end_row - 1) + 1)

    def row(self, row: int) -> Row | None:
        page = self._pages.get(row // self.page_size)
        if page is None:
            return None
        rows = page.rows
        position = row % self.page_size
        return rows[position] if position < len(rows) else None

    def page(self, index: int) -> CachedPage | None:
        return self._pages.get(index)

    def touch(self, indexes: Iterable[int]) -> None:
        """Mark pages as just used (the ones on screen)."""
        for index in indexes:
            if index in self._pages:
                self._pages.move_to_end(index)

    def put(self, index: int, rows: list[Row], *, complete: bool, keep: Iterable[int] = ()) -> None:
        self._pages[index] = CachedPage(rows, complete)
        self._pages.move_to_end(index)
        keep = set(keep) | {index}
        while len(self._pages) > self.max_pages:
            victim = next((i for i in self._pages if i not in keep), None)
            if victim is None:
                break
            del self._pages[victim]

    def edge_pages(self, total: int | None, screen: int = 1) -> list[int]:
        """The pages of the first and the last ``screen`` rows of a result whose size is known:
        Home and End are the longest jumps a user makes, so they are fetched ahead (once the
        query completed) and, asked for on every paint, stay the most recently used. Two pages
        whatever the size (three when the last screen starts on the page before a short last
        one: End must not wait for that one either), and none in a cache too small to spare
        them (it holds the pages on screen first)."""
        if not total or self.max_pages < EDGE_ROOM:
            return []
        screen = max(1, screen)
        first = self.page_range(0, min(screen, total))
        last = self.page_range(max(0, total - screen), total)
        return sorted({*first, *last})

    def begin(self, index: int) -> bool:
        """Claim page ``index`` for fetching; ``False`` if it is already on its way."""
        if index in self._in_flight:
            return False
        self._in_flight.add(index)
        return True

    def end(self, index: int) -> None:
        self._in_flight.discard(index)

    def clear(self) -> None:
        self._pages.clear()
        self._in_flight.clear()
