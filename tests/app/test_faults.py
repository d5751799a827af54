"""The app under faults (issue 6): the real app over the real service, with the service killed
and restarted, a page that times out, a result expiring while it is open, a tiny terminal, a
10 MB value, 500 columns, and unicode everywhere. For each, what the app shows and what the
server was asked; the app always keeps running."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from rich.cells import cell_len

from tests.app.conftest import page_requests, posts, range_sql
from tests.app.helpers import grid_lines, grid_text, run_sql, settle, sidebar_text, status_text, until
from tests.app.test_app import SLOW_SQL
from tests.conftest import API_KEY, free_port, make_keyring, make_settings, serve_in_thread
from tui.app.grid.cells import ELLIPSIS
from tui.client import QueryClient
from tui.engines.duckdb import DuckDBEngine
from tui.server import create_app

SIZE = (100, 30)


# --- a real service on a loopback port, that can be stopped, restarted and slowed down ------


class SlowPages:
    """ASGI wrapper: while ``slow`` is set, page requests are held until it is cleared (or the
    client gives up), like a server stuck on one request."""

    def __init__(self, app) -> None:  # type: ignore[no-untyped-def]
        self.app = app
        self.slow = threading.Event()

    async def __call__(self, scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        if scope["type"] == "http" and scope["path"].endswith("/pages"):
            for _ in range(600):  # at most 30 s, so a test that fails never hangs
                if not self.slow.is_set():
                    break
                await asyncio.sleep(0.05)
        await self.app(scope, receive, send)


@dataclass
class Loopback:
    """``folio serve`` in a thread on a fixed port, over one store that outlives restarts."""

    store: object
    clock: object
    port: int
    app: object = None
    slow: SlowPages | None = None
    _running: object = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def requests(self) -> list[tuple[str, str, str]]:
        return list(self.app.state.request_log)  # type: ignore[attr-defined]

    def start(self) -> None:
        self.app = create_app(make_settings(self.store), DuckDBEngine(), make_keyring(), clock=self.clock)
        self.slow = SlowPages(self.app)
        self._running = serve_in_thread(self.slow, self.port)  # type: ignore[arg-type]
        self._running.__enter__()  # type: ignore[attr-defined]

    def stop(self) -> None:
        if self._running is not None:
            running, self._running = self._running, None
            if self.slow is not None:
                self.slow.slow.clear()
            running.__exit__(None, None, None)  # type: ignore[attr-defined]

    def client(self, **kwargs) -> QueryClient:  # type: ignore[no-untyped-def]
        kwargs.setdefault("retries", 0)
        return QueryClient(self.base_url, API_KEY, **kwargs)


@pytest.fixture
def loopback(tmp_path, fake_clock) -> Iterator[Loopback]:
    server = Loopback(tmp_path / "store", fake_clock, free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


def note_text(app) -> str:  # type: ignore[no-untyped-def]
    return str(app.sidebar.query_one("#queries-note").render())


# --- 1. the service killed and restarted mid-session --------------------------------------


async def test_service_restarted_mid_session_grid_recovers(loopback, make_app):
    async with loopback.client() as client:
        app = make_app(client, sidebar=True, page_size=100)
        async with app.run_test(size=(140, 40)) as pilot:
            await run_sql(pilot, range_sql(10_000))
            await until(pilot, lambda: app.grid.total == 10_000)
            query_id = app.current.query_id
            assert "row 0" in grid_text(app)

            loopback.stop()  # the service goes away with the result open in the grid
            app.grid.focus()
            app.grid.go_to_row(5_000)
            await until(pilot, lambda: app.connection_problem is not None)
            await settle(pilot)
            # a clear state: the status line, the grid's own subtitle, placeholders, no rows
            assert "Server unreachable" in status_text(app)
            assert "unreachable" in app.grid.border_subtitle.lower()
            assert "row 5000" not in grid_text(app)
            assert "···" in grid_text(app)
            app.refresh_queries()
            await settle(pilot)
            assert "offline" in note_text(app)
            assert app.is_running

            loopback.start()  # the same store, the same port: the result is still there
            # nothing pressed: the grid asks again by itself and shows the rows
            await until(pilot, lambda: "row 5000" in grid_text(app))
            assert app.connection_problem is None
            assert "unreachable" not in app.grid.border_subtitle.lower()
            assert "COMPLETED" in status_text(app) and "unreachable" not in status_text(app)
            assert (5_000, 100) in page_requests(loopback.requests)
            assert app.current.query_id == query_id
            app.refresh_queries()
            await settle(pilot)
            assert "offline" not in note_text(app)
            assert "10,000 rows" in sidebar_text(app)
            # and the session goes on
            await run_sql(pilot, range_sql(3))
            assert "row 2" in grid_text(app)
            assert posts(loopback.requests) == 1


async def test_run_while_the_service_is_down_then_back(loopback, make_app):
    async with loopback.client() as client:
        app = make_app(client)
        async with app.run_test(size=SIZE) as pilot:
            loopback.stop()
            await run_sql(pilot, range_sql(3))
            assert "Server unreachable" in status_text(app)
            assert "cannot reach the server" in grid_text(app)
            loopback.start()
            await run_sql(pilot, range_sql(3))
            assert "COMPLETED" in status_text(app)
            assert "row 2" in grid_text(app)


async def test_query_running_when_the_service_restarts_ends_in_a_clear_error(loopback, make_app):
    async with loopback.client() as client:
        app = make_app(client)
        async with app.run_test(size=SIZE) as pilot:
            await run_sql(pilot, SLOW_SQL, wait=False)
            await until(pilot, lambda: app.current.status == "RUNNING")
            query_id = app.current.query_id
            loopback.stop()
            await until(pilot, lambda: app.connection_problem is not None)
            assert "Server unreachable" in status_text(app)
            assert app.current.status == "RUNNING"  # not known to have failed yet
            loopback.start()
            # the app keeps watching; the restarted service says the query did not survive
            await until(pilot, lambda: app.current.status == "ERROR", timeout=30)
            await settle(pilot)
            assert app.current.query_id == query_id
            text = status_text(app)
            assert text.startswith("✗ Query failed") and "service stopped" in text
            assert "SQL error" not in text and "unreachable" not in text
            assert "run it again" in grid_text(app)
            await run_sql(pilot, range_sql(3))
            assert "row 2" in grid_text(app)


# --- 2. a page request that times out ------------------------------------------------------


async def test_page_request_timing_out_shows_it_and_recovers(loopback, make_app):
    async with loopback.client(timeout=1.0) as client:
        app = make_app(client, page_size=100)
        async with app.run_test(size=SIZE) as pilot:
            await run_sql(pilot, range_sql(5_000))
            await until(pilot, lambda: app.grid.total == 5_000)
            loopback.slow.slow.set()
            app.grid.focus()
            app.grid.go_to_row(2_000)
            await until(pilot, lambda: app.connection_problem is not None)
            await settle(pilot)
            assert "Timed out" in status_text(app)
            assert "timed out" in app.grid.border_subtitle.lower()
            assert "row 2000" not in grid_text(app) and "···" in grid_text(app)
            # nothing hangs: the app answers keys while the page is outstanding
            await pilot.press("down")
            assert app.grid.cursor_row == 2_001
            assert app.is_running

            loopback.slow.slow.clear()
            await until(pilot, lambda: "row 2000" in grid_text(app))
            assert app.connection_problem is None
            assert "COMPLETED" in status_text(app)
            asked = [offset for offset, _ in page_requests(loopback.requests) if offset == 2_000]
            assert len(asked) >= 2  # the one that timed out, then the retry that answered


# --- 3. the result expiring while it is open ----------------------------------------------


async def test_result_expiring_while_open_offers_a_rerun(service, make_app, fake_clock):
    async with service.client() as client:
        app = make_app(client, sidebar=True, page_size=20)
        async with app.run_test(size=(140, 40)) as pilot:
            sql = range_sql(1_000)
            await run_sql(pilot, sql)
            await until(pilot, lambda: app.grid.total == 1_000)
            app.refresh_queries()
            await settle(pilot)
            query_id = app.current.query_id
            assert "expires in 24h" in sidebar_text(app)

            fake_clock.advance(hours=24, seconds=1)
            before = len(page_requests(service.requests))
            app.grid.focus()
            app.grid.go_to_row(510)  # rows of several pages not fetched yet: each answers 410
            await until(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen")
            await settle(pilot)
            asked = page_requests(service.requests)[before:]
            assert (500, 20) in asked and len(asked) >= 2
            # one question, however many pages found the result gone
            assert [type(screen).__name__ for screen in app.screen_stack].count("ConfirmScreen") == 1
            assert "Result expired" in status_text(app)
            assert "expired" in grid_text(app)
            assert "EXPIRED" in sidebar_text(app)
            assert "Run its SQL again" in str(app.screen.query_one("#confirm-question").render())
            assert app.current.query_id == query_id

            await pilot.press("y")  # re-run
            await until(pilot, lambda: app.current is not None and app.current.query_id != query_id)
            await settle(pilot)
            await until(pilot, lambda: app.grid.total == 1_000 and app.current.status == "COMPLETED")
            assert posts(service.requests) == 2
            assert "COMPLETED" in status_text(app)
            assert "row 0" in grid_text(app)


# --- 4. the terminal resized to 40×12 and back ----------------------------------------------


async def test_resized_to_40x12_and_back(service, make_app):
    async with service.client() as client:
        app = make_app(client, page_size=100)
        async with app.run_test(size=SIZE) as pilot:
            await run_sql(pilot, range_sql(1_000))
            await until(pilot, lambda: app.grid.total == 1_000)
            app.grid.focus()
            await pilot.resize_terminal(40, 12)
            await settle(pilot)
            grid = app.grid
            assert grid.size.width > 0 and grid.body_height >= 1
            lines = grid_lines(grid)
            assert lines and all(cell_len(line) == grid.size.width for line in lines)
            assert lines[0].lstrip().startswith("#")  # the header is there
            assert "row 0" in grid_text(app)
            # the grid still pages in a tiny window
            before = len(page_requests(service.requests))
            assert app.has_class("-short") and app.editor.outer_size.height == 3  # the editor gives way
            assert grid.body_height >= 3
            for _ in range(200):
                if grid.cursor_row >= 150:
                    break
                await pilot.press("pagedown")
            await settle(pilot)
            assert grid.cursor_row >= 150
            assert len(page_requests(service.requests)) > before
            assert f"row {grid.cursor_row}" in grid_text(app)
            await pilot.resize_terminal(*SIZE)
            await settle(pilot)
            assert not app.has_class("-short") and app.editor.outer_size.height > 3
            lines = grid_lines(grid)
            assert all(cell_len(line) == grid.size.width for line in lines)
            assert f"row {grid.cursor_row}" in grid_text(app)
            await pilot.press("home")
            await settle(pilot)
            assert "row 0" in grid_text(app)
            assert app.is_running


# --- 5. a 10 MB value in one cell ---------------------------------------------------------

BIG = 10 * 1024 * 1024


async def test_ten_megabyte_value(service, make_app):
    async with service.client() as client:
        app = make_app(client)
        async with app.run_test(size=SIZE) as pilot:
            await run_sql(pilot, f"SELECT repeat('x', {BIG}) AS big, 1 AS n")
            await until(pilot, lambda: app.current.status == "COMPLETED" and app.grid.cache.row(0) is not None)
            await settle(pilot)
            assert "COMPLETED" in status_text(app)
            grid = app.grid
            lines = grid_lines(grid)
            assert all(cell_len(line) == grid.size.width for line in lines)
            row = next(line for line in lines if line.lstrip().startswith("1 "))
            assert "x" * 10 + ELLIPSIS in row  # cut, and said to be cut
            assert cell_len(row) < 200
            grid.focus()
            # the row in full: bounded, and says it was cut
            await pilot.press("enter")
            await until(pilot, lambda: type(app.screen).__name__ == "DetailScreen")
            assert len(app.screen.text) < 1_000_000 and "x" * 1_000 in app.screen.text
            note = str(app.screen.query_one("#detail-note").render())
            assert "truncated" in note and "10,485,760" in note
            await pilot.press("escape")
            await pilot.pause()
            # the cell in full, too
            await pilot.press("v")
            await until(pilot, lambda: type(app.screen).__name__ == "DetailScreen")
            assert len(app.screen.text) < 1_000_000
            assert "truncated" in str(app.screen.query_one("#detail-note").render())
            await pilot.press("escape")
            await pilot.pause()
            # copying it says it is too large rather than pushing 10 MB through the terminal
            app.copy_to_clipboard("before")
            await pilot.press("c")
            await pilot.pause()
            assert app.clipboard == "before"
            assert any("too large" in str(n.message).lower() for n in app._notifications)
            # the small cell beside it still copies
            await pilot.press("right", "c")
            await pilot.pause()
            assert app.clipboard == "1"
            await run_sql(pilot, "SELECT 'after' AS s")
            assert "after" in grid_text(app)


# --- 6. 500 columns -------------------------------------------------------------------------


async def test_five_hundred_columns(service, make_app):
    sql = "SELECT " + ", ".join(f"{i} AS c{i}" for i in range(500))
    async with service.client() as client:
        app = make_app(client)
        async with app.run_test(size=SIZE) as pilot:
            await run_sql(pilot, sql)
            grid = app.grid
            assert len(grid.columns) == 500
            grid.focus()
            header = grid_lines(grid)[0]
            assert "c0" in header and "c1" in header and "c499" not in header
            for _ in range(30):
                await pilot.press("right")
            await settle(pilot)
            assert grid.cursor_col == 30
            header, _, row = grid_lines(grid)[:3]
            assert "c30" in header and "c1 " not in header
            assert header.split()[1] == "c0"  # the first column stays in view
            assert row.split()[1] == "0" and "30" in row.split()
            # to the last column
            grid.move_cursor(column=499)
            await settle(pilot)
            header, _, row = grid_lines(grid)[:3]
            assert header.split()[1] == "c0" and header.split()[-1] == "c499"
            assert row.split()[1] == "0" and row.split()[-1] == "499"
            lines = grid_lines(grid)
            assert all(cell_len(line) == grid.size.width for line in lines)
            await pilot.press("c")
            assert app.clipboard == "499"


# --- 7. unicode in values and column names --------------------------------------------------

UNICODE_SQL = """SELECT '日本語テキスト' AS "名前", '👩‍👩‍👧 🎉' AS "emoji 🎉", 'e\u0301' AS combining,
       'مرحبا بالعالم' AS rtl, repeat('漢字', 30) AS long_cjk, repeat('e\u0301', 60) AS long_combining"""


async def test_unicode_values_and_column_names(service, make_app):
    async with service.client() as client:
        app = make_app(client)
        async with app.run_test(size=(160, 20)) as pilot:
            await run_sql(pilot, UNICODE_SQL)
            assert "COMPLETED" in status_text(app)
            grid = app.grid
            names = [name for name, _ in grid.columns]
            assert names == ["名前", "emoji 🎉", "combining", "rtl", "long_cjk", "long_combining"]
            header, types, row = grid_lines(grid)[:3]
            for line in (header, types, row):
                assert cell_len(line) == grid.size.width
            for text in ("名前", "emoji 🎉", "combining", "rtl"):
                assert text in header
            for text in ("日本語テキスト", "👩‍👩‍👧 🎉", "e\u0301", "مرحبا بالعالم"):
                assert text in row
            # columns line up: each value starts in the cell where its name starts
            for name, value in (("combining", "e\u0301"), ("rtl", "مرحبا"), ("long_cjk", "漢字")):
                assert cell_len(header[: header.index(name)]) == cell_len(row[: row.index(value)])
            # a cut wide value ends with … and never with half a character
            cjk = row[row.index("漢字") :].split(" ")[0]
            assert cjk.endswith(ELLIPSIS) and ("漢字" * 30).startswith(cjk[:-1])
            combining = row[row.index("e\u0301e\u0301") :].split(" ")[0]
            # a cut never separates a letter from its accent
            assert combining.endswith(ELLIPSIS) and combining[:-1] == "e\u0301" * (len(combining[:-1]) // 2)
            grid.focus()
            await pilot.press("c")
            assert app.clipboard == "日本語テキスト"
            await pilot.press("right", "c")
            assert app.clipboard == "👩‍👩‍👧 🎉"
            await pilot.press("enter")
            await until(pilot, lambda: type(app.screen).__name__ == "DetailScreen")
            assert "مرحبا بالعالم" in str(app.screen.query_one("#detail-body").query_one("Static").render())
            await pilot.press("escape")
            await pilot.pause()
            # scrolled right, a wide character cut by the edge of the view is a blank, not half
            for _ in range(5):
                await pilot.press("right")
            await settle(pilot)
            for line in grid_lines(grid):
                assert cell_len(line) == grid.size.width
            assert app.is_running


# --- snapshots: the tiny terminal and unicode, as they look -----------------------------------


@pytest.mark.usefixtures("stable_ids")
def test_snapshot_40x12(snap_compare, tmp_path, fake_clock):
    from tests.app.test_snapshots import folio, run_and_wait

    app = folio(tmp_path, fake_clock, sql=range_sql(1_000))

    async def run_before(pilot):  # type: ignore[no-untyped-def]
        await run_and_wait(pilot)
        pilot.app.grid.focus()
        await pilot.press("pagedown", "down")
        await settle(pilot)

    assert snap_compare(app, terminal_size=(40, 12), run_before=run_before)


@pytest.mark.usefixtures("stable_ids")
def test_snapshot_unicode(snap_compare, tmp_path, fake_clock):
    from tests.app.test_snapshots import folio, run_and_wait

    app = folio(tmp_path, fake_clock, sql=UNICODE_SQL)

    async def run_before(pilot):  # type: ignore[no-untyped-def]
        await run_and_wait(pilot)
        pilot.app.grid.focus()
        await pilot.press("right")
        await settle(pilot)

    assert snap_compare(app, terminal_size=(120, 24), run_before=run_before)


# --- hostile text: terminal controls and markup in values, names and messages ---------------

#: a C1 CSI (U+009B), an ESC sequence, a bidi override and Textual/Rich markup
HOSTILE = "\x9b2J\x1b[31m\u202e[/bold][red]"
UNSAFE = set("\x1b\x9b\u202e")


async def test_control_characters_and_markup_never_reach_the_terminal(service, make_app):
    async with service.client() as client:
        app = make_app(client, sidebar=True)
        async with app.run_test(size=(140, 30)) as pilot:
            await run_sql(pilot, f"SELECT '{HOSTILE}' AS \"{HOSTILE}\", 1 AS n")
            assert "COMPLETED" in status_text(app)
            lines = grid_lines(app.grid)
            assert all(cell_len(line) == app.grid.size.width for line in lines)
            assert not UNSAFE & set("".join(lines))
            assert "2J" in lines[0] and "[/bold][red]" in lines[2]  # shown, made harmless
            app.refresh_queries()
            await settle(pilot)
            assert not UNSAFE & set(sidebar_text(app))
            app.grid.focus()
            await pilot.press("c")
            assert app.clipboard == HOSTILE  # the value itself is copied as it is
            await pilot.press("v")
            await until(pilot, lambda: type(app.screen).__name__ == "DetailScreen")
            assert not UNSAFE & set(app.screen.text)
            await pilot.press("escape")
            await pilot.pause()
            # a server message holding markup is shown as text, not parsed (or crashed on)
            await run_sql(pilot, 'SELECT * FROM "[/bold] [red]x"')
            assert "[/bold] [red]x" in status_text(app) and "SQL error" in status_text(app)
            assert "[/bold] [red]x" in grid_text(app)
            assert app.is_running
