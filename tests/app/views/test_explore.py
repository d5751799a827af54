"""Pilot tests of exploring a result: every key, against the real service in-process (the
derived queries run in its DuckDB over the stored result), and going back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from tests.app.helpers import grid_text, run_sql, settle, status_text, until
from tui.app import FolioApp

SIZE = (110, 30)
#: 1,000 rows of several types; kind cycles view/click/search, amount is NULL every 4th row
EVENTS = """\
SELECT range AS event_id,
       ['view', 'click', 'search'][1 + range % 3] AS kind,
       CASE WHEN range % 4 = 0 THEN NULL ELSE round(range * 1.25, 2) END AS amount,
       TIMESTAMP '2026-01-01 00:00:00' + to_seconds(range * 7) AS ts,
       'it''s "row" ' || range AS "odd name"
FROM range(1000)"""


async def open_events(pilot, sql: str = EVENTS) -> FolioApp:
    app: FolioApp = pilot.app
    await run_sql(pilot, sql)
    await until(pilot, lambda: app.grid.total is not None)
    app.grid.focus()
    await settle(pilot)
    return app


@asynccontextmanager
async def exploring(service, make_app, sql: str = EVENTS) -> AsyncIterator[tuple[Any, FolioApp, Any]]:
    """The app over the service, ``sql``'s result open and the grid focused."""
    async with service.client() as client:
        app = make_app(client)
        async with app.run_test(size=SIZE) as pilot:
            await open_events(pilot, sql)
            yield pilot, app, client


async def view_done(pilot, depth: int) -> None:
    app: FolioApp = pilot.app
    await until(pilot, lambda: len(app.views) == depth)
    await until(pilot, lambda: app.current is not None and app.current.status == "COMPLETED")
    await until(pilot, lambda: app.grid.total is not None)
    await settle(pilot)


def column_index(app: FolioApp, name: str) -> int:
    return [n for n, _ in app.grid.columns].index(name)


async def to_column(pilot, name: str) -> None:
    app: FolioApp = pilot.app
    app.grid.move_cursor(column=column_index(app, name))
    await pilot.pause()


async def find_with(pilot, text: str, *, regex: bool = False, column: bool = False) -> None:
    """``/``, the find dialog filled in (``text``, its regex and this-column boxes), enter."""
    from textual.widgets import Checkbox, Input

    app: FolioApp = pilot.app
    await pilot.press("slash")
    await until(pilot, lambda: app.screen.query("#find-text"))
    app.screen.query_one("#find-regex", Checkbox).value = regex
    app.screen.query_one("#find-column", Checkbox).value = column
    field = app.screen.query_one("#find-text", Input)
    field.value = text
    field.focus()
    await pilot.press("enter")


async def test_filter_by_the_current_cell(service, make_app):
    async with exploring(service, make_app) as (pilot, app, client):
        await to_column(pilot, "kind")
        app.grid.move_cursor(row=1)  # kind = 'click'
        await pilot.press("f")
        await view_done(pilot, 2)
        assert app.grid.total == 333
        root = app.views.views[0].label  # range(): no table name, the query's short id
        assert app.grid.border_title.startswith(f"{root} › kind = 'click' · rows 1-")
        assert "folio_row" not in [name for name, _ in app.grid.columns]
        text = grid_text(app)
        assert "click" in text and "view" not in text
        info = await client.info(app.current.query_id)
        assert info.derived_from == app.views.views[0].query_id


async def test_filter_on_a_null_cell_keeps_the_null_rows(service, make_app):
    async with exploring(service, make_app) as (pilot, app, client):
        await to_column(pilot, "amount")  # row 0: NULL
        await pilot.press("f")
        await view_done(pilot, 2)
        assert app.grid.total == 250
        assert app.views.top.label == "amount IS NULL"


async def test_filters_are_exact_for_quoted_names_decimals_and_timestamps(service, make_app):
    async with exploring(service, make_app) as (pilot, app, client):
        app.grid.move_cursor(row=7)
        for column in ("odd name", "ts", "amount"):
            await to_column(pilot, column)
            await pilot.press("f")
            await view_done(pilot, 2)
            assert app.grid.total == 1, column
            assert app.grid.current_row()["event_id"] == 7
            await pilot.press("backspace")
            await until(pilot, lambda: len(app.views) == 1)
        assert app.views.top.place.cursor_row == 7


