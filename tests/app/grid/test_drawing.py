"""The grid's drawing (tui/app/grid/drawing.py): how much of a huge value or a wide row it turns
into text when it paints, over a row source the test controls."""

from __future__ import annotations

from typing import Any

from tests.app.grid.harness import grid_over
from tests.app.helpers import grid_lines, until
from tui.app.grid.cells import ELLIPSIS, MAX_CELL_CHARS
from tui.app.grid.pages import RowPage


class Counted:
    """A value the JSON of a cell turns into text with ``str()``: counts how often it is."""

    calls = 0

    def __str__(self) -> str:
        Counted.calls += 1
        return "v"


class OnePage:
    def __init__(self, row: dict[str, Any]) -> None:
        self.row = row

    async def fetch(self, offset: int, docs: int) -> RowPage:
        return RowPage(offset, [self.row] if offset == 0 else [], [("big", "JSON"), ("n", "INTEGER")], total=1)


async def test_painting_a_huge_nested_value_formats_only_what_a_cell_shows():
    huge = {"items": [Counted()] * 1_000_000, "tail": "x" * 10_000_000}
    Counted.calls = 0
    async with grid_over(OnePage({"big": huge, "n": 1}), columns=None) as (pilot, grid):
        await until(pilot, lambda: grid.cache.row(0) is not None)
        grid.focus()
        for _ in range(5):  # every cursor move repaints the row
            await pilot.press("right", "left")
            row = next(line for line in grid_lines(grid) if line.lstrip().startswith("1 "))
            assert '{"items":["v","v"' in row and ELLIPSIS in row
        # a million elements, each painted at most a cell's worth
        assert 0 < Counted.calls < 100 * MAX_CELL_CHARS


class Watched(dict):
    """A row that notes which of its values the grid asks for."""

    asked: set[str] = set()

    def get(self, key: Any, default: Any = None) -> Any:
        Watched.asked.add(key)
        return super().get(key, default)


class WideSource:
    def __init__(self, columns: list[tuple[str, str]]) -> None:
        self.columns = columns
        self.row = Watched({name: f"value of {name}" for name, _ in columns})

    async def fetch(self, offset: int, docs: int) -> RowPage:
        return RowPage(offset, [self.row] if offset == 0 else [], self.columns, total=1)


async def test_a_line_turns_into_text_only_the_cells_on_screen():
    """A 300-column row drawn 80 cells wide: each line used to format every cell and crop the
    strip afterwards, so a keypress cost grew with the result's columns."""
    columns = [(f"c{i:03}", "VARCHAR") for i in range(300)]
    source = WideSource(columns)
    async with grid_over(source, columns=columns, total=1) as (pilot, grid):
        await until(pilot, lambda: grid.cache.row(0) is not None)
        visible_at_most = 80 // (len("value of c000") + 2) + 2  # the frozen one and a cut one

        def drawn() -> str:
            Watched.asked = set()
            grid.move_cursor(0)  # a keypress: every line drawn again
            return grid_lines(grid)[2]

        line = drawn()
        assert "value of c000" in line and "value of c001" in line
        assert "c000" in Watched.asked and len(Watched.asked) <= visible_at_most
        grid.move_cursor(column=250)
        await pilot.pause()
        line = drawn()
        assert "value of c250" in line and "value of c000" in line  # the first column is frozen
        assert {"c000", "c250"} <= Watched.asked and len(Watched.asked) <= visible_at_most
        assert "c100" not in Watched.asked
