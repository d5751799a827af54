"""tui.app.connect: how the app's embedded engine is tuned, and the app on a real local service."""

from __future__ import annotations

from tui.app.connect import APP_DUCKDB, app_duckdb_config, wants_local_service


def test_the_apps_duckdb_is_bounded_by_default():
    assert app_duckdb_config({}) == APP_DUCKDB
    assert APP_DUCKDB["memory_limit"] == "20MB" and APP_DUCKDB["threads"] == 1


def test_the_service_runs_in_the_app_unless_the_local_one_is_asked_for():
    assert not wants_local_service({})
    assert not wants_local_service({"FOLIO_SERVICE": "in-process"})
    assert wants_local_service({"FOLIO_SERVICE": "local"})
    assert wants_local_service({"FOLIO_SERVICE": " Local "})


def test_the_environment_can_give_it_more():
    config = app_duckdb_config({"FOLIO_DUCKDB_MEMORY_LIMIT": "4GB", "FOLIO_DUCKDB_THREADS": "4"})
    assert config == {"memory_limit": "4GB", "threads": 4}
    assert app_duckdb_config({"FOLIO_DUCKDB_THREADS": "many"})["threads"] == 1  # not a number: ignored


async def test_the_app_runs_on_a_local_service_that_outlives_it(runtime, fake_clock, tmp_path):
    """The real app over a real local service: the query's result is still there, on the same
    service, for the next launch (which finds the service instead of starting one)."""
    from tests.app.helpers import grid_text, run_sql, settle, until
    from tui.app import FolioApp
    from tui.app.connect import Connection, over_socket
    from tui.local.runtime import services

    def app() -> FolioApp:
        return FolioApp(
            connect=Connection(local=True), clock=fake_clock, state_dir=tmp_path / "state", sql="", poll=False
        )

    first = app()
    async with first.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: first.source is not None, timeout=60)
        await run_sql(pilot, "SELECT range AS n, 'row ' || range AS label FROM range(5000)")
        await until(pilot, lambda: first.grid.total == 5000, timeout=60)
        await settle(pilot)
        assert "row 0" in grid_text(first)
        service = first._connect.service
        query_id = first.current.query_id
    assert not service.reused
    assert [info.get("pid") for _files, info in services(runtime)] == [service.pid]  # still running

    second = app()
    async with second.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: second.source is not None, timeout=60)
        assert second._connect.service.pid == service.pid and second._connect.service.reused
        async with over_socket(second._connect.service)() as client:
            page = await client.page(query_id, offset=4999, docs=1)
        assert page.rows == [{"n": 4999, "label": "row 4999"}]


LEAN_PROBE = """
from tui.app.connect import Connection
from tui.local.spec import ServiceSpec

def open_engine(self):
    try:
        import numpy  # noqa: F401
        print("numpy imported")
    except ModuleNotFoundError:
        print("numpy refused")
    raise SystemExit(0)

ServiceSpec.open_engine = open_engine
Connection(lean=True)._resolve()
"""


def test_the_folio_command_keeps_numpy_out_unless_its_source_is_spark(tmp_path):
    """``folio``'s service in the app refuses numpy once it knows its source, which may come
    from the environment or ``.env``: a Spark source keeps it (its client needs it)."""
    import os
    import subprocess
    import sys

    def probe(source: str) -> str:
        env = {**os.environ, "FOLIO_SOURCE": source}
        for name in ("FOLIO_SERVER", "ROCKSET_API_SERVER"):
            env.pop(name, None)
        done = subprocess.run(
            [sys.executable, "-c", LEAN_PROBE], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    assert probe(str(tmp_path / "events.duckdb")) == "numpy refused"
    assert probe("sc://127.0.0.1:15002") == "numpy imported"


async def test_a_second_app_on_a_busy_store_says_its_results_are_not_kept(make_app, tmp_path):
    """Two folio windows on one source: the first holds the shared result store, and the second
    ran on a temporary one without a word, its results gone when it quit."""
    from dataclasses import replace

    from tests.app.helpers import run_sql, until
    from tui.app.connect import PRIVATE_STORE_NOTICE, embedded
    from tui.engines.duckdb import DuckDBEngine
    from tui.server.embedded import app_service_settings, embedded_service

    settings = replace(app_service_settings(), store_dir=tmp_path / "store")

    def notices(app) -> list[str]:
        return [str(n.message) for n in app._notifications]

    async with embedded_service(DuckDBEngine(), settings=settings) as first:  # the first window
        assert not first.private
        connect = embedded(DuckDBEngine(), settings=settings)
        app = make_app(None, connect=connect)
        async with app.run_test(size=(100, 30)) as pilot:
            await until(pilot, lambda: app.source is not None)
            await until(pilot, lambda: PRIVATE_STORE_NOTICE in notices(app))
            assert connect.private
            await run_sql(pilot, "SELECT 1 AS one")  # and it works all the same
            await until(pilot, lambda: app.grid.total == 1)
    alone = embedded(DuckDBEngine(), settings=settings)  # the first window closed: shared again
    app = make_app(None, connect=alone)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: app.source is not None)
        await run_sql(pilot, "SELECT 2 AS two")
        await until(pilot, lambda: app.grid.total == 1)
        assert not alone.private and PRIVATE_STORE_NOTICE not in notices(app)