async def test_sort_ascending_and_descending_replaces_the_sort(service, make_app):
    async with exploring(service, make_app) as (pilot, app, client):
        await to_column(pilot, "amount")
        await pilot.press("S")
        await view_done(pilot, 2)
        assert app.grid.total == 1000
        assert app.grid.current_row()["event_id"] == 999  # the largest amount first
        assert "sorted by amount ↓" in app.grid.border_title
        first_sort = app.current.query_id
        await pilot.press("s")
        await until(pilot, lambda: app.current.query_id != first_sort)
        await view_done(pilot, 2)  # the new sort took the old one's place
        assert app.grid.current_row()["event_id"] == 1  # 1.25, the smallest
        assert "sorted by amount ↑" in app.grid.border_title
        await pilot.press("end")
        await settle(pilot)
        assert app.grid.current_row()["amount"] is None  # NULLs last, in their original order
        assert app.grid.current_row()["event_id"] == 996


async def test_back_restores_cursor_and_scroll_without_fetching(service, make_app):
    from tests.app.conftest import page_requests, posts

    async with service.client() as client:
        app = make_app(client, page_size=100)
        async with app.run_test(size=SIZE) as pilot:
            await open_events(pilot)
            grid = app.grid
            grid.go_to_row(533)
            await to_column(pilot, "kind")
            await settle(pilot)
            scroll = (grid.scroll_offset.x, grid.scroll_offset.y)
            cursor = (grid.cursor_row, grid.cursor_col)
            shown = grid_text(app)
            await pilot.press("f")
            await view_done(pilot, 2)
            assert grid.cursor_row == 0 and grid.scroll_offset.y == 0
            requests = len(page_requests(service.requests))
            queries = posts(service.requests)
            await pilot.press("backspace")
            await pilot.pause()
            assert len(app.views) == 1
            assert (grid.cursor_row, grid.cursor_col) == cursor
            assert (grid.scroll_offset.x, grid.scroll_offset.y) == scroll
            assert grid_text(app) == shown  # drawn at once from the rows kept with the view
            await settle(pilot)
            assert posts(service.requests) == queries  # nothing run again
            assert len(page_requests(service.requests)) == requests  # nor fetched
            assert "COMPLETED" in status_text(app) and "1,000 rows" in status_text(app)
            assert grid.border_title.startswith("rows ")  # no path on the query's own result
            await pilot.press("backspace")  # nothing under the query's result: stays
            await pilot.pause()
            assert len(app.views) == 1


async def test_filter_by_expression_shows_the_sql_error_in_place(service, make_app):
    from textual.widgets import Input, Static

    async with exploring(service, make_app) as (pilot, app, client):
        await pilot.press("backslash")
        await until(pilot, lambda: app.screen.query("#expression"))
        await pilot.press(*"nope > 3")
        await pilot.press("enter")
        error = app.screen.query_one("#expression-error", Static)
        await until(pilot, lambda: "Binder Error" in str(error.render()))
        assert len(app.views) == 1  # nothing opened
        app.screen.query_one(Input).value = "amount > 1000 AND kind <> 'view'"
        await pilot.press("enter")
        await view_done(pilot, 2)
        # amount > 1000: event_id 801..999 not divisible by 4 (150), minus the views (50)
        assert app.grid.total == 100
        assert "amount > 1000 AND kind <> 'view'" in app.grid.border_title


async def test_frequency_table_with_bars_and_enter_filters_the_parent(service, make_app):
    async with exploring(service, make_app) as (pilot, app, client):
        await to_column(pilot, "kind")
        await pilot.press("F")
        await view_done(pilot, 2)
        grid = app.grid
        assert [name for name, _ in grid.columns] == ["value", "count", "percent", "histogram"]
        assert grid.total == 3
        rows = [grid.cache.row(i) for i in range(3)]
        assert rows[0]["value"] == "view" and rows[0]["count"] == 334
        assert rows[0]["histogram"] == "█" * 30
        assert rows[1]["histogram"].startswith("█" * 29)  # 333 / 334 of the width
        assert "frequency of kind" in grid.border_title
        grid.move_cursor(row=2)
        picked = grid.current_row()["value"]
        await pilot.press("enter")
        await view_done(pilot, 3)
        assert grid.total == 333
        assert {grid.cache.row(i)["kind"] for i in range(10)} == {picked}
        assert "frequency" not in grid.border_title  # the path reads as a filter of the data
        assert f"kind = '{picked}'" in grid.border_title
        await pilot.press("backspace")
        await until(pilot, lambda: len(app.views) == 2)
        assert grid.cursor_row == 2 and grid.frequency  # back on the frequency table
        await pilot.press("backspace")
        await until(pilot, lambda: len(app.views) == 1)
        assert not grid.frequency


