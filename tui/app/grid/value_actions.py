"""Looking at and copying the values under the cursor: the row or cell in full (enter, v),
copied as text or JSON (c, y), go to a row by number (ctrl+g), export the result (e). A mixin of
:class:`~tui.app.grid.grid.ResultsGrid`, which keeps to drawing and moving over rows.
"""

from __future__ import annotations

from typing import Any

from textual.binding import Binding

from tui.app.grid.cells import cell_text
from tui.app.grid.clipboard import copy_or_refuse
from tui.app.grid.pages import PageCache
from tui.app.messages import ExportRequested

VALUE_BINDINGS = [
    Binding("ctrl+g", "go_to_row", "Go to row"),
    Binding("enter", "show_row", "Row"),
    Binding("v", "show_cell", "Cell", show=False),
    Binding("c", "copy_cell", "Copy cell"),
    Binding("y", "copy_row", "Copy row"),
    Binding("e", "export", "Export"),
]


class ValueActions:
    """The value keys over the row under the cursor (only rows the grid holds: a row still
    loading says so)."""

    # provided by ResultsGrid (and its other mixins)
    cache: PageCache
    columns: list[tuple[str, str]]
    cursor_row: int
    cursor_col: int
    running: bool
    key: str
    app: Any
    cell_range: Any
    row_count: int
    has_result: bool
    notify: Any
    post_message: Any
    copy_selection: Any
    go_to_row: Any

    def current_row(self) -> dict[str, Any] | None:
        return self.cache.row(self.cursor_row) if self.row_count else None

    def current_cell(self) -> tuple[str, Any] | None:
        row = self.current_row()
        if row is None or not self.columns:
            return None
        name = self.columns[self.cursor_col][0]
        return name, row.get(name)

    def _missing(self) -> None:
        self.notify("That row is still loading.", severity="warning", timeout=2)

    def action_show_row(self) -> None:
        from tui.app.grid.detail import DetailScreen

        row = self.current_row()
        if row is None:
            return self._missing()
        self.app.push_screen(DetailScreen(f"row {self.cursor_row + 1:,}", row))

    def action_show_cell(self) -> None:
        from tui.app.grid.detail import DetailScreen

        cell = self.current_cell()
        if cell is None:
            return self._missing()
        name, value = cell
        self.app.push_screen(DetailScreen(f"row {self.cursor_row + 1:,} · {name}", value))

    def action_copy_cell(self) -> None:
        from tui.app.grid.detail import copy_text

        if self.cell_range is not None:
            return self.copy_selection()
        cell = self.current_cell()
        if cell is None:
            return self._missing()
        name, value = cell
        if copy_or_refuse(self, copy_text(value)):
            self.notify(f"Copied {cell_text(name)} of row {self.cursor_row + 1:,}", timeout=2, markup=False)

    def action_copy_row(self) -> None:
        from tui.app.grid.cells import compact_json

        row = self.current_row()
        if row is None:
            return self._missing()
        if copy_or_refuse(self, compact_json(row)):
            self.notify(f"Copied row {self.cursor_row + 1:,} as JSON", timeout=2)

    def action_go_to_row(self) -> None:
        from tui.app.grid.goto import GoToRowScreen

        if not self.row_count:
            return

        def go(row: int | None) -> None:
            if row is not None:
                self.go_to_row(row - 1)

        self.app.push_screen(GoToRowScreen(self.row_count, running=self.running), go)

    def action_export(self) -> None:
        if self.has_result:
            self.post_message(ExportRequested(self.key))
