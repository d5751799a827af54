"""Snapshots of column control: an arranged result (hidden, moved, narrowed, two columns frozen
while scrolled across), the column picker, a selected range. The real app over the real
service, fixed size, injected clock, fixed ids and run times (see ``tests/app/test_snapshots.py``).
Update with ``--snapshot-update``."""

from __future__ import annotations

import pytest

from tests.app.helpers import settle
from tests.app.test_snapshots import DEMO_LIKE, folio, run_and_wait

pytestmark = pytest.mark.usefixtures("stable_ids")

SIZE = (100, 30)


async def on_column(pilot, name: str) -> None:
    grid = pilot.app.grid
    grid.focus()
    grid.move_cursor(column=[n for n, _ in grid.columns].index(name))
    await pilot.pause()


def test_arranged_columns_with_two_frozen_scrolled_across(snap_compare, tmp_path, fake_clock):
    app = folio(tmp_path, fake_clock, sql=DEMO_LIKE)

    async def run_before(pilot):
        await run_and_wait(pilot)
        await on_column(pilot, "ts")
        await pilot.press("minus")  # ts hidden
        await on_column(pilot, "note")
        await pilot.press("less_than_sign", "less_than_sign", "less_than_sign")  # narrower
        await pilot.press("H", "H", "H", "H")  # note moved next to event_id
        await pilot.press("z")  # event_id and note stay in view
        await on_column(pilot, "session")  # scrolls across
        pilot.app.clear_notifications()
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_column_picker(snap_compare, tmp_path, fake_clock):
    app = folio(tmp_path, fake_clock, sql=DEMO_LIKE)

    async def run_before(pilot):
        await run_and_wait(pilot)
        await on_column(pilot, "amount")
        await pilot.press("minus")
        pilot.app.clear_notifications()
        await pilot.press("g", "m")
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_selected_range(snap_compare, tmp_path, fake_clock):
    app = folio(tmp_path, fake_clock, sql=DEMO_LIKE)

    async def run_before(pilot):
        await run_and_wait(pilot)
        await on_column(pilot, "kind")
        await pilot.press("down", "shift+down", "shift+down", "shift+down", "shift+right", "shift+right")
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
