"""``folio sc://host:port``: the app in embedded mode over a Spark Connect source, paging a
Spark result to its last row (the real app, service, engine and Spark server)."""

from __future__ import annotations

import pytest

from tests.app.helpers import grid_text, run_sql, settle, status_text, until
from tui.app import FolioApp
from tui.app.connect import Connection

pytestmark = pytest.mark.spark

SIZE = (100, 30)
ROWS = 30_000


async def test_a_spark_result_pages_to_its_last_row(spark_server, tmp_path, monkeypatch, fake_clock):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))  # the embedded store is the test's own
    app = FolioApp(
        connect=Connection(source=spark_server.url),
        clock=fake_clock,
        state_dir=tmp_path / "state",
        sql="",
        poll=False,
        sidebar=False,
    )
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.source is not None, timeout=60)
        assert "sc://" in app.where
        await run_sql(pilot, f"SELECT id, concat('row ', id) AS label FROM range(0, {ROWS}, 1, 3) ORDER BY id")
        await until(pilot, lambda: app.grid.total == ROWS, timeout=60)
        await settle(pilot)
        text = grid_text(app)
        assert "row 0" in text and "bigint" in text and "string" in text  # Spark's type names
        app.grid.focus()
        await pilot.press("end")
        await settle(pilot)
        assert f"row {ROWS - 1}" in grid_text(app)
        assert app.grid.border_title.endswith(f"of {ROWS:,}")
        assert "COMPLETED" in status_text(app)