async def test_frequency_of_a_number_is_binned_and_enter_filters_the_bin(service, make_app):
    async with exploring(service, make_app) as (pilot, app, client):
        await to_column(pilot, "event_id")
        await pilot.press("F")
        await view_done(pilot, 2)
        grid = app.grid
        row = grid.current_row()
        assert row["low"] is not None and row["high"] is not None
        count = row["count"]
        await pilot.press("enter")
        await view_done(pilot, 3)
        assert grid.total == count
        assert f"event_id in {row['value']}" in grid.border_title


async def test_profile_opens_on_the_current_column(service, make_app):
    async with exploring(service, make_app) as (pilot, app, client):
        await to_column(pilot, "amount")
        await pilot.press("i")
        await view_done(pilot, 2)
        grid = app.grid
        assert grid.total == 5  # one row per column
        row = grid.current_row()
        assert row["column"] == "amount"
        assert row["nulls"] == 250 and row["count"] == 750  # the values, NULLs apart
        assert "profile" in grid.border_title


async def test_find_next_previous_and_no_match(service, make_app):
    async with exploring(service, make_app) as (pilot, app, client):
        grid = app.grid
        await pilot.press("slash")
        await until(pilot, lambda: app.screen.query("#find-text"))
        await pilot.press(*'"row" 77')
        await pilot.press("enter")
        await until(pilot, lambda: grid.cursor_row == 77)
        assert grid.columns[grid.cursor_col][0] == "odd name"  # the match's cell
        assert "row 78" in status_text(app)  # rows are numbered from 1 on screen
        await pilot.press("n")
        await until(pilot, lambda: grid.cursor_row == 770)
        await pilot.press("n")
        await until(pilot, lambda: grid.cursor_row == 771)
        await pilot.press("N")
        await until(pilot, lambda: grid.cursor_row == 770)
        await pilot.press("N")
        await until(pilot, lambda: grid.cursor_row == 77)
        await pilot.press("N")
        await until(pilot, lambda: "no match" in status_text(app))
        assert grid.cursor_row == 77
        await find_with(pilot, "no such text")
        await until(pilot, lambda: "no match" in status_text(app))
        assert grid.cursor_row == 77


async def test_show_the_row_in_the_original(service, make_app):
    async with exploring(service, make_app) as (pilot, app, client):
        await to_column(pilot, "kind")
        app.grid.move_cursor(row=2)  # search
        await pilot.press("f")
        await view_done(pilot, 2)
        await to_column(pilot, "amount")
        await pilot.press("S")  # a sort of the filter: still rows of the original
        await view_done(pilot, 3)
        app.grid.move_cursor(row=3)
        event = app.grid.current_row()["event_id"]
        await pilot.press("o")
        await until(pilot, lambda: len(app.views) == 1)
        await settle(pilot)
        assert app.grid.cursor_row == event
        assert app.grid.current_row()["event_id"] == event


async def test_a_slow_derived_query_shows_running_and_f7_cancels_it(service, make_app):
    from textual.widgets import Input

    async with exploring(service, make_app) as (pilot, app, client):
        await pilot.press("backslash")
        await until(pilot, lambda: app.screen.query("#expression"))
        # a condition that takes minutes: the view opens running
        slow = "event_id >= (SELECT count(*) FROM range(1000000) a, range(1000000) b)"
        app.screen.query_one(Input).value = slow
        await pilot.press("enter")
        await until(pilot, lambda: len(app.views) == 2)
        assert app.current.status in ("QUEUED", "RUNNING")
        assert "▶" in status_text(app) and "F7 cancel" in status_text(app)
        assert app.grid.running
        derived = app.current.query_id
        await pilot.press("f7")
        await until(pilot, lambda: app.current.status == "CANCELLED")
        info = await client.info(derived)
        assert info.status.value == "CANCELLED"
        await pilot.press("backspace")
        await until(pilot, lambda: len(app.views) == 1)
        assert app.grid.total == 1000


