"""Every bad input gets a 4xx with the Rockset error model, never a 500 or a traceback."""

from __future__ import annotations

import pytest

from tests.server.test_queries import Q, q

ERROR_KEYS = {"message", "type", "line", "column", "trace_id", "error_id", "query_id"}


def assert_error(r, status: int, type_: str | None = None) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) >= ERROR_KEYS
    assert isinstance(body["message"], str) and body["message"]
    assert "Traceback" not in body["message"]
    if type_:
        assert body["type"] == type_
    return body


@pytest.mark.parametrize(
    "content, why",
    [
        (b"{not json", "malformed"),
        (b"", "empty"),
        (b"[]", "not an object"),
        (b'{"sql": {}}', "missing sql.query"),
        (b'{"query": "SELECT 1"}', "missing sql"),
        (b'{"sql": {"query": 5}}', "query not a string"),
        (b'{"sql": {"query": ""}}', "empty query"),
        (b'{"sql": "SELECT 1"}', "sql not an object"),
        (b'{"sql": {"query": "SELECT 1"}, "async": "yes"}', "async not a bool"),
        (b'{"sql": {"query": "SELECT 1"}, "max_initial_results": 1.5}', "float count"),
        (b'{"sql": {"query": "SELECT 1"}, "max_initial_results": -1}', "negative"),
        (b'{"sql": {"query": "SELECT 1"}, "max_initial_results": 100001}', "too many"),
        (b'{"sql": {"query": "SELECT 1", "parameters": [{"value": "1"}]}}', "parameter without name"),
        (b'{"sql": {"query": "SELECT 1", "parameters": "x"}}', "parameters not a list"),
        (b'{"sql": {"query": "SELECT :a"}}', "parameter not given"),
        (b'{"sql": {"query": "SELECT :a", "parameters": [{"name": "a", "type": "int", "value": "x"}]}}', "bad int"),
    ],
)
def test_bad_query_requests_are_400_invalid_input(live_service, content, why):
    with live_service.client() as http:
        r = http.post(Q, content=content, headers={"Content-Type": "application/json"})
    assert_error(r, 400, "INVALIDINPUT")


def test_missing_parameter_names_it(live_service):
    with live_service.client() as http:
        body = assert_error(http.post(Q, json={"sql": {"query": "SELECT :who, :what"}}), 400)
    assert ":what" in body["message"] and ":who" in body["message"]


def test_sql_error_has_line_and_column(live_service):
    with live_service.client() as http:
        r = http.post(Q, json={"sql": {"query": "SELECT 1,\n  2 FRO x"}})
        async_r = http.post(Q, json={"sql": {"query": "SELEC 1"}, "async": True})
    body = assert_error(r, 400, "QUERY_ERROR")
    assert (body["line"], body["column"]) == (2, 9)
    assert "syntax error" in body["message"]
    assert assert_error(async_r, 400, "QUERY_ERROR")["line"] == 1


def test_missing_table_is_a_query_error(live_service):
    with live_service.client() as http:
        assert_error(http.post(Q, json={"sql": {"query": "SELECT * FROM nowhere"}}), 400, "QUERY_ERROR")


@pytest.mark.parametrize(
    "params",
    [
        {"docs": 0},
        {"docs": -1},
        {"docs": 100_001},
        {"docs": "ten"},
        {"offset": -1},
        {"offset": 1_000_000_001},
        {"offset": "1e3"},
    ],
)
def test_out_of_range_page_parameters(live_service, params):
    with live_service.client() as http:
        query_id = http.post(Q, json={"sql": {"query": "SELECT 1"}, "max_initial_results": 1}).json()["query_id"]
        assert_error(http.get(f"{q(query_id)}/pages", params=params), 400, "INVALIDINPUT")


def test_limits_at_the_edge_are_accepted(live_service):
    with live_service.client() as http:
        query_id = http.post(Q, json={"sql": {"query": "SELECT 1 AS x"}, "max_initial_results": 100_000}).json()[
            "query_id"
        ]
        r = http.get(f"{q(query_id)}/pages", params={"docs": 100_000, "offset": 1_000_000_000})
    assert r.status_code == 200 and r.json()["results"] == []


@pytest.mark.parametrize(
    "query_id",
    [
        "nope",
        "..",
        "../../etc/passwd",
        "%2e%2e%2f%2e%2e",
        "a%2Fb",
        "00000000-0000-0000-0000-000000000000:AAAAAAA:0",
        "x" * 300,
    ],
)
def test_unknown_or_hostile_query_ids_are_404(live_service, query_id):
    with live_service.client() as http:
        for path in (f"{Q}/{query_id}", f"{Q}/{query_id}/pages"):
            r = http.get(path)
            assert r.status_code == 404, (path, r.text)
            assert r.json()["type"] == "NOTFOUND"
        assert http.delete(f"{Q}/{query_id}").status_code in (404, 405)


def test_unknown_endpoint_and_method_use_the_error_model(live_service):
    with live_service.client() as http:
        assert_error(http.get("/v1/orgs/self/nothing"), 404, "NOTFOUND")
        assert_error(http.put(Q), 405, "METHODNOTALLOWED")


def test_oversized_bodies_are_refused_before_parsing(live_service):
    with live_service.client() as http:
        huge = b'{"sql": {"query": "' + b"x" * (3 * 1024 * 1024) + b'"}}'
        assert_error(http.post(Q, content=huge, headers={"Content-Type": "application/json"}), 413, "CONTENTTOOLARGE")
        long_sql = {"sql": {"query": "SELECT 1 " + "-" * (1024 * 1024 + 10)}}
        assert_error(http.post(Q, json=long_sql), 413, "CONTENTTOOLARGE")


def test_unknown_keys_are_ignored(live_service):
    body = {
        "sql": {"query": "SELECT 1 AS x", "generate_warnings": True, "default_row_limit": 5},
        "debug_threshold_ms": 5,
        "something_new": {"a": 1},
    }
    with live_service.client() as http:
        assert http.post(Q, json=body).json()["results"] == [{"x": 1}]
