"""Snapshots of the real app over the real service (in-process), at fixed sizes, with an
injected clock, fixed query ids and fixed run times, no cursor blink, no animations.

Plain ``def`` tests (pytest-textual-snapshot runs the app in its own loop); the app starts the
service itself through ``connect``, as ``folio`` does. Update with ``--snapshot-update``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest

from tests.app.conftest import StableTimes, running_service
from tests.app.helpers import settle, until
from tests.app.test_app import SLOW_SQL
from tui.app import FolioApp

pytestmark = pytest.mark.usefixtures("stable_ids")

DEMO_LIKE = """\
SELECT range AS event_id,
       TIMESTAMP '2026-01-01 00:00:00' + to_seconds(range * 7) AS ts,
       ['view', 'click', 'search'][1 + range % 3] AS kind,
       CASE WHEN range % 4 = 0 THEN NULL ELSE round(range * 1.25, 2) END AS amount,
       range % 2 = 0 AS is_mobile,
       {'id': 'sess-' || (range // 5), 'depth': range % 5} AS session,
       'a note that is much too long to fit into its column, so it is cut' AS note
FROM range(5000)"""

Setup = Callable[[Any, Any], Awaitable[None]]


def folio(tmp_path, clock, *, sql: str = "", setup: Setup | None = None, **kwargs: Any) -> FolioApp:
    @asynccontextmanager
    async def connect():
        async with running_service(tmp_path / "store", clock=clock) as service:
            async with service.client() as client:
                if setup is not None:
                    await setup(client, clock)
                try:
                    yield StableTimes(client)
                finally:
                    for info in await client.list():
                        if info.status.value in ("QUEUED", "RUNNING"):
                            await client.cancel(info.query_id)

    kwargs.setdefault("sidebar", False)
    return FolioApp(
        connect=connect,
        clock=clock,
        state_dir=tmp_path / "state",
        sql=sql,
        poll=False,
        where="embedded DuckDB",
        **kwargs,
    )


async def connected(pilot) -> None:
    await until(pilot, lambda: pilot.app.source is not None)
    await settle(pilot)


async def run_and_wait(pilot, finished: bool = True) -> None:
    app = pilot.app
    await connected(pilot)
    await pilot.press("f5")
    await until(pilot, lambda: app.current is not None)
    if finished:
        await until(pilot, lambda: app.current.status in ("COMPLETED", "ERROR", "CANCELLED"))
    await settle(pilot)


def test_empty_start(snap_compare, tmp_path, fake_clock):
    app = folio(tmp_path, fake_clock, sql="SELECT * FROM range(10)")
    assert snap_compare(app, terminal_size=(120, 36), run_before=connected)


def test_results(snap_compare, tmp_path, fake_clock):
    app = folio(tmp_path, fake_clock, sql=DEMO_LIKE)

    async def run_before(pilot):
        await run_and_wait(pilot)
        pilot.app.grid.focus()
        await pilot.press("down", "down", "right", "right")

    assert snap_compare(app, terminal_size=(120, 36), run_before=run_before)


def test_results_scrolled_right_keeps_the_first_column(snap_compare, tmp_path, fake_clock):
    app = folio(tmp_path, fake_clock, sql=DEMO_LIKE)

    async def run_before(pilot):
        await run_and_wait(pilot)
        pilot.app.grid.focus()
        await pilot.press("pagedown", *["right"] * 6)

    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)


def test_row_detail(snap_compare, tmp_path, fake_clock):
    app = folio(tmp_path, fake_clock, sql=DEMO_LIKE)

    async def run_before(pilot):
        await run_and_wait(pilot)
        pilot.app.grid.focus()
        await pilot.press("down", "enter")

    assert snap_compare(app, terminal_size=(120, 36), run_before=run_before)


async def mixed_states(client, clock) -> None:
    """A result about to expire, one completed, one failed, one cancelled, one running."""
    await client.run("SELECT range AS i FROM range(120)")
    clock.advance(hours=23, minutes=58)
    await client.run("SELECT range AS i, 'x' AS x FROM range(2500)")
    clock.advance(minutes=1)
    try:
        await client.run("SELECT CAST('x' || range AS INTEGER) AS n FROM range(10)", async_=True)
    except Exception:
        pass
    clock.advance(seconds=20)
    cancelled = await client.run(SLOW_SQL, async_=True)
    await client.cancel(cancelled.query_id)
    clock.advance(seconds=20)
    await client.run(SLOW_SQL, async_=True)
    clock.advance(seconds=5)


def test_sidebar_with_mixed_states(snap_compare, tmp_path, fake_clock):
    app = folio(tmp_path, fake_clock, setup=mixed_states, sidebar=True)

    async def run_before(pilot):
        await connected(pilot)
        expected = ["RUNNING", "CANCELLED", "ERROR", "COMPLETED", "COMPLETED"]

        def settled_states() -> bool:
            entries = pilot.app.sidebar.entries
            return [e.status for e in entries] == expected and entries[0].rows is not None

        for _ in range(200):  # the server settles the cancel and the failure in the background
            pilot.app.refresh_queries()
            await settle(pilot)
            if settled_states():
                break
        assert settled_states()
        # time passes: the oldest result expires while shown
        fake_clock.advance(minutes=2)
        pilot.app.sidebar.tick()
        await pilot.press("f4")

    assert snap_compare(app, terminal_size=(120, 36), run_before=run_before)


def test_running_query(snap_compare, tmp_path, fake_clock):
    app = folio(tmp_path, fake_clock, sql=SLOW_SQL)

    async def run_before(pilot):
        await run_and_wait(pilot, finished=False)
        fake_clock.advance(seconds=3)
        pilot.app._update_status()

    assert snap_compare(app, terminal_size=(120, 36), run_before=run_before)


def test_sql_error(snap_compare, tmp_path, fake_clock):
    app = folio(tmp_path, fake_clock, sql="SELECT 1;\n\nSELECT event_id,\n       count(*\nFROM events")

    async def run_before(pilot):
        await run_and_wait(pilot)
        pilot.app.clear_notifications()

    assert snap_compare(app, terminal_size=(120, 36), run_before=run_before)


def test_help(snap_compare, tmp_path, fake_clock):
    app = folio(tmp_path, fake_clock)
    assert snap_compare(app, terminal_size=(120, 36), run_before=connected, press=["f1"])


def test_80x24(snap_compare, tmp_path, fake_clock):
    app = folio(tmp_path, fake_clock, sql=DEMO_LIKE)

    async def run_before(pilot):
        await run_and_wait(pilot)
        pilot.app.grid.focus()
        await pilot.press("end")
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
