"""POST /queries, GET/DELETE /queries/{id}, GET /queries over real HTTP on loopback."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.conftest import wait_until

Q = "/v1/orgs/self/queries"


def q(query_id: str) -> str:
    return f"{Q}/{quote(query_id, safe='')}"


def test_sync_query_returns_every_row_with_columns_and_stats(live_service):
    with live_service.client() as http:
        r = http.post(Q, json={"sql": {"query": "SELECT i, i * 2 AS j, 'x' || i AS s FROM range(5) t(i)"}})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "COMPLETED"
    assert body["results"] == [{"i": i, "j": 2 * i, "s": f"x{i}"} for i in range(5)]
    assert body["results_total_doc_count"] == 5
    assert body["column_fields"] == [
        {"name": "i", "type": "BIGINT"},
        {"name": "j", "type": "BIGINT"},
        {"name": "s", "type": "VARCHAR"},
    ]
    assert isinstance(body["stats"]["elapsed_time_ms"], int)
    assert "pagination" not in body  # not asked for: the key is absent, as in REAL responses


def test_select_star_reports_every_column(live_service):
    with live_service.client() as http:
        r = http.post(Q, json={"sql": {"query": "SELECT * FROM (SELECT 1 AS a, 2.5::DOUBLE AS b, true AS c)"}})
    assert [f["name"] for f in r.json()["column_fields"]] == ["a", "b", "c"]
    assert [f["type"] for f in r.json()["column_fields"]] == ["INTEGER", "DOUBLE", "BOOLEAN"]


@pytest.mark.parametrize(
    "request_body",
    [
        {"sql": {"query": "SELECT * FROM range(25) t(i)"}, "max_initial_results": 10},
        {"sql": {"query": "SELECT * FROM range(25) t(i)", "paginate": True, "initial_paginate_response_doc_count": 10}},
        {"sql": {"query": "SELECT * FROM range(25) t(i)", "initial_paginate_response_doc_count": 10}},
        {"sql": {"query": "SELECT * FROM range(25) t(i)"}, "async_options": {"max_initial_results": 10}},
    ],
    ids=["max_initial_results", "paginate", "initial_doc_count", "async_options"],
)
def test_paginated_query_both_generations(live_service, request_body):
    with live_service.client() as http:
        body = http.post(Q, json=request_body).json()
        assert body["results"] == [{"i": i} for i in range(10)]
        assert body["results_total_doc_count"] == 25
        page = body["pagination"]
        assert page["current_page_doc_count"] == 10
        assert page["next_cursor_offset"] == 10
        assert page["start_cursor"] and page["next_cursor"]
        rows = list(body["results"])
        cursor = page["next_cursor"]
        while cursor:
            nxt = http.get(f"{q(body['query_id'])}/pages", params={"cursor": cursor, "docs": 10}).json()
            rows += nxt["results"]
            cursor = nxt["pagination"]["next_cursor"]
        assert rows == [{"i": i} for i in range(25)]


def test_paginate_flag_defaults_to_ten_thousand_initial_docs(live_service):
    with live_service.client() as http:
        body = http.post(Q, json={"sql": {"query": "SELECT * FROM range(12000) t(i)", "paginate": True}}).json()
    assert len(body["results"]) == 10_000
    assert body["pagination"]["next_cursor_offset"] == 10_000


def test_zero_initial_results_still_hands_out_cursors(live_service):
    with live_service.client() as http:
        body = http.post(Q, json={"sql": {"query": "SELECT * FROM range(3) t(i)"}, "max_initial_results": 0}).json()
        assert body["results"] == [] and body["results_total_doc_count"] == 3
        assert body["pagination"]["start_cursor"]
        first = http.get(f"{q(body['query_id'])}/pages", params={"cursor": body["pagination"]["start_cursor"]}).json()
    assert first["results"] == [{"i": 0}, {"i": 1}, {"i": 2}]


def test_named_parameters_are_bound_not_spliced(live_service):
    params = [
        {"name": "n", "type": "int", "value": "3"},
        {"name": "s", "type": "string", "value": "it's ; DROP TABLE x --"},
        {"name": "b", "type": "bool", "value": "True"},
        {"name": "d", "type": "date", "value": "2024-01-02"},
        {"name": "t", "type": "datetime", "value": "2024-01-02 03:04:05"},
        {"name": "f", "type": "float", "value": "1.5"},
    ]
    sql = "SELECT :n + 1 AS n, :s AS s, :b AS b, :d AS d, :t AS t, :f * 2 AS f, ':s' AS literal, 1::INT AS cast"
    with live_service.client() as http:
        body = http.post(Q, json={"sql": {"query": sql, "parameters": params}}).json()
    assert body["results"] == [
        {
            "n": 4,
            "s": "it's ; DROP TABLE x --",
            "b": True,
            "d": "2024-01-02",
            "t": "2024-01-02T03:04:05.000000",
            "f": 3.0,
            "literal": ":s",
            "cast": 1,
        }
    ]


def test_async_query_returns_at_once_and_completes(live_service):
    with live_service.client() as http:
        r = http.post(Q, json={"sql": {"query": "SELECT count(*) AS n FROM range(20000000)"}, "async": True})
        body = r.json()
        assert r.status_code == 200
        assert body["status"] in ("QUEUED", "RUNNING", "COMPLETED")
        assert "results" not in body or body["status"] == "COMPLETED"
        wait_until(lambda: http.get(q(body["query_id"])).json()["data"]["status"] == "COMPLETED")
        info = http.get(q(body["query_id"])).json()["data"]
        assert info["stats"]["result_set_document_count"] == 1
        assert info["pagination"]["start_cursor"]
        page = http.get(f"{q(body['query_id'])}/pages").json()
    assert page["results"] == [{"n": 20_000_000}]


def test_async_with_client_timeout_answers_in_full_when_fast(live_service):
    with live_service.client() as http:
        body = http.post(
            Q,
            json={"sql": {"query": "SELECT 42 AS x"}, "async": True, "async_options": {"client_timeout_ms": 5000}},
        ).json()
    assert body["status"] == "COMPLETED"
    assert body["results"] == [{"x": 42}]


def test_info_and_list_show_the_query_newest_first(live_service):
    with live_service.client() as http:
        first = http.post(Q, json={"sql": {"query": "SELECT 1 AS a"}}).json()["query_id"]
        second = http.post(Q, json={"sql": {"query": "SELECT * FROM range(7)"}, "max_initial_results": 2}).json()[
            "query_id"
        ]
        listed = http.get(Q).json()["data"]
        info = http.get(q(second)).json()["data"]
    assert [item["query_id"] for item in listed][:2] == [second, first]
    assert info["status"] == "COMPLETED"
    assert info["sql"] == "SELECT * FROM range(7)"
    assert info["executed_by"] == "alice"
    assert info["submitted_at"].endswith("Z") and info["expires_at"].endswith("Z")
    assert info["stats"]["result_set_document_count"] == 7
    assert info["stats"]["result_set_bytes_size"] > 0
    assert info["pagination"]["start_cursor"]


def test_cancel_stops_a_running_query(live_service):
    sql = "SELECT count(*) FROM range(100000000000) a"
    with live_service.client() as http:
        query_id = http.post(Q, json={"sql": {"query": sql}, "async": True}).json()["query_id"]
        wait_until(lambda: http.get(q(query_id)).json()["data"]["status"] == "RUNNING")
        cancelled = http.delete(q(query_id)).json()["data"]
        assert cancelled["status"] == "CANCELLED"
        assert cancelled["dropped"] is False
        wait_until(lambda: live_service.service.runner.live(query_id) is None)  # the engine stopped
        info = http.get(q(query_id)).json()["data"]
        page = http.get(f"{q(query_id)}/pages")
    assert info["status"] == "CANCELLED"
    assert page.status_code == 400 and page.json()["type"] == "QUERY_CANCELLED"


def test_delete_drops_a_finished_result(live_service):
    with live_service.client() as http:
        query_id = http.post(Q, json={"sql": {"query": "SELECT 1"}, "max_initial_results": 1}).json()["query_id"]
        record = live_service.service.store.registry.get(query_id)
        path = live_service.service.store.path(record)
        assert path.exists()
        dropped = http.delete(q(query_id)).json()["data"]
        assert dropped["status"] == "COMPLETED"  # the state it ended in: a valid Rockset status
        assert dropped["dropped"] is True  # and what became of it (issue 10, defect 10)
        assert "dropped" in dropped["message"]
        assert dropped["expires_at"] is None and dropped["pagination"] is None
        assert http.get(q(query_id)).status_code == 404
    assert not path.exists()


def test_unpaginated_result_over_100k_rows_is_refused_with_advice(live_service):
    with live_service.client() as http:
        r = http.post(Q, json={"sql": {"query": "SELECT * FROM range(100001) t(i)"}})
        ok = http.post(Q, json={"sql": {"query": "SELECT * FROM range(100001) t(i)"}, "max_initial_results": 5})
    assert r.status_code == 400
    assert r.json()["message"].startswith("Query result contains more than 100,000 rows")
    assert "paginate" in r.json()["message"].lower()
    assert ok.status_code == 200 and ok.json()["results_total_doc_count"] == 100001


def test_sync_timeout_is_an_error_408(live_service):
    with live_service.client() as http:
        r = http.post(Q, json={"sql": {"query": "SELECT count(*) FROM range(100000000000)"}, "timeout_ms": 300})
    assert r.status_code == 408
    assert r.json()["type"] == "QUERY_TIMEOUT"


def test_async_queries_are_not_held_to_the_unpaginated_limit(live_service):
    with live_service.client() as http:
        body = http.post(
            Q,
            json={
                "sql": {"query": "SELECT * FROM range(150000) t(i)"},
                "async": True,
                "async_options": {"client_timeout_ms": 20000},
            },
        ).json()
    assert body["status"] == "COMPLETED"
    assert body["results_total_doc_count"] == 150_000
    assert len(body["results"]) == 10_000  # the first page; the rest by cursor
    assert body["pagination"]["next_cursor_offset"] == 10_000
