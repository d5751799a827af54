"""The results grid with exploring keys: find, sort, filter, frequency, profile, back.

A subclass of :class:`~tui.app.grid.ResultsGrid`, so the grid itself stays about showing rows.
The keys only post messages (the app builds and runs the derived queries); this class adds
what the stack of views needs from the grid: a path in its title, and saving and restoring
where the user was in a view.
"""

from __future__ import annotations

from textual.binding import Binding

from tui.app.grid import ResultsGrid
from tui.app.grid.pages import RowPage, RowSource
from tui.app.views.messages import (
    BackRequested,
    ExpressionRequested,
    FilterRequested,
    FindRequested,
    FrequencyPicked,
    FrequencyRequested,
    OriginalRequested,
    ProfileRequested,
    SortRequested,
)
from tui.app.views.sql import ROW_COLUMN
from tui.app.views.stack import GridPlace

#: pages kept with a view the user left (the ones on screen and next to them): enough to draw
#: it again at once, and few enough that a deep stack of views holds little
PLACE_PAGES = 4


class ExploreGrid(ResultsGrid):
    """Rows of one view; its keys ask the app for derived views."""

    BINDINGS = [
        Binding("slash", "find", "Find"),
        Binding("n", "find_next", "Next match", show=False),
        Binding("N", "find_previous", "Previous match", show=False),
        Binding("s", "sort(False)", "Sort"),
        Binding("S", "sort(True)", "Sort ↓", show=False),
        Binding("f", "filter_value", "Filter"),
        Binding("backslash", "filter_expression", "Filter by expression", show=False),
        Binding("F", "frequency", "Freq"),
        Binding("i", "profile", "Profile", show=False),
        Binding("o", "original", "Row in original", show=False),
        Binding("backspace", "back", "Back"),
    ]

    #: the title path of the view on screen ("" for the query's own result)
    path = ""
    #: the view on screen is a frequency table (enter filters by its row)
    frequency = False

    # --- the title

    def _update_title(self) -> None:
        super()._update_title()
        if self.path and self.has_result:
            self.border_title = f"{self.path} · {self.border_title}"

    def show_path(self, path: str, *, frequency: bool = False) -> None:
        self.path = path
        self.frequency = frequency
        self._update_title()

    # --- keys

    def _column(self) -> tuple[str, str] | None:
        if not self.has_result or not self.columns:
            return None
        return self.columns[self.cursor_col]

    def action_find(self) -> None:
        if self.has_result:
            self.post_message(FindRequested("ask"))

    def action_find_next(self) -> None:
        if self.has_result:
            self.post_message(FindRequested("next"))

    def action_find_previous(self) -> None:
        if self.has_result:
            self.post_message(FindRequested("prev"))

    def action_sort(self, descending: bool) -> None:
        column = self._column()
        if column is not None:
            self.post_message(SortRequested(column[0], descending))

    def action_filter_value(self) -> None:
        column = self._column()
        if column is None:
            return
        cell = self.current_cell()
        if cell is None:
            return self._missing()
        self.post_message(FilterRequested(column[0], column[1], cell[1]))

    def action_filter_expression(self) -> None:
        if self.has_result:
            self.post_message(ExpressionRequested())

    def action_frequency(self) -> None:
        column = self._column()
        if column is not None:
            self.post_message(FrequencyRequested(column[0]))

    def action_profile(self) -> None:
        column = self._column()
        if column is not None:
            self.post_message(ProfileRequested(column[0]))

    def action_back(self) -> None:
        self.post_message(BackRequested())

    def action_original(self) -> None:
        row = self.current_row()
        if row is None or not self.has_result:
            return
        if row.get(ROW_COLUMN) is None:
            self.notify("This view has no rows of an original result.", timeout=3)
            return
        self.post_message(OriginalRequested(int(row[ROW_COLUMN])))

    def action_show_row(self) -> None:
        if not self.frequency:
            return super().action_show_row()
        row = self.current_row()
        if row is None:
            return self._missing()
        self.post_message(FrequencyPicked(row))

    # --- leaving a view and coming back to it

    def place(self) -> GridPlace:
        """Where the user is: cursor, scroll, and the pages on screen (so coming back draws
        at once, before any page is fetched again)."""
        # the pages the grid wants where it is (those on screen and the ones next to them), so
        # coming back fetches nothing
        indexes = sorted(self.wanted_pages())[:PLACE_PAGES]
        rows: list[dict] = []
        start = indexes[0] * self.page_size if indexes else 0
        for expected, index in enumerate(indexes, start=indexes[0] if indexes else 0):
            page = self.cache.page(index)
            if index != expected or page is None or not page.complete:
                break
            rows.extend(page.rows)
        saved = RowPage(offset=start, rows=rows, columns=list(self.columns), total=self.total) if rows else None
        return GridPlace(
            cursor_row=self.cursor_row,
            cursor_col=self.cursor_col,
            scroll_x=int(self.scroll_offset.x),
            scroll_y=int(self.scroll_offset.y),
            rows=saved,
            widths=list(self._widths),
        )

    def restore(
        self, source: RowSource, *, key: str, columns: list[tuple[str, str]], total: int | None, place: GridPlace
    ) -> None:
        """Show a view the user left, as they left it."""
        self.open(source, key=key, columns=columns, total=total, running=False, first=place.rows)
        if len(place.widths) == len(self._widths):
            self._widths = [max(old, new) for old, new in zip(self._widths, place.widths, strict=True)]
            self._relayout()
        rows = self.row_count
        self.cursor_row = max(0, min(place.cursor_row, rows - 1)) if rows else 0
        self.cursor_col = max(0, min(place.cursor_col, len(self.columns) - 1)) if self.columns else 0
        self.scroll_to(place.scroll_x, place.scroll_y, animate=False, force=True)
        self._strips.clear()
        self._update_title()
        self.refresh()
