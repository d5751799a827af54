"""The demo database: built in bounded memory, rows stored in ``event_id`` order."""

from __future__ import annotations

import duckdb

from tui.engines import demo


def test_the_demo_build_runs_under_a_memory_limit(tmp_path, monkeypatch):
    """A newcomer's first ``folio --demo`` peaked at 914 MiB building 5M rows with DuckDB's
    default memory limit; the build's connection now carries a bounded one."""
    seen: list[dict] = []
    real_connect = duckdb.connect

    def recording_connect(database, *args, config=None, **kwargs):
        seen.append(dict(config or {}))
        return real_connect(database, *args, config=config or {}, **kwargs)

    monkeypatch.setattr(demo.duckdb, "connect", recording_connect)
    path = demo.ensure_demo(1000, tmp_path)
    assert len(seen) == 1
    assert seen[0]["memory_limit"] == demo.BUILD_CONFIG["memory_limit"]
    con = real_connect(str(path), read_only=True)
    try:
        ids = [row[0] for row in con.sql("SELECT event_id FROM _events").fetchall()]
    finally:
        con.close()
    assert ids == list(range(1000))  # insertion order is range's: no ORDER BY (and no sort) needed


def test_the_build_memory_limit_is_well_under_the_apps_budget():
    limit = demo.BUILD_CONFIG["memory_limit"]
    assert limit.endswith("MB") and int(limit[:-2]) <= 128
