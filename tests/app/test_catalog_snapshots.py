"""Snapshots of the Catalog tab and the completion popup (fixed size, injected clock)."""

from __future__ import annotations

import pytest

from tests.app.helpers import settle, until
from tests.app.test_catalog import SETUP, popup_settled, type_text
from tests.app.test_snapshots import connected, folio

pytestmark = pytest.mark.usefixtures("stable_ids")


async def create_tables(client, clock) -> None:
    for sql in SETUP:
        await client.run(sql)


async def catalog_loaded(pilot) -> None:
    await connected(pilot)
    app = pilot.app
    app.sidebar.catalog.want()  # what the Catalog tab or the first key typed does
    await until(
        pilot, lambda: app.sidebar.catalog.catalog is not None and app.editor.completion.index.catalog.relations
    )
    await settle(pilot)


def test_catalog_tree(snap_compare, tmp_path, fake_clock):
    async def run_before(pilot) -> None:
        await catalog_loaded(pilot)
        await pilot.press("f6")
        await settle(pilot)
        await pilot.press("down", "space")  # expand _events → its columns
        await settle(pilot)

    app = folio(tmp_path, fake_clock, setup=create_tables, sidebar=True)
    assert snap_compare(app, terminal_size=(120, 30), run_before=run_before)


def test_completion_popup(snap_compare, tmp_path, fake_clock):
    async def run_before(pilot) -> None:
        await catalog_loaded(pilot)
        pilot.app.editor.focus()
        pilot.app.editor.move_cursor((0, 7))
        await type_text(pilot, "e.")
        await popup_settled(pilot)

    app = folio(tmp_path, fake_clock, sql="SELECT  FROM _events e", setup=create_tables)
    assert snap_compare(app, terminal_size=(100, 24), run_before=run_before)
