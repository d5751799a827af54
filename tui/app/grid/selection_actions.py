"""Selecting cells with shift+arrows and copying them (TSV, CSV or Markdown, over OSC 52), and
copying the current column's values on screen. A mixin of
:class:`~tui.app.grid.grid.ResultsGrid`.

The selection is a rectangle from where shift+arrows started to the cursor, over the *shown*
columns in their display order; any move without shift ends it. Only rows the grid holds can be
copied (pages on and around the screen): a range beyond them says to export instead.
"""

from __future__ import annotations

from typing import Any

from textual.binding import Binding

from tui.app.grid.selection import FORMATS, CellRange, format_table

SELECTION_BINDINGS = [
    Binding("shift+up", "select(-1, 0)", "Select up", show=False),
    Binding("shift+down", "select(1, 0)", "Select down", show=False),
    Binding("shift+left", "select(0, -1)", "Select left", show=False),
    Binding("shift+right", "select(0, 1)", "Select right", show=False),
    Binding("C", "copy_as", "Copy as…", show=False),
    Binding("Y", "copy_column", "Copy column", show=False),
]


class SelectionActions:
    """Shift+arrows select; ``c`` copies the selection as TSV, ``C`` asks for the format."""

    #: (row, shown position) where the selection started, or ``None``
    _select_anchor: tuple[int, int] | None = None
    _extending = False
    cell_range: CellRange | None = None

    # provided by ResultsGrid
    _shown: list[int]
    columns: list[tuple[str, str]]
    cursor_row: int
    cursor_col: int
    app: Any

    def _position(self) -> int:
        return self._shown.index(self.cursor_col) if self.cursor_col in self._shown else 0

    def selection_follows(self) -> None:
        """The cursor moved: the selection grows with it (shift held) or ends."""
        if self._extending and self._select_anchor is not None:
            self.cell_range = CellRange.between(self._select_anchor, (self.cursor_row, self._position()))
        else:
            self._select_anchor = None
            self.cell_range = None

    def in_selection(self, row: int, index: int) -> bool:
        selection = self.cell_range
        if selection is None or not selection.first_row <= row <= selection.last_row:
            return False
        return index in self._shown[selection.first_col : selection.last_col + 1]

    def action_select(self, rows: int, cols: int) -> None:
        if not self._shown or not self.row_count:  # type: ignore[attr-defined]
            return
        if self._select_anchor is None:
            self._select_anchor = (self.cursor_row, self._position())
        position = max(0, min(self._position() + cols, len(self._shown) - 1))
        self._extending = True
        try:
            self.move_cursor(self.cursor_row + rows, self._shown[position])  # type: ignore[attr-defined]
        finally:
            self._extending = False

    def selected_table(self) -> tuple[list[str], list[list[Any]]] | None:
        """Names and values of the selected cells, or ``None`` (and a notice) when some of its
        rows are not held by the grid."""
        selection = self.cell_range
        assert selection is not None
        indexes = self._shown[selection.first_col : selection.last_col + 1]
        names = [self.columns[i][0] for i in indexes]
        rows = []
        for row in range(selection.first_row, selection.last_row + 1):
            data = self.cache.row(row)  # type: ignore[attr-defined]
            if data is None:
                self.notify(  # type: ignore[attr-defined]
                    f"Rows {selection.first_row + 1:,}-{selection.last_row + 1:,} are not all loaded: "
                    "select fewer, or e exports them to a file.",
                    title="Not copied",
                    severity="warning",
                    timeout=5,
                )
                return None
            rows.append([data.get(name) for name in names])
        return names, rows

    def copy_selection(self, fmt: str = "TSV") -> None:
        from tui.app.grid.clipboard import copy_or_refuse

        table = self.selected_table()
        if table is None:
            return
        names, rows = table
        if copy_or_refuse(self, format_table(names, rows, fmt)):  # type: ignore[arg-type]
            cells = len(rows) * len(names)
            self.notify(f"Copied {cells:,} cell{'s' if cells != 1 else ''} as {fmt}", timeout=2)  # type: ignore[attr-defined]

    def action_copy_as(self) -> None:
        from tui.app.grid.picker import PickerScreen

        if self.cell_range is None:
            self.notify("Select cells first: shift+arrows.", timeout=3)  # type: ignore[attr-defined]
            return

        def picked(choice: int | None) -> None:
            if choice is not None:
                self.copy_selection(FORMATS[choice])

        self.app.push_screen(PickerScreen("Copy the selection as", FORMATS), picked)

    def action_copy_column(self) -> None:
        """The current column's values in the rows on screen, one per line (no header)."""
        from tui.app.grid.clipboard import copy_or_refuse
        from tui.app.grid.selection import value_text

        if not self._shown or not self.row_count:  # type: ignore[attr-defined]
            return
        first, end = self._visible_rows()  # type: ignore[attr-defined]
        name = self.columns[self.cursor_col][0]
        values = []
        for row in range(first, end):
            data = self.cache.row(row)  # type: ignore[attr-defined]
            if data is None:
                return self._missing()  # type: ignore[attr-defined]
            values.append(value_text(data.get(name)).replace("\n", " "))
        if copy_or_refuse(self, "\n".join(values) + "\n"):  # type: ignore[arg-type]
            shown = f"Copied {len(values):,} values of {name} (rows {first + 1:,}-{end:,})"
            self.notify(shown, timeout=2, markup=False)  # type: ignore[attr-defined]
