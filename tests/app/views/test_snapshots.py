"""Snapshots of exploring: a filtered (and sorted) view, a frequency table, a profile. The real
app over the real service, fixed size, injected clock, fixed ids and run times (see
``tests/app/test_snapshots.py``). Update with ``--snapshot-update``."""

from __future__ import annotations

import pytest

from tests.app.helpers import settle, until
from tests.app.test_snapshots import DEMO_LIKE, folio, run_and_wait

pytestmark = pytest.mark.usefixtures("stable_ids")

SIZE = (120, 36)


async def derived(pilot, *keys: str, depth: int) -> None:
    app = pilot.app
    await pilot.press(*keys)
    await until(pilot, lambda: len(app.views) == depth)
    await until(pilot, lambda: app.current.status == "COMPLETED" and app.grid.total is not None)
    await settle(pilot)


async def on_column(pilot, name: str) -> None:
    grid = pilot.app.grid
    grid.focus()
    grid.move_cursor(column=[n for n, _ in grid.columns].index(name))
    await pilot.pause()


def test_filtered_and_sorted_view(snap_compare, tmp_path, fake_clock):
    app = folio(tmp_path, fake_clock, sql=DEMO_LIKE)

    async def run_before(pilot):
        await run_and_wait(pilot)
        await on_column(pilot, "kind")
        pilot.app.grid.move_cursor(row=1)  # click
        await derived(pilot, "f", depth=2)
        await on_column(pilot, "amount")
        await derived(pilot, "S", depth=3)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_frequency_table(snap_compare, tmp_path, fake_clock):
    app = folio(tmp_path, fake_clock, sql=DEMO_LIKE)

    async def run_before(pilot):
        await run_and_wait(pilot)
        await on_column(pilot, "kind")
        await derived(pilot, "F", depth=2)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_frequency_table_of_a_timestamp_in_bins(snap_compare, tmp_path, fake_clock):
    app = folio(tmp_path, fake_clock, sql=DEMO_LIKE)

    async def run_before(pilot):
        await run_and_wait(pilot)
        await on_column(pilot, "ts")
        await derived(pilot, "F", depth=2)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_profile(snap_compare, tmp_path, fake_clock):
    app = folio(tmp_path, fake_clock, sql=DEMO_LIKE)

    async def run_before(pilot):
        await run_and_wait(pilot)
        await on_column(pilot, "amount")
        await derived(pilot, "i", depth=2)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_filter_expression_with_its_error_in_place(snap_compare, tmp_path, fake_clock):
    app = folio(tmp_path, fake_clock, sql=DEMO_LIKE)

    async def run_before(pilot):
        from textual.widgets import Static

        await run_and_wait(pilot)
        pilot.app.grid.focus()
        await pilot.press("backslash")
        await until(pilot, lambda: bool(pilot.app.screen.query("#expression")))
        await pilot.press(*"amount > 100 AND kinds = 'view'")
        await pilot.press("enter")
        error = pilot.app.screen.query_one("#expression-error", Static)
        await until(pilot, lambda: "SQL error" in str(error.render()))
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
