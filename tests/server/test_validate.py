"""``POST /v1/orgs/self/queries/validations``: Rockset's validate, parse only, nothing runs.

It answered 405 before (the path matched ``GET /queries/{query_id}``). The official client's
``Queries.validate`` reads ``ValidateQueryResponse`` (``collections`` and ``parameters`` are
required there, rockset-api.md §4).
"""

from __future__ import annotations

from enum import Enum

import pytest

from tui.engines.duckdb import DuckDBEngine

V = "/v1/orgs/self/queries/validations"
Q = "/v1/orgs/self/queries"


def test_a_valid_query_lists_its_parameters(live_service) -> None:
    with live_service.client() as http:
        r = http.post(V, json={"sql": {"query": "SELECT :a + :b AS s, :a AS again, ':x' AS text"}})
    assert r.status_code == 200, r.text
    assert r.json() == {"collections": [], "parameters": ["a", "b"]}


def test_errors_are_the_ones_a_query_would_get(live_service) -> None:
    with live_service.client() as http:
        syntax = http.post(V, json={"sql": {"query": "SELECT 1,\n  2 FRO x"}})
        assert syntax.status_code == 400
        assert syntax.json()["type"] == "QUERY_ERROR"
        assert (syntax.json()["line"], syntax.json()["column"]) == (2, 9)
        refused = http.post(V, json={"sql": {"query": "COPY (SELECT 1) TO 'x.csv'"}})
        assert refused.status_code == 400
        assert refused.json()["type"] == "INVALIDINPUT" and "--allow-writes" in refused.json()["message"]
        assert http.post(V, json={"sql": {}}).status_code == 400
        assert (
            http.post(V, json={"sql": {"query": "SELECT 1"}}, headers={"Authorization": "ApiKey nope"}).status_code
            == 401
        )
        # validations are not queries: none was recorded
        assert http.get(Q).json()["data"] == []


def test_nothing_runs_even_with_writes_allowed(service_factory) -> None:
    live = service_factory(engine=DuckDBEngine(None, allow_writes=True))
    with live.client() as http:
        assert http.post(V, json={"sql": {"query": "CREATE TABLE made AS SELECT 1 AS x"}}).status_code == 200
        missing = http.post(Q, json={"sql": {"query": "SELECT * FROM made"}})
        assert missing.status_code == 400 and "made" in missing.json()["message"]


def test_the_official_client_validates(live_service) -> None:
    rockset = pytest.importorskip("rockset")
    from rockset.models import QueryParameter, QueryRequestSql

    host = Enum("Host", {"local": live_service.base_url}, type=str).local
    client = rockset.RocksetClient(host=host, api_key=live_service.api_key)
    response = client.Queries.validate(
        sql=QueryRequestSql(
            query="SELECT :n * 2 AS doubled", parameters=[QueryParameter(name="n", type="int", value="2")]
        )
    )
    assert response.parameters == ["n"] and response.collections == []
