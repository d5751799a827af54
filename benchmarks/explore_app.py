"""Exploring in the app (issue 11): key press to rows on screen, over the demo result.

    uv run python benchmarks/explore_app.py --rows 10000000

The real app, headless (``run_test``), over the embedded service on the demo database, after
``SELECT * FROM _events`` has completed. Each figure is the time from the key press to what
the user waits for: the derived view's first rows drawn (``f``, ``S``), the table complete
(``F``, ``i``), the cursor on the match (``/``, ``n``), the parent drawn again (backspace).
The service side alone (HTTP, no app) is ``benchmarks/explore.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")

from benchmarks._common import machine, print_table
from tui.app import FolioApp
from tui.app.connect import embedded
from tui.engines.demo import DEMO_SQL, ensure_demo
from tui.engines.duckdb import DuckDBEngine
from tui.server.settings import ServiceSettings


async def until(predicate: Callable[[], bool], timeout: float = 600.0) -> float:
    """Seconds until ``predicate()`` holds (polled every millisecond)."""
    started = time.perf_counter()
    while not predicate():
        if time.perf_counter() - started > timeout:
            raise TimeoutError("the app did not get there in time")
        await asyncio.sleep(0.001)
    return time.perf_counter() - started


async def measure(rows: int) -> list[tuple[str, str]]:
    db = ensure_demo(rows)
    results: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        settings = ServiceSettings.from_env(store_dir=Path(tmp))
        app = FolioApp(connect=embedded(DuckDBEngine(db), settings=settings), sql=DEMO_SQL, state_dir=None, poll=False)
        async with app.run_test(size=(140, 40)) as pilot:
            await until(lambda: app.source is not None)
            await pilot.press("f5")
            await until(lambda: app.current is not None and app.current.status == "COMPLETED")
            await app.settled()
            grid = app.grid
            grid.focus()
            names = [name for name, _ in grid.columns]

            def drawn(depth: int) -> Callable[[], bool]:
                return lambda: len(app.views) == depth and grid.cache.row(grid.scroll_offset.y) is not None

            def done(depth: int) -> Callable[[], bool]:
                return lambda: len(app.views) == depth and app.current.status == "COMPLETED" and grid.total is not None

            async def key(label: str, keys: list[str], ready: Callable[[], bool]) -> None:
                # watched from before the key is sent: Pilot's press() also waits for the app to
                # be idle, which is not what the user waits for
                watch = asyncio.create_task(until(ready))
                await pilot.press(*keys)
                results.append((label, f"{await watch:.2f} s"))
                await until(lambda: app.current.status == "COMPLETED")
                await app.settled()
                await pilot.pause()

            grid.move_cursor(column=names.index("country"))
            grid.move_cursor(row=next(i for i in range(250) if grid.cache.row(i)["country"] == "US"))
            await key("f: filter country = 'US', first rows drawn", ["f"], drawn(2))
            await key("backspace: the result again, drawn", ["backspace"], drawn(1))
            grid.move_cursor(column=names.index("amount"))
            await key("S: sort by amount ↓ (double), first rows drawn", ["S"], drawn(2))
            await key("backspace", ["backspace"], drawn(1))
            grid.move_cursor(column=names.index("kind"))
            await key("F: frequency of kind, complete", ["F"], done(2))
            await key("enter: filter to its first value, first rows drawn", ["enter"], drawn(3))
            await key("backspace ×2", ["backspace", "backspace"], drawn(1))
            await key("i: profile, complete", ["i"], done(2))
            await key("backspace", ["backspace"], drawn(1))
            near_end = int(rows * 0.99) // 97 * 97  # one row in 97 has a note; this one only once
            target = f"note for event {near_end}"
            await pilot.press("slash")
            await until(lambda: bool(app.screen.query("#find-text")))
            app.screen.query_one("#find-text").value = target
            watch = asyncio.create_task(until(lambda: grid.cursor_row == near_end))
            await pilot.press("enter")
            results.append((f"/: find a value once {near_end:,} rows down, from the top", f"{await watch:.2f} s"))
            grid.go_to_row(0)
            await pilot.press("slash")
            await until(lambda: bool(app.screen.query("#find-text")))
            app.screen.query_one("#find-text").value = "note for event"
            await pilot.press("enter")
            await until(lambda: grid.cursor_row == 0 and "row 1 " in str(app.status_line.render()))
            await key("n: the next match, 97 rows on", ["n"], lambda: grid.cursor_row == 97)
            await app.action_quit()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="demo rows (default 10,000,000)")
    rows = parser.parse_args().rows
    results = asyncio.run(measure(rows))
    print(f"explore in the app, {rows:,} demo rows, {machine()}")
    print_table(["step", "time"], results)


if __name__ == "__main__":
    main()
