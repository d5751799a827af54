"""GET …/pages in both forms, cursors, offsets, progressive pages of running queries."""

from __future__ import annotations

import io

import pyarrow as pa
import pytest

from tests.server.test_queries import Q, q


@pytest.fixture
def stored(live_service):
    """A completed 25,000-row result and an HTTP client for it."""
    with live_service.client() as http:
        body = http.post(
            Q, json={"sql": {"query": "SELECT i, i % 7 AS m FROM range(25000) t(i)"}, "max_initial_results": 100}
        ).json()
        yield http, body


def rows(a: int, b: int) -> list[dict]:
    return [{"i": i, "m": i % 7} for i in range(a, b)]


def test_no_cursor_is_the_first_page_with_default_docs(stored):
    http, body = stored
    page = http.get(f"{q(body['query_id'])}/pages").json()
    assert page["results"] == rows(0, 10_000)
    assert page["results_total_doc_count"] == 25_000
    assert page["pagination"]["current_page_doc_count"] == 10_000
    assert page["pagination"]["next_cursor_offset"] == 10_000
    assert page["status"] == "COMPLETED"


def test_offset_counts_from_the_cursor(stored):
    http, body = stored
    cursor = body["pagination"]["next_cursor"]  # row 100
    page = http.get(f"{q(body['query_id'])}/pages", params={"cursor": cursor, "docs": 5, "offset": 50}).json()
    assert page["results"] == rows(150, 155)
    assert page["pagination"]["next_cursor_offset"] == 155


def test_absolute_offset_without_cursor_reaches_any_row(stored):
    http, body = stored
    page = http.get(f"{q(body['query_id'])}/pages", params={"offset": 24_998, "docs": 1000}).json()
    assert page["results"] == rows(24_998, 25_000)
    assert page["pagination"]["next_cursor"] is None
    beyond = http.get(f"{q(body['query_id'])}/pages", params={"offset": 30_000, "docs": 10}).json()
    assert beyond["results"] == [] and beyond["pagination"]["next_cursor"] is None


def test_path_form_of_generation_a(stored):
    http, body = stored
    cursor = body["pagination"]["next_cursor"]
    page = http.get(f"{q(body['query_id'])}/pages/{cursor}", params={"docs": 3, "offset": 1}).json()
    assert page["results"] == rows(101, 104)


def test_next_page_link_fetches_the_next_page(stored):
    http, body = stored
    link = body["pagination"]["next_page_link"]
    assert link.startswith(str(http.base_url).rstrip("/"))
    page = http.get(link).json()
    assert page["results"] == rows(100, 200)


def test_cursor_of_another_query_or_altered_is_rejected(stored):
    http, body = stored
    other = http.post(Q, json={"sql": {"query": "SELECT 1 AS x"}, "max_initial_results": 1}).json()
    cursor = body["pagination"]["next_cursor"]
    foreign = http.get(f"{q(other['query_id'])}/pages", params={"cursor": cursor})
    assert foreign.status_code == 400 and foreign.json()["type"] == "INVALIDINPUT"
    flipped = cursor[:-2] + ("A" if cursor[-2] != "A" else "B") + cursor[-1]
    for bad in (flipped, "garbage", "////", "a" * 100):
        r = http.get(f"{q(body['query_id'])}/pages", params={"cursor": bad})
        assert r.status_code == 400, bad
        assert r.json()["type"] == "INVALIDINPUT"


def test_arrow_stream_pages_keep_types(stored):
    http, body = stored
    r = http.get(
        f"{q(body['query_id'])}/pages",
        params={"offset": 10, "docs": 20},
        headers={"Accept": "application/vnd.apache.arrow.stream"},
    )
    table = pa.ipc.open_stream(io.BytesIO(r.content)).read_all()
    assert table.column("i").to_pylist() == list(range(10, 30))
    assert table.schema.field("i").type == pa.int64()
    assert r.headers["folio-total-doc-count"] == "25000"
    assert r.headers["folio-next-offset"] == "30"


def test_rows_of_a_running_query_are_pageable_before_it_completes(live_service):
    # a query that produces rows quickly but takes long to finish
    sql = "SELECT i FROM range(2000000000) t(i)"
    with live_service.client() as http:
        query_id = http.post(Q, json={"sql": {"query": sql}, "async": True}).json()["query_id"]
        page = http.get(f"{q(query_id)}/pages", params={"offset": 0, "docs": 100}).json()
        deep = http.get(f"{q(query_id)}/pages", params={"offset": 50_000, "docs": 10}).json()
        http.delete(q(query_id))
    assert page["status"] == "RUNNING"
    assert "results_total_doc_count" not in page  # absent, not null, until the total is known
    assert page["results"] == [{"i": i} for i in range(100)]
    assert page["pagination"]["next_cursor"]  # more may come
    assert deep["results"] == [{"i": i} for i in range(50_000, 50_010)]


def test_page_past_the_stored_rows_of_a_slow_query_is_not_ready(service_factory):
    service = service_factory(page_wait_s=0.3)
    sql = "SELECT count(*) AS n FROM range(100000000000)"  # one row, at the very end
    with service.client() as http:
        query_id = http.post(Q, json={"sql": {"query": sql}, "async": True}).json()["query_id"]
        r = http.get(f"{q(query_id)}/pages", params={"docs": 10})
        http.delete(q(query_id))
    assert r.status_code == 503
    assert r.json()["type"] == "NOT_READY"
    assert r.headers["retry-after"] == "1"


def test_pages_asked_while_a_cancelled_query_is_torn_down_are_never_500(live_service):
    sql = "SELECT i, repeat('x', 30) AS pad FROM range(2000000000) t(i)"
    with live_service.client() as http:
        for _ in range(5):
            query_id = http.post(Q, json={"sql": {"query": sql}, "async": True}).json()["query_id"]
            http.get(f"{q(query_id)}/pages", params={"docs": 10})  # rows exist
            http.delete(q(query_id))
            statuses = {
                http.get(f"{q(query_id)}/pages", params={"offset": o, "docs": 100}).status_code
                for o in range(0, 40000, 4000)
            }
            assert statuses <= {200, 400}, statuses
            final = http.get(f"{q(query_id)}/pages")
            assert final.status_code == 400 and final.json()["type"] == "QUERY_CANCELLED"
