"""The results grid: a virtual, lazily paged table (see :mod:`tui.app.grid.grid`)."""

from tui.app.grid.grid import ResultsGrid
from tui.app.grid.pages import PageCache, RowPage, RowSource

__all__ = ["PageCache", "ResultsGrid", "RowPage", "RowSource"]
