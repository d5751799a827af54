"""The stack of views over one result: the query's own result at the bottom, and on top of it
the results derived from it (filtered, sorted, a frequency table, a profile).

Every view is a stored result on the service, so going back does not compute anything: the
parent is shown again from where the user left it (cursor, scroll, the rows that were on
screen, the column widths). Pure bookkeeping, no Textual.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from tui.app.grid.pages import RowPage
from tui.app.sidebar.entries import short_id
from tui.app.views.sql import ROW_COLUMN

#: the separator of the path in the grid's title
PATH_SEPARATOR = " › "
_FROM = re.compile(r"\bFROM\s+(\"(?:[^\"]|\"\")+\"|[A-Za-z_][\w.]*)(?![\w.]|\s*\()", re.I)


def root_label(sql: str, query_id: str) -> str:
    """How the query's own result reads at the start of the path: the table it reads, or its
    short id."""
    match = _FROM.search(sql or "")
    if match is None:
        return short_id(query_id)
    name = match.group(1)
    return name[1:-1].replace('""', '"') if name.startswith('"') else name


class ViewKind(str, Enum):
    QUERY = "query"
    FILTER = "filter"
    SORT = "sort"
    FREQUENCY = "frequency"
    PROFILE = "profile"


@dataclass
class GridPlace:
    """Where the user was in a view: restored as it was when they come back to it."""

    cursor_row: int = 0
    cursor_col: int = 0
    scroll_x: int = 0
    scroll_y: int = 0
    #: the rows that were on screen (a few pages, not the whole result): shown at once on return
    rows: RowPage | None = None
    widths: list[int] = field(default_factory=list)


@dataclass
class View:
    """One stored result shown in the grid."""

    kind: ViewKind
    #: how the view reads in the title path ("country = 'US'", "sorted by amount ↓")
    label: str
    query_id: str = ""
    sql: str = ""
    #: every column of the stored result (``folio_row`` too) and the ones the grid shows
    columns: list[tuple[str, str]] = field(default_factory=list)
    total: int | None = None
    #: the column a frequency table counts (or a profile was asked from)
    column: str | None = None
    #: its rows carry ``folio_row`` (it was read through ``result_rows()``, or derived from a
    #: view that was): the grid hides the column, and views derived from it read ``result()``
    numbered: bool = False
    #: the view whose row offsets this view's ``folio_row`` holds (None: it has none, or that
    #: result is no longer stored)
    rows_of: View | None = None
    place: GridPlace = field(default_factory=GridPlace)
    #: the app's record of the query (status, elapsed time), restored with the view
    record: Any = None
    #: the view it was derived from (None for the query's own result)
    parent: View | None = None
    #: it takes the place of the view on top when it opens (a new sort replaces a sort)
    replaces: bool = False

    @property
    def rows_for_derived(self) -> View | None:
        """What the ``folio_row`` of a view derived from this one points into: this view's own
        original when its rows already carry one (``result()`` keeps it), else this view."""
        return self.rows_of if self.numbered else self

    @property
    def data(self) -> bool:
        """Rows of the original data (filtered or sorted), not a summary of them."""
        return self.kind in (ViewKind.QUERY, ViewKind.FILTER, ViewKind.SORT)

    def visible_columns(self, columns: list[tuple[str, str]] | None = None) -> list[tuple[str, str]]:
        columns = self.columns if columns is None else columns
        if not self.numbered:
            return list(columns)
        return [(name, type_) for name, type_ in columns if name != ROW_COLUMN]


class ViewStack:
    """The views from the query's result (bottom) to the one on screen (top)."""

    def __init__(self) -> None:
        self.views: list[View] = []

    def __len__(self) -> int:
        return len(self.views)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.views)

    @property
    def top(self) -> View | None:
        return self.views[-1] if self.views else None

    @property
    def parent(self) -> View | None:
        return self.views[-2] if len(self.views) > 1 else None

    def reset(self, root: View | None) -> None:
        self.views = [root] if root is not None else []

    def push(self, view: View) -> None:
        self.views.append(view)

    def pop(self) -> View | None:
        """Leave the top view; the query's own result is never popped."""
        if len(self.views) < 2:
            return None
        return self.views.pop()

    def pop_to(self, view: View) -> list[View]:
        """Leave every view above ``view``; the ones left, top first."""
        left: list[View] = []
        while len(self.views) > 1 and self.views[-1] is not view:
            left.append(self.views.pop())
        return left

    def find(self, query_id: str) -> View | None:
        return next((view for view in self.views if view.query_id == query_id), None)

    def path(self) -> str:
        """The title path: the data views from the bottom up; a summary (frequency, profile)
        only when it is on top or the view above was derived from it (a filter picked from a
        frequency table is a filter of the data under the table, and reads so)."""
        views = self.views
        labels = [
            view.label
            for index, view in enumerate(views)
            if view.data or index == len(views) - 1 or views[index + 1].parent is view
        ]
        return PATH_SEPARATOR.join(labels)

    def data_under(self, view: View) -> View:
        """The data view a summary view summarizes (itself for a data view)."""
        index = self.views.index(view)
        while index > 0 and not self.views[index].data:
            index -= 1
        return self.views[index]
