"""Snapshots of the Catalog tab and the completion popup (fixed size, injected clock)."""

from __future__ import annotations

from contextlib import asynccontextmanager

import pytest

from tests.app.conftest import StableTimes
from tests.app.helpers import settle, until
from tests.app.test_catalog import popup_settled, service_over, shop_engine, type_text
from tests.app.test_snapshots import connected
from tui.app import FolioApp

pytestmark = pytest.mark.usefixtures("stable_ids")


def shop(tmp_path, clock, *, sql: str = "", **kwargs) -> FolioApp:
    """The app over the real service (started in the app's loop) over SETUP's tables."""

    @asynccontextmanager
    async def connect():
        async with service_over(shop_engine(), tmp_path / "store") as service, service.client() as client:
            yield StableTimes(client)

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

    app = shop(tmp_path, fake_clock, sidebar=True)
    assert snap_compare(app, terminal_size=(120, 30), run_before=run_before)


def test_completion_popup(snap_compare, tmp_path, fake_clock):
    async def run_before(pilot) -> None:
        await catalog_loaded(pilot)
        pilot.app.editor.focus()
        pilot.app.editor.move_cursor((0, 7))
        await type_text(pilot, "e.")
        await popup_settled(pilot)

    app = shop(tmp_path, fake_clock, sql="SELECT  FROM _events e")
    assert snap_compare(app, terminal_size=(100, 24), run_before=run_before)