async def test_leaving_a_running_view_cancels_its_query(service, make_app):
    from textual.widgets import Input

    async with exploring(service, make_app) as (pilot, app, client):
        await pilot.press("backslash")
        await until(pilot, lambda: app.screen.query("#expression"))
        app.screen.query_one(Input).value = "event_id >= (SELECT count(*) FROM range(1000000) a, range(1000000) b)"
        await pilot.press("enter")
        await until(pilot, lambda: len(app.views) == 2)
        derived = app.current.query_id
        await pilot.press("backspace")
        await until(pilot, lambda: len(app.views) == 1)
        await settle(pilot)

        async def cancelled() -> bool:
            return (await client.info(derived)).status.value == "CANCELLED"

        for _ in range(100):
            if await cancelled():
                break
            await pilot.pause(0.05)
        assert await cancelled()
        assert "COMPLETED" in status_text(app)  # the status is the parent's again


async def test_a_long_find_continues_where_the_scan_stopped(tmp_path, fake_clock, make_app):
    from tests.app.conftest import running_service

    async with running_service(tmp_path / "store", clock=fake_clock, find_scan_rows=100, chunk_rows=64) as service:
        async with service.client() as client:
            app = make_app(client)
            async with app.run_test(size=SIZE) as pilot:
                await open_events(pilot)
                await pilot.press("slash")
                await until(pilot, lambda: app.screen.query("#find-text"))
                await pilot.press(*'"row" 987')
                await pilot.press("enter")
                await until(pilot, lambda: app.grid.cursor_row == 987)
                finds = [path for method, path, _ in service.requests if path.endswith("/find")]
                assert len(finds) > 1  # a bounded scan a request: asked again from where it stopped
                await pilot.press("n")
                await until(pilot, lambda: "no match" in status_text(app))


async def test_a_bad_regex_is_said_in_the_status(service, make_app):
    async with exploring(service, make_app) as (pilot, app, client):
        await find_with(pilot, "row (", regex=True)
        await until(pilot, lambda: "✗ find" in status_text(app))
        assert app.grid.cursor_row == 0


async def test_find_in_one_column_only(service, make_app):
    async with exploring(service, make_app) as (pilot, app, client):
        await to_column(pilot, "event_id")
        await find_with(pilot, "12", column=True)
        # 12 in event_id (the amount of row 10 is 12.5, in another column)
        await until(pilot, lambda: app.grid.cursor_row == 12)
        assert app.grid.columns[app.grid.cursor_col][0] == "event_id"


async def test_keys_are_in_the_footer_help_and_palette(service, make_app):
    from tui.app.footer import KeysFooter
    from tui.app.help import SECTIONS

    async with service.client() as client:
        app = make_app(client)
        async with app.run_test(size=(160, 30)) as pilot:
            await open_events(pilot)
            footer_keys = {binding.key for (_, binding, enabled, _) in app.active_bindings.values() if binding.show}
            assert {"slash", "s", "f", "F", "backspace"} <= footer_keys
            assert {"slash", "s", "f", "F", "backspace"} <= {key.key for key in app.query_one(KeysFooter).shown.keys}
            explore = dict(next(rows for title, rows in SECTIONS if title.startswith("Exploring")))
            assert {"/  n  N", "s  S", "f", "\\", "F", "i", "o", "backspace"} == set(explore)
            titles = [command.title for command in app.get_system_commands(app.screen)]
            for title in ("Find", "Sort ascending", "Filter by cell", "Frequency table", "Profile", "Back"):
                assert title in titles


async def test_derived_results_appear_under_their_parent_in_the_sidebar(service, make_app):
    from tests.app.helpers import sidebar_text

    async with service.client() as client:
        app = make_app(client, sidebar=True)
        async with app.run_test(size=(140, 40)) as pilot:
            await open_events(pilot)
            await to_column(pilot, "kind")
            await pilot.press("f")
            await view_done(pilot, 2)
            app.refresh_queries()
            await settle(pilot)
            lines = sidebar_text(app).splitlines()
            root, derived = app.views.views[0].query_id[:8], app.current.query_id[:8]
            root_line = next(i for i, line in enumerate(lines) if root in line)
            derived_line = next(i for i, line in enumerate(lines) if derived in line)
            assert derived_line > root_line
            assert lines[derived_line].startswith("└ ")


