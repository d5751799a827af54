"""``result('<id>')`` over results PostgreSQL and SQLite produced: derived queries run on the
service's own DuckDB, whatever engine stored the parent (real PostgreSQL, real SQLite files)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg
import pytest

from tests.server.test_explore import all_rows, run, wait_done
from tests.server.test_queries import q
from tui.engines.postgres import PostgresEngine
from tui.engines.sqlite import SQLiteEngine


@pytest.fixture(scope="module")
def pg_orders(pg_admin: psycopg.Connection) -> str:
    pg_admin.execute(
        """
        CREATE TABLE orders AS
        SELECT n AS id,
               CASE WHEN n % 2 = 0 THEN 'paid' ELSE 'öpen' END AS state,
               (n * 1.25)::numeric(12, 2) AS total,
               timestamptz '2024-01-01 00:00:00+00' + n * interval '1 hour' AS placed_at,
               jsonb_build_object('n', n, 'tags', jsonb_build_array('a', n)) AS meta,
               ARRAY[n, n + 1] AS pair,
               CASE WHEN n % 5 = 0 THEN NULL ELSE n END AS maybe
        FROM generate_series(1, 60) n
        """
    )
    return "orders"


def test_result_over_a_postgres_result(service_factory, pg_dsn: str, pg_orders: str) -> None:
    engine = PostgresEngine(pg_dsn)
    svc = service_factory(engine=engine, chunk_rows=8)
    try:
        with svc.client() as http:
            parent = run(http, "SELECT * FROM orders ORDER BY id", max_initial_results=1)["query_id"]
            body = run(
                http,
                f"SELECT folio_row, id, state, total, meta FROM result_rows('{parent}') "
                "WHERE state = 'öpen' AND id > 50 ORDER BY folio_row",
            )
            assert [(r["folio_row"], r["id"], r["state"]) for r in body["results"]] == [
                (i - 1, i, "öpen") for i in range(51, 61, 2)
            ]
            assert body["results"][0]["total"] == "63.75"  # numeric stays exact
            # a PostgreSQL parameter style for the source, DuckDB's for the derived query
            r = http.post(
                "/v1/orgs/self/queries",
                json={
                    "sql": {
                        "query": f"SELECT count(*) AS n FROM result('{parent}') WHERE id <= :top",
                        "parameters": [{"name": "top", "type": "int", "value": "10"}],
                    }
                },
            )
            assert r.status_code == 200, r.text
            assert r.json()["results"] == [{"n": 10}]
            assert http.get(q(body["query_id"])).json()["data"]["derived_from"] == parent

            profile = http.post(q(parent) + "/profile", json={}).json()["query_id"]
            assert wait_done(http, profile)["status"] == "COMPLETED"
            by = {row["column"]: row for row in all_rows(http, profile)}
            assert by["total"]["type"] == "numeric" and by["total"]["max"] == "75.00"
            assert (by["maybe"]["count"], by["maybe"]["nulls"]) == (48, 12)
            assert by["placed_at"]["type"] == "timestamptz"

            freq = http.post(q(parent) + "/frequency", json={"column": "placed_at"}).json()["query_id"]
            assert wait_done(http, freq)["status"] == "COMPLETED"
            rows = all_rows(http, freq)  # 60 hours: hour bins
            assert sum(r["count"] for r in rows) == 60 and rows[0]["low"].startswith("TIMESTAMPTZ '2024-01-01 01:")

            found = http.get(q(parent) + "/find", params={"text": '"tags":["a",33]'}).json()["data"]
            assert (found["match"], found["column"]) == (32, "meta")  # jsonb as the grid shows it
    finally:
        engine.close()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Path:
    path = tmp_path / "shop.sqlite"
    with sqlite3.connect(path) as conn:
        conn.executescript(
            """
            CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, price REAL, photo BLOB);
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30)
            INSERT INTO items SELECT i, 'item ' || i, i * 1.5, CASE WHEN i % 2 THEN x'00ff' END FROM n;
            """
        )
    conn.close()
    return path


def test_result_over_a_sqlite_result(service_factory, sqlite_db: Path) -> None:
    svc = service_factory(engine=SQLiteEngine(sqlite_db), chunk_rows=4)
    with svc.client() as http:
        parent = run(http, "SELECT * FROM items ORDER BY id", max_initial_results=1)["query_id"]
        body = run(http, f"SELECT folio_row, name FROM result_rows('{parent}') WHERE price > 42 ORDER BY price DESC")
        assert body["results"] == [{"folio_row": 29, "name": "item 30"}, {"folio_row": 28, "name": "item 29"}]
        body = run(http, f"SELECT count(photo) AS photos, sum(price) AS total FROM result('{parent}')")
        assert body["results"] == [{"photos": 15, "total": 697.5}]
        # SQL that SQLite would reject runs: the derived query is DuckDB's
        assert run(http, f"SELECT list(id ORDER BY id)[1:3] AS l FROM result('{parent}')")["results"] == [
            {"l": [1, 2, 3]}
        ]
        freq = http.post(q(parent) + "/frequency", json={"column": "price"}).json()["query_id"]
        assert wait_done(http, freq)["status"] == "COMPLETED"
        rows = all_rows(http, freq)
        assert sum(r["count"] for r in rows) == 30 and rows[0]["low"] == "0"
        found = http.get(q(parent) + "/find", params={"text": "item 17", "column": "name"}).json()["data"]
        assert found["match"] == 16
