"""QueryClient against the real service: every call, over loopback HTTP and in-process."""

from __future__ import annotations

import asyncio
from datetime import date, datetime

import pytest

from tests.conftest import await_until
from tui.client import Column, NotReady, Page, QueryCancelled, QueryClient, SyncQueryClient
from tui.client.arrow import ArrowPage
from tui.wire import QueryStatus

ROWS = "SELECT i, i % 7 AS m, 'r' || i::VARCHAR AS s FROM range({n}) t(i) ORDER BY i"
#: produces its first rows at once but runs for a long time (until cancelled)
ENDLESS = "SELECT i FROM range(2000000000) t(i)"
#: produces nothing until the very end
SLOW_SINGLE_ROW = "SELECT count(*) AS n FROM range(100000000000)"


def row(i: int) -> dict:
    return {"i": i, "m": i % 7, "s": f"r{i}"}


async def test_sync_query_returns_rows_columns_and_total(client):
    result = await client.run("SELECT 1 AS a, 'x' AS b")
    assert result.status is QueryStatus.COMPLETED
    assert result.rows == [{"a": 1, "b": "x"}]
    assert result.columns == (Column("a", "INTEGER"), Column("b", "VARCHAR"))
    assert result.total == 1 and result.is_complete and not result.paginated
    assert result.query_id


async def test_paginated_query_hands_out_the_first_page_and_a_cursor(client):
    result = await client.run(ROWS.format(n=25), initial_docs=10)
    assert result.rows == [row(i) for i in range(10)]
    assert result.total == 25 and result.paginated
    assert result.next_cursor and result.next_offset == 10
    assert not result.is_complete


async def test_parameters_are_typed_like_the_official_client(client):
    sql = "SELECT :n + 1 AS n, :f * 2 AS f, :b AS b, :s AS s, :d AS d, :t AS t"
    params = {"n": 41, "f": 1.25, "b": True, "s": "it's", "d": date(2024, 1, 2), "t": datetime(2024, 1, 2, 3, 4, 5)}
    result = await client.run(sql, parameters=params)
    got = result.rows[0]
    assert (got["n"], got["f"], got["b"], got["s"]) == (42, 2.5, True, "it's")
    assert got["d"].startswith("2024-01-02") and got["t"].startswith("2024-01-02")


async def test_page_by_absolute_offset_reaches_any_row_in_one_call(client, service):
    result = await client.run(ROWS.format(n=30_000), initial_docs=0)
    before = len(service.requests)
    page = await client.page(result.query_id, offset=29_990, docs=100)
    assert len(service.requests) == before + 1
    assert isinstance(page, Page)
    assert page.rows == [row(i) for i in range(29_990, 30_000)]
    assert (page.offset, page.end, page.total) == (29_990, 30_000, 30_000)
    assert page.next_offset is None and page.is_last
    assert [c.name for c in page.columns] == ["i", "m", "s"]
    middle = await client.page(result.query_id, offset=1000, docs=5)
    assert middle.rows == [row(i) for i in range(1000, 1005)] and middle.next_offset == 1005


async def test_page_at_cursor_with_offset(client):
    result = await client.run(ROWS.format(n=50), initial_docs=10)
    page = await client.page_at(result.query_id, result.next_cursor, docs=5, offset=3)
    assert page.rows == [row(i) for i in range(13, 18)]
    assert page.offset == 13 and page.next_offset == 18
    follow = await client.page_at(result.query_id, page.next_cursor, docs=100)
    assert follow.rows == [row(i) for i in range(18, 50)] and follow.is_last and follow.offset == 18


async def test_pages_yield_every_row_in_order(client):
    result = await client.run(ROWS.format(n=2_345), initial_docs=0)
    pages = [p async for p in client.pages(result.query_id, docs=500)]
    assert [p.count for p in pages] == [500, 500, 500, 500, 345]
    assert [p.offset for p in pages] == [0, 500, 1000, 1500, 2000]
    assert [r for p in pages for r in p.rows] == [row(i) for i in range(2_345)]
    tail = [p async for p in client.pages(result.query_id, docs=1000, start=2_000)]
    assert [r for p in tail for r in p.rows] == [row(i) for i in range(2_000, 2_345)]


async def test_pages_of_an_empty_result(client):
    result = await client.run("SELECT 1 AS a WHERE false", initial_docs=0)
    assert [p async for p in client.pages(result.query_id)] == []


async def test_info_list_and_wait(client):
    result = await client.run(ROWS.format(n=7), initial_docs=1)
    info = await client.info(result.query_id)
    assert info.query_id == result.query_id and info.status is QueryStatus.COMPLETED
    assert info.stats.result_set_document_count == 7
    assert info.expires_at and info.sql == ROWS.format(n=7)
    listed = await client.list()
    assert result.query_id in [q.query_id for q in listed]
    assert (await client.wait(result.query_id)).status is QueryStatus.COMPLETED


async def test_async_query_returns_at_once_then_completes(client):
    result = await client.run(ROWS.format(n=100), async_=True)
    assert result.query_id
    info = await client.wait(result.query_id, timeout=60)
    assert info.status is QueryStatus.COMPLETED
    page = await client.page(result.query_id, offset=0, docs=1000)
    assert page.rows == [row(i) for i in range(100)]