async def test_sorting_a_frequency_table_by_its_bars_sorts_by_count(service, make_app):
    async with exploring(service, make_app) as (pilot, app, client):
        await to_column(pilot, "kind")
        await pilot.press("F")
        await view_done(pilot, 2)
        await to_column(pilot, "histogram")
        await pilot.press("f")  # the bars are not stored: said, nothing runs
        await pilot.pause()
        assert len(app.views) == 2
        await pilot.press("s")
        await view_done(pilot, 3)
        assert "sorted by count ↑" in app.grid.border_title
        counts = [app.grid.cache.row(i)["count"] for i in range(3)]
        assert counts == sorted(counts)


async def test_a_reopened_sort_comes_back_over_the_views_it_was_derived_from(service, make_app):
    """Re-opened from the sidebar, a filtered sort showed folio_row, no path and no original."""
    async with exploring(service, make_app) as (pilot, app, client):
        original = app.current.query_id
        await to_column(pilot, "kind")
        app.grid.move_cursor(row=2)  # search
        await pilot.press("f")
        await view_done(pilot, 2)
        await to_column(pilot, "amount")
        await pilot.press("S")
        await view_done(pilot, 3)
        sort = app.current.query_id
        await run_sql(pilot, "SELECT 42 AS other")
        await until(pilot, lambda: len(app.views) == 1 and app.current.query_id != sort)
        app.reopen_query(sort)
        await until(pilot, lambda: app.current.query_id == sort and app.grid.total is not None)
        await settle(pilot)
        stack = [view.query_id for view in app.views]
        assert len(stack) == 3 and stack[0] == original and stack[2] == sort
        assert app.grid.border_title.startswith(app.views.views[0].label + " › kind = 'search' › sorted by")
        assert "sorted by amount ↓" in app.grid.border_title
        assert "folio_row" not in [name for name, _ in app.grid.columns]
        assert "folio_row" not in grid_text(app)
        assert "re-opened" in status_text(app)
        app.grid.move_cursor(row=3)
        event = app.grid.current_row()["event_id"]
        await pilot.press("o")  # the original is there to go to
        await until(pilot, lambda: len(app.views) == 1)
        await settle(pilot)
        assert app.current.query_id == original
        assert app.grid.current_row()["event_id"] == event
        await pilot.press("escape")  # nothing under the query's own result
        assert len(app.views) == 1


async def test_a_reopened_filter_whose_original_is_gone_still_hides_folio_row(service, make_app):
    async with exploring(service, make_app) as (pilot, app, client):
        original = app.current.query_id
        await to_column(pilot, "kind")
        await pilot.press("f")  # kind = 'view'
        await view_done(pilot, 2)
        kept = app.current.query_id
        await client.cancel(original)  # cancelling a completed query drops its result
        app.reopen_query(kept)
        await until(pilot, lambda: app.current.query_id == kept and len(app.views) == 1)
        await until(pilot, lambda: app.grid.total is not None)
        await settle(pilot)
        assert app.grid.total == 334
        assert "folio_row" not in [name for name, _ in app.grid.columns]
        await pilot.press("o")
        await settle(pilot)
        assert "no longer stored" in " ".join(str(n.message) for n in app._notifications)
        await pilot.press("s")  # a sort of it reads result(): its folio_row still points nowhere
        await view_done(pilot, 2)
        assert app.views.top.rows_of is None and "result('" in app.views.top.sql


async def test_a_users_own_result_rows_query_keeps_folio_row_when_reopened(service, make_app):
    async with service.client() as client:
        app = make_app(client)
        async with app.run_test(size=SIZE) as pilot:
            await open_events(pilot, "SELECT range AS n FROM range(5)")
            parent = app.current.query_id
            await run_sql(pilot, f"SELECT * FROM result_rows('{parent}')")
            await until(pilot, lambda: app.grid.total == 5)
            mine = app.current.query_id
            assert "folio_row" in [name for name, _ in app.grid.columns]
            await run_sql(pilot, "SELECT 1 AS one")
            await until(pilot, lambda: app.current.query_id not in (parent, mine) and app.grid.total == 1)
            app.reopen_query(mine)
            await until(pilot, lambda: app.current.query_id == mine and app.grid.total == 5)
            await settle(pilot)
            assert "folio_row" in [name for name, _ in app.grid.columns]
            assert len(app.views) == 1 and app.views.top.kind == "query"
