"""Pilot tests: the real app over the real service in-process, checking both what is on screen
and what the server was asked."""

from __future__ import annotations

import httpx

from tests.app.conftest import page_requests, posts, range_sql
from tests.app.helpers import grid_text, run_sql, settle, sidebar_text, status_text, until

SIZE = (100, 30)
#: runs for minutes unless cancelled (and produces no row before it ends)
SLOW_SQL = "SELECT sum(hash(a.range * b.range)) AS h FROM range(1000000) a, range(1000000) b"


async def test_run_a_query_and_see_rows(service, make_app):
    async with service.client() as client:
        app = make_app(client)
        async with app.run_test(size=SIZE) as pilot:
            await run_sql(pilot, "SELECT 41 + 1 AS answer, 'hello' AS greeting, NULL AS nothing, [1, 2] AS list")
            text = grid_text(app)
            assert "answer" in text and "greeting" in text
            assert "42" in text and "hello" in text and "∅" in text and "[1,2]" in text
            assert "integer" in text  # the type under the name
            assert app.grid.border_title == "rows 1-1 of 1"
            assert "COMPLETED" in status_text(app)
    assert posts(service.requests) == 1


async def test_scrolling_near_the_end_of_a_page_requests_exactly_the_next_page(service, make_app):
    async with service.client() as client:
        app = make_app(client, page_size=100)
        async with app.run_test(size=SIZE) as pilot:
            await run_sql(pilot, range_sql(1_000))
            await until(pilot, lambda: app.grid.total == 1_000)
            await settle(pilot)
            before = page_requests(service.requests)
            # page 0 (it may come with the query) and, if the app saw the query complete, the last
            # page, fetched ahead for End
            assert {offset for offset, _ in before} <= {0, 900}
            grid = app.grid
            grid.focus()

            def view_end() -> int:
                return int(grid.scroll_offset.y) + grid.body_height

            while view_end() + 10 < 50:  # stay more than half a page (50 rows) from row 100
                await pilot.press("pagedown")
            await settle(pilot)
            # still far from the end of page 0: nothing fetched
            assert page_requests(service.requests) == before
            while view_end() <= 50:
                await pilot.press("pagedown")
            await settle(pilot)
            # within half a page of its end: page 1 was fetched, once, and nothing else
            after = [request for request in page_requests(service.requests)[len(before) :] if request != (900, 100)]
            assert after == [(100, 100)]
            assert f"row {view_end() - 1}" in grid_text(app)


async def test_end_shows_the_last_page_fetched_ahead_and_no_page_in_between(service, make_app):
    async with service.client() as client:
        app = make_app(client, patient_runs=False)  # still running when its run answers
        async with app.run_test(size=SIZE) as pilot:
            await run_sql(pilot, range_sql(1_000_000))
            await until(pilot, lambda: app.grid.total == 1_000_000, timeout=60)
            size = app.grid.page_size
            last = (1_000_000 - size, size)
            # fetched ahead once the size is known, so End only paints
            await until(pilot, lambda: last in page_requests(service.requests))
            await settle(pilot)
            before = len(page_requests(service.requests))
            app.grid.focus()
            await pilot.press("end")
            await settle(pilot)
            assert page_requests(service.requests)[before:] == []
            assert page_requests(service.requests).count(last) == 1
            assert {offset for offset, _ in page_requests(service.requests)} <= {0, last[0]}  # none in between
            text = grid_text(app)
            assert "row 999999" in text and "1000000" in text  # the value and the row number
            assert app.grid.border_title.endswith("of 1,000,000")
            await pilot.press("home")
            await settle(pilot)
            assert "row 0" in grid_text(app)


