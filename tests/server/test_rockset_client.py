"""The official ``rockset`` 2.1.2 Python client, unmodified, against ``folio serve``.

Its constructor only accepts ``https://*.rockset.com`` hosts, but takes an ``Enum`` member
verbatim (rockset-api.md §1); that is the only trick, and it touches no client code.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import pytest

rockset = pytest.importorskip("rockset")
from rockset import QueryPaginator, RocksetClient  # noqa: E402
from rockset.exceptions import BadRequestException, NotFoundException, UnauthorizedException  # noqa: E402
from rockset.models import AsyncQueryOptions, QueryParameter, QueryRequestSql  # noqa: E402

from tests.conftest import wait_until  # noqa: E402

EVENTS = """
CREATE SCHEMA commons;
CREATE TABLE commons._events AS
SELECT i AS id, CASE WHEN i % 3 = 0 THEN 'click' ELSE 'view' END AS kind, i * 1.5 AS amount
FROM range(50) t(i);
"""


@pytest.fixture
def rs(service_factory):
    from tui.engines.duckdb import DuckDBEngine

    engine = DuckDBEngine()
    engine._con.execute(EVENTS)
    live = service_factory(engine=engine)
    host = Enum("Host", {"local": live.base_url}, type=str).local
    return RocksetClient(host=host, api_key=live.api_key), live


def test_paginated_query_then_paging_to_the_end_by_cursor(rs):
    client, _ = rs
    r = client.Queries.query(
        sql=QueryRequestSql(
            query="SELECT * FROM commons._events WHERE kind = :kind ORDER BY id",
            parameters=[QueryParameter(name="kind", type="string", value="click")],
            default_row_limit=1000,
        ),
        max_initial_results=3,
        timeout_ms=60000,
    )
    qid, cursor, rows = r.query_id, r.pagination.next_cursor, list(r.results)
    assert r.results_total_doc_count == 17
    assert [c.name for c in r.column_fields] == ["id", "kind", "amount"]
    while cursor:
        page = client.Queries.get_query_results(query_id=qid, cursor=cursor, docs=3)
        rows += page.results
        cursor = page.pagination.next_cursor
    assert [row["id"] for row in rows] == list(range(0, 50, 3))


def test_query_paginator(rs):
    client, _ = rs
    r = client.Queries.query(sql=QueryRequestSql(query="SELECT * FROM range(7) t(i)"), max_initial_results=3)
    pages = list(QueryPaginator(client, r))
    assert [len(p) for p in pages] == [3, 3, 1]
    assert [row["i"] for page in pages for row in page] == list(range(7))


def test_offset_access_and_first_page_without_cursor(rs):
    client, _ = rs
    r = client.Queries.query(sql=QueryRequestSql(query="SELECT * FROM range(20) t(i)"), max_initial_results=2)
    first = client.Queries.get_query_results(query_id=r.query_id)
    assert [row["i"] for row in first.results] == list(range(20))
    assert first.results_total_doc_count == 20
    deep = client.Queries.get_query_results(query_id=r.query_id, cursor=r.pagination.start_cursor, docs=2, offset=4)
    assert [row["i"] for row in deep.results] == [4, 5]


def test_old_style_knobs_async_list_get_cancel(rs):
    client, _ = rs
    r = client.Queries.query(
        sql=QueryRequestSql(query="SELECT 2 AS two", initial_paginate_response_doc_count=2, paginate=True),
        _async=True,
        async_options=AsyncQueryOptions(client_timeout_ms=5000, max_initial_results=2, timeout_ms=9000),
    )
    assert r.status == "COMPLETED"
    assert r.results == [{"two": 2}]
    slow = client.Queries.query(sql=QueryRequestSql(query="SELECT count(*) FROM range(100000000000)"), _async=True)
    wait_until(lambda: client.Queries.get_query(query_id=slow.query_id).data.status == "RUNNING")
    listed = {q.query_id: q.status for q in client.Queries.list_active_queries().data}
    assert listed[slow.query_id] == "RUNNING" and listed[r.query_id] == "COMPLETED"
    assert client.Queries.cancel_query(query_id=slow.query_id).data.status == "CANCELLED"
    wait_until(lambda: client.Queries.get_query(query_id=slow.query_id).data.status == "CANCELLED")
    info = client.Queries.get_query(query_id=r.query_id).data
    assert info.status == "COMPLETED" and info.expires_at and info.pagination.start_cursor
    assert info.stats.result_set_document_count == 1
    dropped = client.Queries.cancel_query(query_id=r.query_id).data  # the official client reads a drop
    assert dropped.status == "COMPLETED" and dropped["dropped"] is True


def test_rs_sql_with_parameters(rs):
    client, _ = rs
    result = client.sql(
        "SELECT :a + 1 AS a, :b AS b, :c AS c, :d * 2 AS d, :e AS e",
        params={"a": 1, "b": "x", "c": True, "d": 1.5, "e": datetime(2024, 1, 2, 3, 4, 5)},
    )
    assert result.results == [{"a": 2, "b": "x", "c": True, "d": 3.0, "e": "2024-01-02T03:04:05.000000"}]


def test_errors_surface_as_the_client_exceptions(rs):
    client, live = rs
    with pytest.raises(BadRequestException) as err:
        client.sql("SELEC 1")
    assert "QUERY_ERROR" in err.value.body
    with pytest.raises(NotFoundException):
        client.Queries.get_query(query_id="00000000-0000-0000-0000-000000000000:AAAAAAA:0")
    with pytest.raises(BadRequestException):
        client.Queries.get_query_results(query_id=client.sql("SELECT 1").query_id, docs=100_001)
    bad = RocksetClient(host=Enum("H", {"x": live.base_url}, type=str).x, api_key="wrong")
    with pytest.raises(UnauthorizedException):
        bad.Queries.list_active_queries()
