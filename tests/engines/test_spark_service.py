"""The official ``rockset`` 2.1.2 client paging a Spark result through the real service.

Same stack as ``folio serve sc://…``: the FastAPI app under uvicorn on a loopback port, the
Spark engine over the session's Spark Connect server (tests/spark_server.py), the client
unmodified (its host check is passed with an ``Enum`` member, rockset-api.md §1).
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import Enum

import pytest

rockset = pytest.importorskip("rockset")
from rockset import QueryPaginator, RocksetClient  # noqa: E402
from rockset.exceptions import ApiException, BadRequestException  # noqa: E402
from rockset.models import QueryParameter, QueryRequestSql  # noqa: E402

from tests.conftest import wait_until  # noqa: E402
from tui.engines.spark import SparkEngine  # noqa: E402

pytestmark = pytest.mark.spark

ROWS = 25_000
ORDERS = f"""
SELECT id,
       CASE WHEN id % 2 = 0 THEN 'paid' ELSE 'open' END AS state,
       CAST(id * 1.25 AS DECIMAL(12, 2)) AS total,
       TIMESTAMP'2024-01-01 00:00:00+00:00' + make_interval(0, 0, 0, 0, 0, CAST(id AS INT)) AS placed_at,
       array(id, id + 1) AS pair,
       named_struct('n', id, 'tag', 'a') AS meta
FROM range(1, {ROWS} + 1, 1, 4)
"""


@pytest.fixture
def rs(service_factory, spark_server) -> Iterator[tuple[RocksetClient, object]]:
    # the service closes its engine when it stops, so each test gets its own session
    live = service_factory(engine=SparkEngine(spark_server.url))
    host = Enum("Host", {"local": live.base_url}, type=str).local
    yield RocksetClient(host=host, api_key=live.api_key), live


def test_paging_a_spark_result_to_the_end_by_cursor(rs) -> None:
    client, _ = rs
    r = client.Queries.query(
        sql=QueryRequestSql(
            query=f"SELECT * FROM ({ORDERS}) WHERE state = :state ORDER BY id",
            parameters=[QueryParameter(name="state", type="string", value="paid")],
        ),
        max_initial_results=1000,
    )
    assert r.results_total_doc_count == ROWS // 2
    assert [(c.name, c.type) for c in r.column_fields] == [
        ("id", "bigint"),
        ("state", "string"),
        ("total", "decimal(12,2)"),
        ("placed_at", "timestamp"),
        ("pair", "array<bigint>"),
        ("meta", "struct<n:bigint,tag:string>"),
    ]
    rows, cursor = list(r.results), r.pagination.next_cursor
    while cursor:
        page = client.Queries.get_query_results(query_id=r.query_id, cursor=cursor, docs=2500)
        rows += page.results
        cursor = page.pagination.next_cursor
    assert [row["id"] for row in rows] == list(range(2, ROWS + 1, 2))
    assert rows[-1]["id"] == ROWS
    assert rows[0] == {
        "id": 2,
        "state": "paid",
        "total": "2.50",
        "placed_at": "2024-01-01T00:02:00.000000Z",  # id minutes later, in UTC
        "pair": [2, 3],
        "meta": {"n": 2, "tag": "a"},
    }


def test_query_paginator_and_deep_offset(rs) -> None:
    client, _ = rs
    r = client.Queries.query(
        sql=QueryRequestSql(query="SELECT id FROM range(0, 2500) ORDER BY id"), max_initial_results=1000
    )
    pages = list(QueryPaginator(client, r))
    assert [len(p) for p in pages] == [1000, 1000, 500]
    deep = client.Queries.get_query_results(query_id=r.query_id, cursor=r.pagination.start_cursor, docs=3, offset=2400)
    assert [row["id"] for row in deep.results] == [2400, 2401, 2402]


def test_sql_error_position_reaches_the_client(rs) -> None:
    client, _ = rs
    with pytest.raises(BadRequestException) as err:
        client.sql("SELECT id,\n  :x AS x\nFROM range(3)\nWHERE nosuch = 1", params={"x": 1})
    body = err.value.body.replace(" ", "")
    assert "UNRESOLVED_COLUMN" in body
    assert '"line":4' in body and '"column":7' in body


def test_timeout_interrupts_the_spark_query(rs) -> None:
    client, _ = rs
    with pytest.raises(ApiException) as err:
        client.Queries.query(
            sql=QueryRequestSql(query="SELECT count(*) FROM range(0, 100000000000, 1, 2) WHERE rand() < 2"),
            timeout_ms=2000,
        )
    assert err.value.status == 408 and "QUERY_TIMEOUT" in err.value.body


def test_cancel_through_the_api(rs) -> None:
    client, _ = rs
    slow = client.Queries.query(
        sql=QueryRequestSql(query="SELECT count(*) FROM range(0, 100000000000, 1, 2) WHERE rand() < 2"), _async=True
    )
    wait_until(lambda: client.Queries.get_query(query_id=slow.query_id).data.status == "RUNNING", timeout=30)
    client.Queries.cancel_query(query_id=slow.query_id)
    wait_until(lambda: client.Queries.get_query(query_id=slow.query_id).data.status == "CANCELLED", timeout=30)


def test_writes_are_refused_with_a_clear_error(rs) -> None:
    client, _ = rs
    with pytest.raises(BadRequestException) as err:
        client.sql("CREATE TABLE t (i INT)")
    assert "--allow-writes" in err.value.body