async def test_paging_through_a_million_rows_keeps_the_page_cache_bounded(service, make_app):
    async with service.client() as client:
        # the run waits for the query (PatientRuns): page 0 comes with it, the rest on demand
        app = make_app(client, page_size=10_000, max_pages=6)
        async with app.run_test(size=SIZE) as pilot:
            await run_sql(pilot, "SELECT range AS i FROM range(1000000)")
            await until(pilot, lambda: app.grid.total == 1_000_000, timeout=60)
            grid = app.grid
            largest = 0
            for row in range(0, 1_000_000, 10_000):
                grid.go_to_row(row)
                await settle(pilot)
                largest = max(largest, len(grid.cache))
                assert grid.cache.row(row) == {"i": row}
            assert largest <= 6
            assert len(grid.cache) <= 6
            offsets = [offset for offset, _ in page_requests(service.requests)]
            # every other page fetched, each exactly once
            assert sorted(set(offsets)) == list(range(10_000, 1_000_000, 10_000))
            assert len(offsets) == len(set(offsets))


async def test_sidebar_shows_status_and_expiry_from_the_injected_clock(service, make_app, fake_clock):
    async with service.client() as client:
        app = make_app(client, sidebar=True)
        async with app.run_test(size=(140, 40)) as pilot:
            await run_sql(pilot, range_sql(5))
            await until(pilot, lambda: app.current.status == "COMPLETED")
            app.refresh_queries()
            await settle(pilot)
            text = sidebar_text(app)
            assert "COMPLETED" in text and "5 rows" in text
            assert "expires in 24h 00m" in text
            fake_clock.advance(hours=1, minutes=1)
            app.sidebar.tick()
            await pilot.pause()
            assert "expires in 22h 59m" in sidebar_text(app)
            fake_clock.advance(hours=23)
            app.sidebar.tick()
            await pilot.pause()
            assert "EXPIRED" in sidebar_text(app)


async def test_reopening_a_stored_result_does_not_run_it_again(service, make_app, fake_clock):
    async with service.client() as client:
        app = make_app(client, sidebar=True)
        async with app.run_test(size=(140, 40)) as pilot:
            await run_sql(pilot, range_sql(500))
            first = app.current.query_id
            fake_clock.advance(minutes=1)
            await run_sql(pilot, range_sql(700))
            await until(pilot, lambda: app.grid.total == 700)
            app.refresh_queries()
            await settle(pilot)
            assert posts(service.requests) == 2
            before = len(service.requests)
            await pilot.press("f4")  # focus the queries list: newest first, so the first run is second
            await pilot.press("end", "enter")
            await until(pilot, lambda: app.current.query_id == first)
            await settle(pilot)
            assert app.grid.total == 500
            assert "row 0" in grid_text(app)
            after = service.requests[before:]
            assert posts(after) == 0
            assert any(method == "GET" and path.endswith(first) for method, path, _ in after)
            assert "re-opened" in status_text(app)


async def test_a_reopened_result_reports_the_reopen_not_the_original_run(service, make_app, fake_clock):
    """It said ``re-opened in 4.6 s`` (the original run) when the re-open took 0.23 s."""
    async with service.client() as client:
        app = make_app(client, sidebar=True)
        async with app.run_test(size=(140, 40)) as pilot:
            await run_sql(pilot, range_sql(500))
            first = app.current.query_id
            await until(pilot, lambda: app.current.status == "COMPLETED")
            assert "re-opened" not in status_text(app)
            await run_sql(pilot, range_sql(700))
            await until(pilot, lambda: app.grid.total == 700)
            real_info = client.info

            async def slow_info(query_id):  # the clock moves 230 ms while the service answers
                fake_clock.advance(milliseconds=230)
                return await real_info(query_id)

            client.info = slow_info  # type: ignore[method-assign]
            app.reopen_query(first)
            await until(pilot, lambda: app.current.query_id == first)
            await settle(pilot)
            text = status_text(app)
            assert "re-opened in 230 ms (ran in " in text
            assert "500 rows" in text


async def test_cancel_a_running_query(service, make_app):
    async with service.client() as client:
        app = make_app(client)
        async with app.run_test(size=SIZE) as pilot:
            await run_sql(pilot, SLOW_SQL, wait=False)
            assert app.current.status in ("QUEUED", "RUNNING")
            assert "RUNNING" in status_text(app) or "QUEUED" in status_text(app)
            await pilot.press("f7")
            await until(pilot, lambda: app.current.status == "CANCELLED")
            assert "CANCELLED" in status_text(app)
            assert any(method == "DELETE" for method, _, _ in service.requests)
            info = await client.info(app.current.query_id)
            assert info.status.value == "CANCELLED"


