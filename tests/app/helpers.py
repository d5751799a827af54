"""Reading what the app shows, and waiting for it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from textual.widgets import OptionList, Static

from tui.app import FolioApp
from tui.app.grid import ResultsGrid


def grid_lines(grid: ResultsGrid) -> list[str]:
    """The grid's lines exactly as it renders them (header included)."""
    return ["".join(segment.text for segment in grid.render_line(y)) for y in range(grid.size.height)]


def grid_text(app: FolioApp) -> str:
    return "\n".join(grid_lines(app.grid))


def status_text(app: FolioApp) -> str:
    return str(app.query_one("#status", Static).render())


def sidebar_text(app: FolioApp) -> str:
    option_list = app.sidebar.query_one(OptionList)
    return "\n".join(str(option_list.get_option_at_index(i).prompt) for i in range(option_list.option_count))


async def until(pilot, predicate: Callable[[], bool], timeout: float = 20.0) -> None:
    """Let the app run until ``predicate()`` holds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("the app did not get there in time")
        await asyncio.sleep(0.02)
    await pilot.pause()


async def settle(pilot) -> None:
    await pilot.app.settled()
    await pilot.pause()


async def run_sql(pilot, sql: str, *, wait: bool = True) -> None:
    """Type ``sql`` into the editor (replacing the buffer) and run it with F5."""
    app: FolioApp = pilot.app
    app.editor.load_text(sql)
    app.editor.focus()
    await pilot.press("f5")
    await until(pilot, lambda: app.current is not None)
    if wait:
        await settle(pilot)
