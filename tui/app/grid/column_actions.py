"""The column keys of the grid: jump to a column by name, hide / show, narrow / widen, move,
freeze. A mixin of :class:`~tui.app.grid.grid.ResultsGrid` (which draws what its ``layout``
says); the arrangement is saved per result in the user state whenever it changes and restored
when the result is shown again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.binding import Binding

from tui.app.grid.cells import cell_text
from tui.app.grid.columns import STEP, ColumnLayout

if TYPE_CHECKING:
    from tui.app.state import UserState

COLUMN_BINDINGS = [
    Binding("g", "jump_column", "Column"),
    Binding("minus", "hide_column", "Hide column", show=False),
    Binding("plus", "show_columns", "Show columns", show=False),
    Binding("less_than_sign", "resize_column(-1)", "Narrower", show=False),
    Binding("greater_than_sign", "resize_column(1)", "Wider", show=False),
    Binding("H", "move_column(-1)", "Move column left", show=False),
    Binding("L", "move_column(1)", "Move column right", show=False),
    Binding("z", "freeze", "Freeze columns", show=False),
]


class ColumnActions:
    """Column keys over ``self.column_layout``; see :class:`~tui.app.grid.columns.ColumnLayout`."""

    # provided by ResultsGrid
    column_layout: ColumnLayout
    columns: list[tuple[str, str]]
    key: str
    _widths: list[int]
    cursor_col: int
    app: Any

    def column_width(self, index: int) -> int:
        return self.column_layout.width(index, self._widths[index])

    @property
    def column_names(self) -> list[str]:
        return [name for name, _ in self.columns]

    def shown_for_export(self) -> tuple[list[str] | None, int]:
        """The shown columns' names in their order, if they are not all columns in the
        result's order (then an export can write just what is seen), and how many there are."""
        shown = [self.columns[i][0] for i in self.column_layout.shown() if i < len(self.columns)]
        return (None if shown == self.column_names else shown), len(self.columns)

    # --- saved per result

    def _user_state(self) -> UserState | None:
        try:
            return getattr(self.app, "user_state", None)
        except Exception:  # no app yet (a grid built outside one)
            return None

    def load_layout(self) -> None:
        """The layout of this result's columns: as the user left it, else the default."""
        names = self.column_names
        if self.column_layout.count == len(names) and getattr(self, "_layout_key", None) == self.key:
            return
        state = self._user_state()
        saved = state.load_columns(self.key) if state is not None and self.key and names else None
        self.column_layout = ColumnLayout.from_state(names, saved) if saved else ColumnLayout(len(names))
        self._layout_key = self.key

    def _layout_changed(self) -> None:
        state = self._user_state()
        if state is not None and self.key:
            layout = self.column_layout
            state.save_columns(self.key, None if layout.is_default else layout.to_state(self.column_names))
        self._relayout()  # type: ignore[attr-defined]
        self.move_cursor(column=self.cursor_col)  # type: ignore[attr-defined]

    def _has_columns(self) -> bool:
        return bool(self.columns) and self.column_layout.count == len(self.columns)

    # --- keys

    def action_jump_column(self) -> None:
        from tui.app.grid.picker import PickerScreen

        if not self._has_columns():
            return
        names = [cell_text(name) for name in self.column_names]
        order = self.column_layout.order
        hidden = self.column_layout.hidden

        def picked(choice: int | None) -> None:
            if choice is None:
                return
            index = order[choice]
            if index in self.column_layout.hidden:
                self.column_layout.show(index)
                self.cursor_col = index
                self._layout_changed()
            else:
                self.move_cursor(column=index)  # type: ignore[attr-defined]

        self.app.push_screen(
            PickerScreen(
                "Go to column",
                [names[i] for i in order],
                notes=["hidden" if i in hidden else "" for i in order],
                current=order.index(self.cursor_col) if self.cursor_col in order else 0,
            ),
            picked,
        )

    def action_hide_column(self) -> None:
        if not self._has_columns():
            return
        index = self.cursor_col
        after = self.column_layout.neighbour(index, 1)
        if after == index:
            after = self.column_layout.neighbour(index, -1)
        if not self.column_layout.hide(index):
            self.notify("The last shown column stays.", timeout=2)  # type: ignore[attr-defined]
            return
        self.cursor_col = after if after is not None else 0
        self.notify(  # type: ignore[attr-defined]
            f"Hid {cell_text(self.columns[index][0])} · + shows all", timeout=2, markup=False
        )
        self._layout_changed()

    def action_show_columns(self) -> None:
        if self._has_columns() and self.column_layout.show_all():
            self._layout_changed()

    def action_resize_column(self, direction: int) -> None:
        if self._has_columns():
            index = self.cursor_col
            self.column_layout.resize(index, self._widths[index], direction * STEP)
            self._layout_changed()

    def action_move_column(self, step: int) -> None:
        if self._has_columns() and self.column_layout.move(self.cursor_col, step):
            self._layout_changed()

    def action_freeze(self) -> None:
        if not self._has_columns():
            return
        frozen = self.column_layout.freeze_through(self.cursor_col)
        self.notify(  # type: ignore[attr-defined]
            f"{frozen} column{'s' if frozen != 1 else ''} stay in view", timeout=2
        )
        self._layout_changed()


def column_commands(grid: Any) -> list[tuple[str, str, Callable[[], Any]]]:
    """The column and copy keys as command palette entries: (title, help, callback)."""
    return [
        ("Go to column", "Jump to a column by name (fuzzy); a hidden one is shown again", grid.action_jump_column),
        ("Hide column", "Hide the current column (+ shows all)", grid.action_hide_column),
        ("Show all columns", "Show the hidden columns again", grid.action_show_columns),
        ("Narrow column", "Make the current column narrower", lambda: grid.action_resize_column(-1)),
        ("Widen column", "Make the current column wider", lambda: grid.action_resize_column(1)),
        ("Move column left", "Swap the current column with the one on its left", lambda: grid.action_move_column(-1)),
        ("Move column right", "Swap the current column with the one on its right", lambda: grid.action_move_column(1)),
        ("Freeze columns", "Keep the columns up to the current one in view", grid.action_freeze),
        ("Copy selection as…", "Copy the selected cells as TSV, CSV or Markdown", grid.action_copy_as),
        ("Copy column", "Copy the current column's values on screen", grid.action_copy_column),
    ]