async def test_sql_error_shows_the_message_and_moves_the_cursor(service, make_app):
    async with service.client() as client:
        app = make_app(client)
        async with app.run_test(size=SIZE) as pilot:
            app.editor.load_text("SELECT 1;\n\nSELECT 1,\n       2 3")
            app.editor.move_cursor((3, 3))
            await pilot.press("f5")
            await until(pilot, lambda: app.current is not None)
            await settle(pilot)
            assert "SQL error" in status_text(app)
            assert "syntax error" in grid_text(app)
            # the error is on line 2 of the statement, which starts on buffer line 2 (0-based)
            line, column = app.editor.cursor_location
            assert line == 3
            assert app.editor.document.get_line(3)[column] == "3"
            # and the app goes on: the next statement runs
            await run_sql(pilot, "SELECT 7 AS seven")
            assert "COMPLETED" in status_text(app)


class Switch(httpx.AsyncBaseTransport):
    """A transport that can be unplugged, like a server that goes away and comes back."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.down = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        return await self.inner.handle_async_request(request)


async def test_server_down_then_up(service, make_app):
    switch = Switch(service.transport)
    async with service.client(transport=switch, retries=0) as client:
        app = make_app(client, sidebar=True)
        async with app.run_test(size=(140, 40)) as pilot:
            switch.down = True
            await run_sql(pilot, range_sql(3))
            assert "Server unreachable" in status_text(app)
            assert "unreachable" in grid_text(app).lower() or "refused" in grid_text(app)
            app.refresh_queries()
            await settle(pilot)
            assert "offline" in str(app.sidebar.query_one("#queries-note").render())
            switch.down = False
            app.refresh_queries()
            await settle(pilot)
            assert "offline" not in str(app.sidebar.query_one("#queries-note").render())
            await run_sql(pilot, range_sql(3))
            assert "COMPLETED" in status_text(app)
            assert "row 2" in grid_text(app)


async def test_parameters_are_asked_for_and_remembered(service, make_app, tmp_path):
    async with service.client() as client:
        app = make_app(client)
        async with app.run_test(size=SIZE) as pilot:
            app.editor.load_text("SELECT :n + 1 AS next")
            await pilot.press("f5")
            await pilot.pause()
            await pilot.press("4", "1", "enter")
            await until(pilot, lambda: app.current is not None)
            await settle(pilot)
            assert "42" in grid_text(app)
    assert '"n": "41"' in (tmp_path / "state" / "parameters.json").read_text()


async def test_buffer_and_history_survive_a_restart(service, make_app):
    async with service.client() as client:
        app = make_app(client, sql=None)
        async with app.run_test(size=SIZE) as pilot:
            await run_sql(pilot, "SELECT 'remembered' AS word")
        again = make_app(client, sql=None)
        async with again.run_test(size=SIZE) as pilot:
            assert again.editor.text == "SELECT 'remembered' AS word"
            assert again.history[-1] == "SELECT 'remembered' AS word"
            again.editor.load_text("")
            await pilot.press("f8")
            await pilot.pause()
            await pilot.press("enter")
            await pilot.pause()
            assert "remembered" in again.editor.text


async def test_go_to_row_copy_and_row_detail(service, make_app):
    async with service.client() as client:
        app = make_app(client)
        async with app.run_test(size=SIZE) as pilot:
            await run_sql(pilot, range_sql(100_000))
            await until(pilot, lambda: app.grid.total == 100_000)
            app.grid.focus()
            before = len(page_requests(service.requests))
            await pilot.press("ctrl+g")
            await pilot.press(*"54321", "enter")
            await settle(pilot)
            assert app.grid.cursor_row == 54_320
            size = app.grid.page_size
            # the page holding the row, fetched by its offset, then at most its near neighbour
            start = 54_320 // size * size
            fetched = page_requests(service.requests)[before:]
            assert fetched[0] == (start, size)
            assert set(fetched) <= {(start - size, size), (start, size), (start + size, size)}
            await pilot.press("right", "c")
            assert app.clipboard == "row 54320"
            await pilot.press("y")
            assert app.clipboard == '{"i":54320,"label":"row 54320"}'
            await pilot.press("enter")
            await pilot.pause()
            assert type(app.screen).__name__ == "DetailScreen"
            assert "54320" in str(app.screen.query_one("#detail-body").query_one("Static").render())
            await pilot.press("escape")
            await pilot.pause()
            assert app.screen is app.screen_stack[0]


async def test_export_through_the_client_with_progress(service, make_app, tmp_path):
    target = tmp_path / "out" / "result.csv"
    target.parent.mkdir()
    async with service.client() as client:
        app = make_app(client, export_dir=target.parent)
        async with app.run_test(size=SIZE) as pilot:
            await run_sql(pilot, range_sql(25_000))
            await until(pilot, lambda: app.grid.total == 25_000)
            app.grid.focus()
            await pilot.press("e")
            await pilot.pause()
            path_input = app.screen.query_one("#export-path")
            path_input.value = str(target)
            await pilot.press("enter")
            await until(pilot, lambda: target.exists(), timeout=60)
            await settle(pilot)
    lines = target.read_text().splitlines()
    assert lines[0].replace('"', "") == "i,label" and len(lines) == 25_001
    assert lines[-1].replace('"', "") == "24999,row 24999"


async def test_nothing_typed_crashes_it(service, make_app, tmp_path, monkeypatch):
    import random

    monkeypatch.chdir(tmp_path)  # random keys may export the result into a file named by them

    keys = [
        "up",
        "down",
        "left",
        "right",
        "pageup",
        "pagedown",
        "home",
        "end",
        "enter",
        "escape",
        "tab",
        "f2",
        "f3",
        "f4",
        "f5",
        "f7",
        "f8",
        "f9",
        "ctrl+g",
        "ctrl+b",
        "c",
        "y",
        "v",
        "e",
        "d",
        "r",
        "x",
        "1",
        ";",
        "question_mark",
        "f1",
        "backspace",
        "ctrl+j",
        "space",
    ]
    chooser = random.Random(4)
    async with service.client() as client:
        app = make_app(client, sidebar=True)
        async with app.run_test(size=(80, 24)) as pilot:
            await run_sql(pilot, range_sql(3_000))
            for _ in range(300):
                await pilot.press(chooser.choice(keys))
            await settle(pilot)
            assert app.is_running
            while app.screen is not app.screen_stack[0]:
                app.pop_screen()
                await pilot.pause()
            await run_sql(pilot, "SELECT 'still here' AS s")
            assert "still here" in grid_text(app)


async def test_no_colour_terminal(service, make_app, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    async with service.client() as client:
        app = make_app(client)
        async with app.run_test(size=(80, 24)) as pilot:
            await run_sql(pilot, range_sql(10))
            assert "row 9" in grid_text(app)
            assert app.no_color


async def test_question_mark_types_in_the_editor_and_f1_opens_help_from_it(service, make_app):
    async with service.client() as client:
        app = make_app(client)
        async with app.run_test(size=SIZE) as pilot:
            app.editor.load_text("SELECT ")
            app.editor.focus()
            app.editor.move_cursor((0, 7))
            await pilot.press("question_mark")
            await pilot.pause()
            assert app.editor.text == "SELECT ?"
            assert type(app.screen).__name__ != "HelpScreen"
            # help is one key away from the editor too, and the footer says which
            footer_keys = [binding.key for (_, binding, enabled, _) in app.active_bindings.values() if binding.show]
            assert "f1" in footer_keys
            await pilot.press("f1")
            await until(pilot, lambda: type(app.screen).__name__ == "HelpScreen")
            await pilot.press("escape")
            await pilot.pause()
            assert app.focused is app.editor and app.editor.text == "SELECT ?"
            # outside the editor, ? is help
            app.grid.focus()
            await pilot.press("question_mark")
            await until(pilot, lambda: type(app.screen).__name__ == "HelpScreen")
