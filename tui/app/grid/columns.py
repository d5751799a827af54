"""Which columns the grid shows, in which order, how wide, and how many stay put on the left.

A pure model (no Textual): the grid draws what it says, the column keys change it, and the user
state saves it per result by column *name*, so a re-opened result (same columns) looks as the
user left it. Columns are named by their index in the result's schema; positions are places in
the display order of the shown columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

#: narrowest a column can be made: one character and the ellipsis that says it is cut
NARROWEST = 2
#: widest a column can be made by hand (a value's text is cut to 160 characters anyway)
WIDEST = 160
#: how much one narrow / widen keypress changes a column
STEP = 4
#: columns frozen by default: the first one stays in view (as the grid always did)
DEFAULT_FROZEN = 1
#: the row-number column is at least this many digits wide while the row count is not known:
#: wide enough for 999,999,999 rows, so it does not widen while a query runs or completes
RUNNING_ROW_DIGITS = 9


def row_number_digits(total: int | None, known_rows: int, current: int = 0) -> int:
    """Digits of the row-number column: the total's, or a generous bound while it is not known,
    and never fewer than ``current`` (what it already is), so it never shifts the columns."""
    digits = len(str(max(total, 1))) if total is not None else max(RUNNING_ROW_DIGITS, len(str(max(known_rows, 1))))
    return max(digits, current)


@dataclass
class ColumnLayout:
    """The user's arrangement of one result's ``count`` columns."""

    count: int
    #: display order of all columns (shown or not), as schema indexes
    order: list[int] = field(default_factory=list)
    hidden: set[int] = field(default_factory=set)
    #: widths set by hand (narrow / widen), by schema index
    widths: dict[int, int] = field(default_factory=dict)
    #: how many of the shown columns (from the left) stay in view when scrolling across
    frozen: int = DEFAULT_FROZEN

    def __post_init__(self) -> None:
        if sorted(self.order) != list(range(self.count)):
            self.order = list(range(self.count))

    # --- reading

    def shown(self) -> list[int]:
        """Schema indexes of the shown columns, left to right."""
        return [index for index in self.order if index not in self.hidden]

    def width(self, index: int, natural: int) -> int:
        """The width of column ``index``: set by hand, else ``natural`` (from its values)."""
        return self.widths.get(index, natural)

    def frozen_count(self) -> int:
        """Frozen columns actually shown (never all of them: one must scroll)."""
        return max(0, min(self.frozen, len(self.shown())))

    @property
    def is_default(self) -> bool:
        return (
            self.order == list(range(self.count))
            and not self.hidden
            and not self.widths
            and self.frozen == DEFAULT_FROZEN
        )

    def neighbour(self, index: int, step: int) -> int | None:
        """The shown column ``step`` places to the right (left if negative) of ``index``."""
        shown = self.shown()
        if not shown:
            return None
        position = shown.index(index) if index in shown else 0
        return shown[max(0, min(position + step, len(shown) - 1))]

    # --- changing

    def hide(self, index: int) -> bool:
        """Hide column ``index``; the last shown column cannot be hidden."""
        if index in self.hidden or len(self.shown()) <= 1:
            return False
        self.hidden.add(index)
        return True

    def show(self, index: int) -> None:
        self.hidden.discard(index)

    def show_all(self) -> int:
        """Show every hidden column; how many there were."""
        count = len(self.hidden)
        self.hidden.clear()
        return count

    def resize(self, index: int, natural: int, delta: int) -> int:
        """Make column ``index`` ``delta`` wider (narrower if negative); its new width."""
        width = max(NARROWEST, min(WIDEST, self.width(index, natural) + delta))
        if width == natural:
            self.widths.pop(index, None)
        else:
            self.widths[index] = width
        return width

    def move(self, index: int, step: int) -> bool:
        """Swap column ``index`` with the shown column next to it (``step`` is -1 or +1)."""
        other = self.neighbour(index, step)
        if other is None or other == index:
            return False
        a, b = self.order.index(index), self.order.index(other)
        self.order[a], self.order[b] = other, index
        return True

    def freeze_through(self, index: int) -> int:
        """Freeze the shown columns up to and including ``index``; again on the same column goes
        back to the default. The number frozen."""
        shown = self.shown()
        count = shown.index(index) + 1 if index in shown else DEFAULT_FROZEN
        self.frozen = DEFAULT_FROZEN if count == self.frozen else count
        return self.frozen

    # --- saving, by column name

    def to_state(self, names: Sequence[str]) -> dict[str, Any]:
        return {
            "order": [names[i] for i in self.order],
            "hidden": sorted(names[i] for i in self.hidden),
            "widths": {names[i]: width for i, width in sorted(self.widths.items())},
            "frozen": self.frozen,
        }

    @classmethod
    def from_state(cls, names: Sequence[str], state: Any) -> ColumnLayout:
        """The layout saved as ``state`` for columns ``names``; what does not match them (the
        result's columns changed, or the file was edited) is ignored, never an error."""
        layout = cls(len(names))
        if not isinstance(state, dict):
            return layout
        where = {name: i for i, name in enumerate(names)}
        order = [where[n] for n in state.get("order", []) if isinstance(n, str) and n in where]
        if len(set(order)) == len(order):
            layout.order = order + [i for i in range(len(names)) if i not in set(order)]
        hidden = {where[n] for n in state.get("hidden", []) if isinstance(n, str) and n in where}
        if len(hidden) < len(names):
            layout.hidden = hidden
        widths = state.get("widths", {})
        if isinstance(widths, dict):
            layout.widths = {
                where[n]: max(NARROWEST, min(WIDEST, w))
                for n, w in widths.items()
                if n in where and isinstance(w, int) and not isinstance(w, bool)
            }
        frozen = state.get("frozen", DEFAULT_FROZEN)
        if isinstance(frozen, int) and not isinstance(frozen, bool) and 0 <= frozen <= len(names):
            layout.frozen = frozen
        return layout
