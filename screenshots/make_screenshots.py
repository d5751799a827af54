"""Regenerate screenshots/*.svg from the real app over the real (embedded) service.

    uv run python screenshots/make_screenshots.py [--rows N]

Harlequin's recipe: drive the app headless with ``run_test``, wait until it has what it needs,
then ``save_screenshot``. The demo database (10,000,000 rows by default) is built once and
cached; results go to a throwaway store, so your own stored queries are neither shown nor
touched.
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

from tui.app import FolioApp
from tui.app.connect import embedded
from tui.engines.demo import DEMO_SQL, ensure_demo
from tui.engines.duckdb import DuckDBEngine
from tui.server.settings import ServiceSettings

HERE = Path(__file__).resolve().parent
SIZE = (140, 40)


async def until(predicate: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the app did not get there in time")
        await asyncio.sleep(0.02)


def make_app(db: Path, store: Path, sql: str = DEMO_SQL) -> FolioApp:
    settings = ServiceSettings.from_env(store_dir=store)
    connect = embedded(DuckDBEngine(db), settings=settings)
    rows = db.stem.split("-")[-1]
    return FolioApp(
        connect=connect, sql=sql, where=f"demo _events ({int(rows):,} rows)", state_dir=None, sidebar=True, poll=False
    )


async def shoot(app: FolioApp, name: str, script: Callable, size: tuple[int, int] = SIZE) -> None:
    async with app.run_test(size=size) as pilot:
        await until(lambda: app.source is not None)
        await pilot.pause()
        await script(pilot)
        await pilot.pause()
        app.save_screenshot(f"{name}.svg", str(HERE))
        print(f"screenshots/{name}.svg")


async def run_demo(pilot, *, finished: bool = True) -> None:
    app: FolioApp = pilot.app
    await pilot.press("f5")
    await until(lambda: app.current is not None and app.grid.cache.row(0) is not None)
    if finished:
        await until(lambda: app.current.status == "COMPLETED")
    app.refresh_queries()
    await app.settled()
    app.grid.focus()
    await pilot.pause()


async def main(rows: int, only: str | None = None) -> None:
    db = ensure_demo(rows)
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp)

        async def running(pilot) -> None:
            await run_demo(pilot, finished=False)

        async def results(pilot) -> None:
            await run_demo(pilot)
            await pilot.press("down", "down", "right", "right", "right")

        async def last_rows(pilot) -> None:
            await run_demo(pilot)
            await pilot.press("end")
            await pilot.app.settled()

        async def detail(pilot) -> None:
            await run_demo(pilot)
            await pilot.press("down", "down", "down", "down", "enter")

        async def sql_error(pilot) -> None:
            await pilot.press("f5")
            await until(lambda: pilot.app.current is not None)
            await pilot.app.settled()
            pilot.app.clear_notifications()

        async def keys(pilot) -> None:
            await pilot.press("f1")

        async def saved(pilot) -> None:
            from textual.widgets import Input, OptionList, TabbedContent

            from tui.app.editor.params import ParamsScreen
            from tui.app.sidebar.saved import SavedLambdas

            app: FolioApp = pilot.app
            lambdas = app.source.lambdas  # type: ignore[union-attr]
            await lambdas.save(
                "events_by_kind", "SELECT * FROM _events WHERE kind = :kind", default_parameters={"kind": "signup"}
            )
            await lambdas.save(
                "big_purchases",
                "SELECT event_id, ts, user_id, country, amount FROM _events\n"
                "WHERE kind = 'purchase' AND country = :country AND amount >= :min_amount\nORDER BY amount DESC",
                default_parameters={"country": "DE", "min_amount": 100},
            )
            await lambdas.save(
                "daily_counts",
                "SELECT date_trunc('day', ts) AS day, kind, count(*) AS n FROM _events GROUP BY ALL ORDER BY ALL",
                workspace="reports",
            )
            app.action_focus_sidebar()
            app.sidebar.query_one(TabbedContent).active = "saved-tab"
            tab = app.sidebar.query_one(SavedLambdas)
            await until(lambda: tab.loaded)
            tab.query_one(OptionList).focus()
            tab.query_one(OptionList).highlighted = 0  # commons.big_purchases
            await pilot.press("enter")
            await until(lambda: isinstance(app.screen, ParamsScreen))
            app.screen.query_one("#param-min_amount", Input).value = "450"
            await pilot.press("enter", "enter")
            await until(lambda: app.current is not None and app.current.status == "COMPLETED")
            await app.settled()
            tab.query_one(OptionList).focus()

        async def on_column(pilot, name: str) -> None:
            grid = pilot.app.grid
            grid.move_cursor(column=[n for n, _ in grid.columns].index(name))
            await pilot.pause()

        async def derived(pilot, key: str, depth: int) -> None:
            app: FolioApp = pilot.app
            await pilot.press(key)
            await until(lambda: len(app.views) == depth and app.current.status == "COMPLETED", timeout=120)
            await until(lambda: app.grid.cache.row(app.grid.cursor_row) is not None)
            app.refresh_queries()
            await app.settled()
            await pilot.pause()

        async def filtered(pilot) -> None:
            # the example: _events › country = 'US' › sorted by amount ↓
            await run_demo(pilot)
            grid = pilot.app.grid
            await on_column(pilot, "country")
            grid.move_cursor(row=next(i for i in range(200) if grid.cache.row(i)["country"] == "US"))
            await derived(pilot, "f", depth=2)
            await on_column(pilot, "amount")
            await derived(pilot, "S", depth=3)

        async def frequency(pilot) -> None:
            await run_demo(pilot)
            await on_column(pilot, "tags")
            await derived(pilot, "F", depth=2)
            await pilot.press("down")

        async def profile(pilot) -> None:
            await run_demo(pilot)
            await on_column(pilot, "amount")
            await derived(pilot, "i", depth=2)

        async def catalog(pilot) -> None:
            app = pilot.app
            await pilot.press("f6")  # showing the Catalog tab reads the catalog
            await until(lambda: bool(app.editor.completion.index.catalog.relations))
            await app.settled()
            await pilot.press("down", "space")  # _events, expanded to its columns
            app.editor.focus()
            app.editor.move_cursor((0, 7))
            for key in ("e", "full_stop"):  # `e.` after FROM _events e: e's columns
                await pilot.press(key)
            await until(lambda: app.editor.completion.shown)
            await app.settled()

        if only == "catalog":
            await shoot(make_app(db, store, "SELECT  FROM _events e\nWHERE e.kind = 'click'"), "catalog", catalog)
            return

        await shoot(make_app(db, store), "results", results)
        await shoot(make_app(db, store), "end", last_rows)
        await shoot(make_app(db, store), "detail", detail)
        bad = "SELECT kind, count(*) AS n\nFROM _events\nGROUP BY kind\nORDER BY n DESCC"
        await shoot(make_app(db, store, bad), "error", sql_error)
        await shoot(make_app(db, store), "help", keys)
        await shoot(make_app(db, store, "SELECT  FROM _events e\nWHERE e.kind = 'click'"), "catalog", catalog)
        await shoot(make_app(db, store), "saved", saved)
        await shoot(make_app(db, store), "small-80x24", results, size=(80, 24))
        await shoot(make_app(db, store), "filtered", filtered)
        await shoot(make_app(db, store), "frequency", frequency)
        await shoot(make_app(db, store), "profile", profile)
        # last: leaving the app stops its embedded service, and with it the running query
        await shoot(make_app(db, store), "running", running)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="demo rows (default 10,000,000)")
    parser.add_argument("--only", choices=["catalog"], help="make just this screenshot")
    args = parser.parse_args()
    asyncio.run(main(args.rows, args.only))