async def test_running_query_rows_are_pageable_and_cancel_stops_it(client, service):
    result = await client.run(ENDLESS, async_=True, initial_docs=0)
    page = await client.page(result.query_id, offset=0, docs=100)
    assert page.status is QueryStatus.RUNNING and page.total is None
    assert page.rows == [{"i": i} for i in range(100)] and not page.is_last
    cancelled = await client.cancel(result.query_id)
    assert cancelled.status is QueryStatus.CANCELLED
    # (server: a page read while the cancelled query is being torn down can hit its deleted
    # chunks and answer 500; wait for the teardown, as the server's own cancel test does)
    await await_until(lambda: service.service.runner.live(result.query_id) is None)
    with pytest.raises(QueryCancelled):
        async for _ in client.pages(result.query_id, docs=1000):
            pass


async def test_pages_follow_a_running_query_to_its_end(service_factory):
    # One row, produced only at the end after ~1 s of work: the page requests meanwhile are
    # answered NOT_READY (the server waits only 0.05 s), which pages() waits out.
    service = service_factory(page_wait_s=0.05)
    async with QueryClient(service.base_url, service.api_key, retries=0) as client:
        result = await client.run("SELECT sum(i % 7) AS n FROM range(200000000) t(i)", async_=True, initial_docs=0)
        pages = [p async for p in client.pages(result.query_id, docs=10)]
        assert [r for p in pages for r in p.rows] == [
            {"n": sum(range(7)) * (200000000 // 7) + sum(range(200000000 % 7))}
        ]
        assert (await client.info(result.query_id)).status is QueryStatus.COMPLETED
    page_requests = [r for r in service.requests if r[1].endswith("/pages")]
    assert len(page_requests) > 1  # it did have to wait


async def test_cancel_drops_a_finished_result(client):
    result = await client.run("SELECT 1 AS a", initial_docs=1)
    dropped = await client.cancel(result.query_id)
    assert dropped.status is QueryStatus.COMPLETED
    assert result.query_id not in [q.query_id for q in await client.list()]


async def test_arrow_page_keeps_types(client):
    result = await client.run(
        "SELECT i, TIMESTAMP '2024-01-02 03:04:05' AS t, {'a': i} AS st FROM range(10) t(i)", initial_docs=0
    )
    page = await client.arrow_page(result.query_id, offset=3, docs=4)
    assert isinstance(page, ArrowPage)
    assert page.table.column("i").to_pylist() == [3, 4, 5, 6]
    assert page.table.column("st").to_pylist()[0] == {"a": 3}
    assert page.table.schema.field("t").type.unit == "us"
    assert [c.type for c in page.columns] == ["BIGINT", "TIMESTAMP", "STRUCT(a BIGINT)"]
    assert (page.offset, page.total, page.next_offset) == (3, 10, 7)


async def test_arrow_pages_cover_the_result(client):
    result = await client.run(ROWS.format(n=1_234), initial_docs=0)
    pages = [p async for p in client.arrow_pages(result.query_id, docs=500)]
    assert [p.count for p in pages] == [500, 500, 234]
    assert [v for p in pages for v in p.table.column("i").to_pylist()] == list(range(1_234))


async def test_a_page_past_the_rows_of_a_slow_query_is_not_ready(service_factory):
    service = service_factory(page_wait_s=0.2)
    async with QueryClient(service.base_url, service.api_key, retries=1) as client:
        result = await client.run(SLOW_SINGLE_ROW, async_=True)
        with pytest.raises(NotReady) as caught:
            await client.page(result.query_id, offset=0, docs=10)
        await client.cancel(result.query_id)
    assert caught.value.retry_after is not None
    assert caught.value.status_code == 503 and caught.value.type == "NOT_READY"


async def test_requests_carry_the_api_key_header_and_quote_the_id(embedded_service):
    seen = []

    async def spy(request):
        seen.append(request)

    import httpx

    http = httpx.AsyncClient(transport=embedded_service.transport, event_hooks={"request": [spy]})
    async with QueryClient(embedded_service.base_url, embedded_service.api_key, http_client=http) as client:
        result = await client.run("SELECT 1 AS a", initial_docs=1)
        await client.info(result.query_id)
    await http.aclose()
    assert seen[0].headers["authorization"] == f"ApiKey {embedded_service.api_key}"
    assert seen[1].url.raw_path.decode().endswith(result.query_id.replace(":", "%3A"))
    assert embedded_service.api_key not in repr(client)


def test_sync_facade(live_service):
    with SyncQueryClient(live_service.base_url, live_service.api_key) as client:
        result = client.run(ROWS.format(n=1_500), initial_docs=0)
        assert client.page(result.query_id, offset=1_499, docs=10).rows == [row(1_499)]
        pages = list(client.pages(result.query_id, docs=1_000))
        assert [p.count for p in pages] == [1_000, 500]
        assert client.page_at(result.query_id, pages[0].next_cursor, docs=1).rows == [row(1_000)]
        assert client.info(result.query_id).status is QueryStatus.COMPLETED
        assert result.query_id in [q.query_id for q in client.list()]
        assert client.cancel(result.query_id).status is QueryStatus.COMPLETED


async def test_concurrent_pages_share_the_pool(client):
    result = await client.run(ROWS.format(n=10_000), initial_docs=0)
    pages = await asyncio.gather(*(client.page(result.query_id, offset=o, docs=100) for o in range(0, 10_000, 1_000)))
    assert [p.rows[0]["i"] for p in pages] == list(range(0, 10_000, 1_000))
