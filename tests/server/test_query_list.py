"""The registry stays within the quota, and ``GET /queries`` comes in pages (issue 10, defect
5: 300 requests with 1 MiB of SQL each grew the registry to 6x a 50 MB quota, and one
``GET /queries`` answered 315 MB)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.conftest import API_KEY, FakeClock, make_keyring, make_settings, serve_in_thread
from tests.server.test_queries import Q, q
from tui.client import QueryClient
from tui.engines.duckdb import DuckDBEngine
from tui.server import create_app
from tui.store.store import EXPIRED_SQL_CHARS

PADDING = "x" * 300_000
HEADERS = {"Authorization": f"ApiKey {API_KEY}"}


def long_sql(n: int, *, valid: bool = True) -> str:
    # an invalid one fails as it runs (a statement that does not parse is refused before it is
    # kept, so it costs nothing)
    return f"SELECT {n if valid else 'error(' + repr(str(n)) + ')'} AS n -- {PADDING}"


def test_sql_texts_count_against_the_quota_failures_included(service_factory):
    clock = FakeClock()
    service = service_factory(clock=clock, quota_bytes=1024 * 1024)
    store = service.service.store
    with service.client() as http:
        assert http.post(Q, json={"sql": {"query": long_sql(1)}}).status_code == 200
        assert http.post(Q, json={"sql": {"query": long_sql(2, valid=False)}}).status_code == 400  # kept all the same
        assert http.post(Q, json={"sql": {"query": long_sql(3)}}).status_code == 200
        refused = http.post(Q, json={"sql": {"query": long_sql(4)}})
        assert refused.status_code == 400 and refused.json()["type"] == "RESOURCEEXCEEDED", refused.text
        assert store.usage_bytes <= 1024 * 1024

        # a dropped query gives its SQL's room back at once
        dropped = http.get(Q).json()["data"][0]["query_id"]
        http.delete(q(dropped))
        assert http.post(Q, json={"sql": {"query": long_sql(5)}}).status_code == 200

        # an expired query is remembered (to answer "expired") by a short prefix of its SQL
        clock.advance(hours=24, seconds=1)
        store.sweep()
        ids = [record.query_id for record in store.registry.expired(clock())]
        assert len(ids) == 3
        assert all(len(store.registry.get(i).sql) <= EXPIRED_SQL_CHARS + 1 for i in ids)
        assert store.usage_bytes < 3 * (EXPIRED_SQL_CHARS + 16) + 4096
        assert http.post(Q, json={"sql": {"query": long_sql(6)}}).status_code == 200
        clock.advance(days=8)
        store.sweep()
        assert store.registry.get(ids[0]) is None


def test_a_restart_counts_the_sql_it_finds(tmp_path):
    settings = make_settings(tmp_path / "store", quota_bytes=1024 * 1024)
    first = create_app(settings, DuckDBEngine(), make_keyring())
    with serve_in_thread(first) as url, httpx.Client(base_url=url, headers=HEADERS) as http:
        for n in range(3):
            assert http.post(Q, json={"sql": {"query": long_sql(n)}}).status_code == 200
        usage = first.state.service.store.usage_bytes
    assert usage >= 3 * len(PADDING)
    again = create_app(settings, DuckDBEngine(), make_keyring())
    with serve_in_thread(again) as url, httpx.Client(base_url=url, headers=HEADERS) as http:
        assert again.state.service.store.usage_bytes == usage
        refused = http.post(Q, json={"sql": {"query": long_sql(4)}})
    assert refused.status_code == 400 and refused.json()["type"] == "RESOURCEEXCEEDED"


def ids_of(body: dict) -> list[str]:
    return [info["query_id"] for info in body["data"]]


def test_the_list_comes_in_pages_that_continue_where_they_stopped(service_factory):
    service = service_factory()
    with service.client() as http:
        for n in range(25):
            http.post(Q, json={"sql": {"query": f"SELECT {n} AS n"}})
        whole = http.get(Q).json()
        assert "pagination" not in whole and len(whole["data"]) == 25  # a short list: as before

        first = http.get(Q, params={"limit": 10}).json()
        assert ids_of(first) == ids_of(whole)[:10]
        http.post(Q, json={"sql": {"query": "SELECT 'new' AS n"}})  # arrives between pages
        second = http.get(Q, params={"limit": 10, "cursor": first["pagination"]["next_cursor"]}).json()
        third = http.get(Q, params={"limit": 10, "cursor": second["pagination"]["next_cursor"]}).json()
        assert ids_of(second) + ids_of(third) == ids_of(whole)[10:]
        assert "pagination" not in third

        bad = http.get(Q, params={"cursor": "bm90LWEtY3Vyc29y"})
        assert bad.status_code == 400 and bad.json()["type"] == "INVALIDINPUT"
        assert http.get(Q, params={"limit": 0}).status_code == 400


def test_a_page_of_the_list_is_bounded_by_bytes_and_the_client_follows_it(service_factory):
    service = service_factory(page_max_bytes=700_000)
    with service.client() as http:
        for n in range(5):
            assert http.post(Q, json={"sql": {"query": long_sql(n)}}).status_code == 200
        first = http.get(Q).json()
        assert len(first["data"]) == 2 and first["pagination"]["next_cursor"]

    async def listed() -> tuple[list[str], list[str]]:
        async with QueryClient(service.base_url, service.api_key) as client:
            return [i.sql[:13] for i in await client.list()], [i.sql[:13] for i in await client.list(limit=3)]

    every, newest = asyncio.run(listed())
    assert every == [f"SELECT {n} AS n" for n in reversed(range(5))]
    assert newest == every[:3]


@pytest.mark.parametrize("limit", [1, 3])
def test_the_rockset_shape_is_kept_on_every_page(service_factory, limit):
    service = service_factory()
    with service.client() as http:
        for n in range(4):
            http.post(Q, json={"sql": {"query": f"SELECT {n}"}})
        body = http.get(Q, params={"limit": limit}).json()
    assert set(body) == {"data", "pagination"} and set(body["pagination"]) == {"next_cursor"}
    assert len(body["data"]) == limit
