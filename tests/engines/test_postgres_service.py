"""The official ``rockset`` 2.1.2 client paging a PostgreSQL result through the real service.

Same stack as ``folio serve postgresql://…``: the FastAPI app under uvicorn on a loopback port,
the PostgreSQL engine over the embedded server from conftest.py, the client unmodified (its
host check is passed with an ``Enum`` member, rockset-api.md §1).
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import Enum

import psycopg
import pytest

rockset = pytest.importorskip("rockset")
from rockset import QueryPaginator, RocksetClient  # noqa: E402
from rockset.exceptions import BadRequestException  # noqa: E402
from rockset.models import QueryParameter, QueryRequestSql  # noqa: E402

from tests.conftest import wait_until  # noqa: E402
from tui.engines.postgres import PostgresEngine  # noqa: E402

ROWS = 2_500


@pytest.fixture(scope="module")
def orders(pg_admin: psycopg.Connection) -> str:
    pg_admin.execute(
        """
        CREATE TABLE orders AS
        SELECT n AS id,
               CASE WHEN n % 2 = 0 THEN 'paid' ELSE 'open' END AS state,
               (n * 1.25)::numeric(12, 2) AS total,
               timestamptz '2024-01-01 00:00:00+00' + n * interval '1 minute' AS placed_at,
               jsonb_build_object('n', n, 'tags', jsonb_build_array('a', n)) AS meta,
               ARRAY[n, n + 1] AS pair,
               decode(lpad(to_hex(n), 4, '0'), 'hex') AS raw,
               interval '1 day 2 hours' AS span
        FROM generate_series(1, 2500) n
        """
    )
    return "orders"


@pytest.fixture
def rs(service_factory, pg_dsn: str, orders: str) -> Iterator[tuple[RocksetClient, object]]:
    engine = PostgresEngine(pg_dsn)
    live = service_factory(engine=engine)
    host = Enum("Host", {"local": live.base_url}, type=str).local
    yield RocksetClient(host=host, api_key=live.api_key), live
    # the service's lifespan ends with the test; the engine is ours to close
    engine.close()


def test_paging_a_postgres_result_to_the_end_by_cursor(rs) -> None:
    client, _ = rs
    r = client.Queries.query(
        sql=QueryRequestSql(
            query="SELECT * FROM orders WHERE state = :state ORDER BY id",
            parameters=[QueryParameter(name="state", type="string", value="paid")],
        ),
        max_initial_results=100,
    )
    assert r.results_total_doc_count == ROWS // 2
    assert [(c.name, c.type) for c in r.column_fields] == [
        ("id", "int4"),
        ("state", "text"),
        ("total", "numeric"),
        ("placed_at", "timestamptz"),
        ("meta", "jsonb"),
        ("pair", "int4[]"),
        ("raw", "bytea"),
        ("span", "interval"),
    ]
    rows, cursor = list(r.results), r.pagination.next_cursor
    while cursor:
        page = client.Queries.get_query_results(query_id=r.query_id, cursor=cursor, docs=250)
        rows += page.results
        cursor = page.pagination.next_cursor
    assert [row["id"] for row in rows] == list(range(2, ROWS + 1, 2))
    assert rows[0] == {
        "id": 2,
        "state": "paid",
        "total": "2.50",  # numeric: exact, as a string
        "placed_at": "2024-01-01T00:02:00.000000Z",  # ISO 8601, UTC
        "meta": {"n": 2, "tags": ["a", 2]},  # jsonb: nested JSON, not a string
        "pair": [2, 3],
        "raw": "AAI=",  # bytea: base64
        "span": "P1DT2H",  # interval: ISO 8601 duration
    }


def test_query_paginator_and_deep_offset(rs) -> None:
    client, _ = rs
    r = client.Queries.query(sql=QueryRequestSql(query="SELECT id FROM orders ORDER BY id"), max_initial_results=1000)
    pages = list(QueryPaginator(client, r))
    assert [len(p) for p in pages] == [1000, 1000, 500]
    deep = client.Queries.get_query_results(query_id=r.query_id, cursor=r.pagination.start_cursor, docs=3, offset=2400)
    assert [row["id"] for row in deep.results] == [2401, 2402, 2403]


def test_sql_error_position_reaches_the_client(rs) -> None:
    client, _ = rs
    with pytest.raises(BadRequestException) as err:
        client.sql("SELECT id,\n  :x AS x\nFROM orders\nWHERE nosuch = 1", params={"x": 1})
    assert 'column \\"nosuch\\" does not exist' in err.value.body or 'column "nosuch" does not exist' in err.value.body
    assert '"line":4' in err.value.body.replace(" ", "")
    assert '"column":7' in err.value.body.replace(" ", "")


def test_cancel_through_the_api_stops_the_backend(rs, pg_admin: psycopg.Connection) -> None:
    client, _ = rs
    slow = client.Queries.query(sql=QueryRequestSql(query="SELECT pg_sleep(600) AS slept"), _async=True)

    def sleeping_backends() -> list[int]:
        # the active statement is the cursor's FETCH, which is where pg_sleep runs
        rows = pg_admin.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = 'folio' AND state = 'active'"
            " AND query LIKE 'FETCH%'"
        ).fetchall()
        return [pid for (pid,) in rows]

    wait_until(lambda: bool(sleeping_backends()), timeout=30)
    assert client.Queries.cancel_query(query_id=slow.query_id).data.status == "CANCELLED"
    wait_until(lambda: client.Queries.get_query(query_id=slow.query_id).data.status == "CANCELLED", timeout=30)
    wait_until(lambda: not sleeping_backends(), timeout=30)


def test_a_result_without_columns_keeps_its_row_count(rs) -> None:
    """``SELECT FROM t`` has rows but no columns; they used to be lost (issue 10, defect 7)."""
    client, _ = rs
    r = client.Queries.query(sql=QueryRequestSql(query="SELECT FROM orders WHERE id <= 5"), max_initial_results=2)
    assert r.results_total_doc_count == 5
    assert list(r.results) == [{}, {}]
    rest = client.Queries.get_query_results(query_id=r.query_id, cursor=r.pagination.next_cursor, docs=10)
    assert len(rest.results) == 3
    assert client.Queries.get_query(query_id=r.query_id).data.stats.result_set_document_count == 5


def test_repeated_column_names_from_postgres_are_made_unique(rs) -> None:
    client, _ = rs
    r = client.Queries.query(sql=QueryRequestSql(query="SELECT 1 AS a, 2 AS a, 3 AS a"))
    assert [c.name for c in r.column_fields] == ["a", "a_1", "a_2"]
    assert list(r.results) == [{"a": 1, "a_1": 2, "a_2": 3}]
