"""How the app's embedded engine is tuned (tui.app.connect)."""

from __future__ import annotations

from tui.app.connect import APP_DUCKDB, app_duckdb_config


def test_the_apps_duckdb_is_bounded_by_default():
    assert app_duckdb_config({}) == APP_DUCKDB
    assert APP_DUCKDB["memory_limit"] == "64MB" and APP_DUCKDB["threads"] == 1


def test_the_environment_can_give_it_more():
    config = app_duckdb_config({"FOLIO_DUCKDB_MEMORY_LIMIT": "4GB", "FOLIO_DUCKDB_THREADS": "4"})
    assert config == {"memory_limit": "4GB", "threads": 4}
    assert app_duckdb_config({"FOLIO_DUCKDB_THREADS": "many"})["threads"] == 1  # not a number: ignored
