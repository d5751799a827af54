"""Query lambdas (rockset-api.md §11) over real HTTP: saving, versions, tags, executing with
pagination, and the rules around them (orgs, workspaces, parameters, durability)."""

from __future__ import annotations

import sqlite3

import httpx
import pytest

from tests.conftest import API_KEY, make_keyring, make_settings, serve_in_thread
from tui.engines.duckdb import DuckDBEngine
from tui.server.app import create_app

RANGE = "SELECT i FROM range(:n) t(i) WHERE i >= :lo ORDER BY i"
WS = "/v1/orgs/self/ws"


def _create(http, name="ranged", workspace="commons", sql=RANGE, defaults=None, **extra):
    body = {
        "name": name,
        "sql": {"query": sql, "default_parameters": defaults or [{"name": "n", "type": "int", "value": "10"}]},
        **extra,
    }
    return http.post(f"{WS}/{workspace}/lambdas", json=body)


@pytest.fixture
def http(live_service):
    with live_service.client() as client:
        yield client


def test_create_answers_the_first_version_and_tags_it_latest(http):
    created = _create(http, description="numbers")
    assert created.status_code == 200
    data = created.json()["data"]
    assert data["workspace"] == "commons" and data["name"] == "ranged" and data["state"] == "ACTIVE"
    assert len(data["version"]) == 16 and int(data["version"], 16) >= 0
    assert data["sql"] == {"query": RANGE, "default_parameters": [{"name": "n", "type": "int", "value": "10"}]}
    assert data["description"] == "numbers" and data["created_by"] == "alice"
    assert data["parameters"] == ["n", "lo"]  # folio extension
    tags = http.get(f"{WS}/commons/lambdas/ranged/tags").json()["data"]
    assert [(t["tag_name"], t["version"]["version"]) for t in tags] == [("latest", data["version"])]


def test_execute_by_tag_overrides_defaults_and_pages_to_the_end(http):
    version = _create(http).json()["data"]["version"]
    response = http.post(
        f"{WS}/commons/lambdas/ranged/tags/latest",
        json={
            "parameters": [{"name": "lo", "type": "int", "value": "3"}, {"name": "n", "value": "8"}],
            "max_initial_results": 2,
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert body["query_lambda_path"] == f"commons.ranged::{version}"
    assert body["results_total_doc_count"] == 5
    rows = [r["i"] for r in body["results"]]
    cursor = body["pagination"]["next_cursor"]
    while cursor:
        page = http.get(f"/v1/orgs/self/queries/{body['query_id']}/pages", params={"cursor": cursor, "docs": 2}).json()
        rows += [r["i"] for r in page["results"]]
        cursor = page["pagination"]["next_cursor"]
    assert rows == [3, 4, 5, 6, 7]
    listed = {q["query_id"]: q for q in http.get("/v1/orgs/self/queries").json()["data"]}
    assert listed[body["query_id"]]["query_lambda_path"] == f"commons.ranged::{version}"
    assert http.get(f"/v1/orgs/self/queries/{body['query_id']}").json()["data"]["query_lambda_path"]
    stats = http.get(f"{WS}/commons/lambdas/ranged/versions/{version}").json()["data"]["stats"]
    assert stats["last_executed_by"] == "alice"


def test_the_older_paginate_knobs_and_an_empty_body(http):
    _create(http, sql="SELECT i FROM range(:n) t(i) ORDER BY i")
    paged = http.post(
        f"{WS}/commons/lambdas/ranged/tags/latest", json={"paginate": True, "initial_paginate_response_doc_count": 4}
    ).json()
    assert len(paged["results"]) == 4 and paged["pagination"]["next_cursor"]
    # the Python client sends no body at all when no option is set: all rows, no pagination key
    whole = http.post(
        f"{WS}/commons/lambdas/ranged/tags/latest", content=b"", headers={"Content-Type": "application/json"}
    ).json()
    assert len(whole["results"]) == 10 and "pagination" not in whole


def test_async_execution_is_polled_and_paged_like_any_query(http):
    _create(http, sql="SELECT i FROM range(:n) t(i) ORDER BY i", defaults=[{"name": "n", "type": "int", "value": "30"}])
    body = http.post(f"{WS}/commons/lambdas/ranged/tags/latest", json={"async": True}).json()
    query_id = body["query_id"]
    assert body["query_lambda_path"].startswith("commons.ranged::")
    for _ in range(200):
        if http.get(f"/v1/orgs/self/queries/{query_id}").json()["data"]["status"] == "COMPLETED":
            break
    page = http.get(f"/v1/orgs/self/queries/{query_id}/pages", params={"docs": 100}).json()
    assert [r["i"] for r in page["results"]] == list(range(30))
    dropped = http.delete(f"/v1/orgs/self/queries/{query_id}")
    assert dropped.status_code == 200


def test_a_parameter_without_value_or_default_is_a_clear_400(http):
    _create(http)
    response = http.post(f"{WS}/commons/lambdas/ranged/tags/latest", json={})
    assert response.status_code == 400
    assert response.json()["type"] == "INVALIDINPUT"
    assert ":lo" in response.json()["message"] and ":n" not in response.json()["message"]
    bad_value = http.post(
        f"{WS}/commons/lambdas/ranged/tags/latest", json={"parameters": [{"name": "lo", "type": "int", "value": "x"}]}
    )
    assert bad_value.status_code == 400 and "'x'" in bad_value.json()["message"]


def test_sql_that_does_not_parse_is_refused_at_creation(http):
    response = _create(http, sql="SELECT i FROM range(3) t(i)\nWHERE AND i > 2")
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "INVALIDINPUT" and "does not parse" in body["message"] and body["line"] == 2
    two = _create(http, sql="SELECT 1; SELECT 2")
    assert two.status_code == 400 and "one SQL statement" in two.json()["message"]
    assert http.get("/v1/orgs/self/lambdas").json()["data"] == []


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"name": "x"}, "sql"),
        ({"name": "has space", "sql": {"query": "SELECT 1"}}, "invalid query lambda name"),
        (
            {
                "name": "p",
                "sql": {"query": "SELECT :a", "default_parameters": [{"name": "a", "type": "int", "value": "one"}]},
            },
            "'one'",
        ),
        (
            {"name": "p", "sql": {"query": "SELECT :a", "default_parameters": [{"name": "a", "value": None}]}},
            "no value",
        ),
    ],
)
def test_bad_create_requests_are_400(http, body, fragment):
    response = http.post(f"{WS}/commons/lambdas", json=body)
    assert response.status_code == 400
    assert fragment in response.json()["message"]


def test_versions_tags_and_deletes(http):
    first = _create(http).json()["data"]["version"]
    assert _create(http).status_code == 409
    update = http.post(
        f"{WS}/commons/lambdas/ranged/versions",
        json={"sql": {"query": "SELECT :n AS n", "default_parameters": [{"name": "n", "type": "int", "value": "1"}]}},
    )
    second = update.json()["data"]["version"]
    assert second != first
    only_description = http.post(f"{WS}/commons/lambdas/ranged/versions", json={"description": "same sql"})
    third = only_description.json()["data"]
    assert third["sql"]["query"] == "SELECT :n AS n"  # kept from the previous version
    versions = http.get(f"{WS}/commons/lambdas/ranged/versions").json()["data"]
    assert [v["version"] for v in versions] == [third["version"], second, first]
    summary = http.get("/v1/orgs/self/lambdas").json()["data"]
    assert summary[0]["version_count"] == 3 and summary[0]["latest_version"]["version"] == third["version"]

    tagged = http.post(f"{WS}/commons/lambdas/ranged/tags", json={"tag_name": "prod", "version": first})
    assert tagged.json()["data"]["version"]["version"] == first
    result = http.post(f"{WS}/commons/lambdas/ranged/tags/prod", json={"parameters": [{"name": "lo", "value": "8"}]})
    assert [r["i"] for r in result.json()["results"]] == [8, 9]
    by_version = http.post(f"{WS}/commons/lambdas/ranged/versions/{second}", json={})
    assert by_version.json()["results"] == [{"n": 1}]
    assert (
        http.post(f"{WS}/commons/lambdas/ranged/tags", json={"tag_name": "latest", "version": first}).status_code == 400
    )
    assert http.delete(f"{WS}/commons/lambdas/ranged/tags/latest").status_code == 400

    # deleting the newest version moves latest; deleting a tagged version drops its tag
    assert http.delete(f"{WS}/commons/lambdas/ranged/version/{third['version']}").status_code == 200
    latest = http.get(f"{WS}/commons/lambdas/ranged/tags/latest").json()["data"]["version"]["version"]
    assert latest == second
    http.delete(f"{WS}/commons/lambdas/ranged/version/{first}")
    assert http.get(f"{WS}/commons/lambdas/ranged/tags/prod").status_code == 404
    assert http.get(f"{WS}/commons/lambdas/ranged/versions/{first}").status_code == 404
    deleted = http.delete(f"{WS}/commons/lambdas/ranged")
    assert deleted.json()["data"]["name"] == "ranged" and deleted.json()["data"]["latest_version"]["version"] == second
    for path in ("/versions", "/tags", "/tags/latest"):
        assert http.get(f"{WS}/commons/lambdas/ranged{path}").status_code == 404
    gone = http.post(f"{WS}/commons/lambdas/ranged/tags/latest", json={})
    assert gone.status_code == 404 and gone.json()["type"] == "NOTFOUND"


def test_update_creates_only_when_asked(http):
    body = {"sql": {"query": "SELECT 1 AS one"}}
    missing = http.post(f"{WS}/commons/lambdas/fresh/versions", json=body)
    assert missing.status_code == 404
    for flag in ("True", "true"):  # what Python and JS send
        made = http.post(f"{WS}/commons/lambdas/fresh{flag}/versions", params={"create": flag}, json=body)
        assert made.status_code == 200 and made.json()["data"]["name"] == f"fresh{flag}"


def test_workspaces_commons_exists_others_are_made_by_their_first_lambda(http):
    assert http.get(f"{WS}/commons/lambdas").json() == {"data": []}
    assert http.get(f"{WS}/reports/lambdas").status_code == 404
    _create(http, name="daily", workspace="reports")
    _create(http, name="other")
    assert [q["name"] for q in http.get(f"{WS}/reports/lambdas").json()["data"]] == ["daily"]
    assert [(q["workspace"], q["name"]) for q in http.get("/v1/orgs/self/lambdas").json()["data"]] == [
        ("commons", "other"),
        ("reports", "daily"),
    ]
    path = http.post(f"{WS}/reports/lambdas/daily/tags/latest", json={"parameters": [{"name": "lo", "value": "9"}]})
    assert path.json()["query_lambda_path"].startswith("reports.daily::")
    http.delete(f"{WS}/reports/lambdas/daily")
    assert http.get(f"{WS}/reports/lambdas").json() == {"data": []}  # the workspace stays


def test_another_orgs_lambda_is_not_found(live_service, http):
    version = _create(http).json()["data"]["version"]
    headers = {"Authorization": f"ApiKey {live_service.other_key}"}
    with httpx.Client(base_url=live_service.base_url, headers=headers) as other:
        assert other.get("/v1/orgs/self/lambdas").json() == {"data": []}
        for method, path in (
            ("GET", "/versions"),
            ("GET", f"/versions/{version}"),
            ("POST", f"/versions/{version}"),
            ("POST", "/tags/latest"),
            ("DELETE", ""),
        ):
            response = other.request(
                method, f"{WS}/commons/lambdas/ranged{path}", json={} if method == "POST" else None
            )
            assert response.status_code == 404, (method, path)
        # the same name in another org is another lambda
        assert _create(other).status_code == 200
    assert http.get(f"{WS}/commons/lambdas/ranged/versions").json()["data"][0]["version"] == version


def test_lambdas_survive_a_restart(tmp_path):
    store = tmp_path / "store"

    def serve():
        return serve_in_thread(create_app(make_settings(store), DuckDBEngine(), make_keyring()))

    headers = {"Authorization": f"ApiKey {API_KEY}"}
    with serve() as url, httpx.Client(base_url=url, headers=headers) as http:
        version = _create(http, workspace="kept").json()["data"]["version"]
    with serve() as url, httpx.Client(base_url=url, headers=headers) as http:
        listed = http.get("/v1/orgs/self/lambdas").json()["data"]
        assert [(q["workspace"], q["latest_version"]["version"]) for q in listed] == [("kept", version)]
        result = http.post(f"{WS}/kept/lambdas/ranged/tags/latest", json={"parameters": [{"name": "lo", "value": "7"}]})
        assert [r["i"] for r in result.json()["results"]] == [7, 8, 9]


def test_a_registry_from_before_lambdas_keeps_working(tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    old = sqlite3.connect(store / "registry.sqlite3")
    old.executescript(
        """CREATE TABLE queries (query_id TEXT PRIMARY KEY, org TEXT NOT NULL, executed_by TEXT NOT NULL,
        sql TEXT NOT NULL, status TEXT NOT NULL, directory TEXT NOT NULL, submitted_at REAL NOT NULL,
        started_at REAL, finished_at REAL, expires_at REAL, row_count INTEGER, byte_size INTEGER,
        file_count INTEGER, elapsed_ms INTEGER, error TEXT, columns TEXT);
        INSERT INTO queries (query_id, org, executed_by, sql, status, directory, submitted_at, error)
        VALUES ('old:1234567:0', 'org-a', 'alice', 'SELECT 1', 'ERROR', 'gone', 1e9, '{"message": "old"}');"""
    )
    old.close()
    app = create_app(make_settings(store), DuckDBEngine(), make_keyring())
    with (
        serve_in_thread(app) as url,
        httpx.Client(base_url=url, headers={"Authorization": f"ApiKey {API_KEY}"}) as http,
    ):
        info = http.get("/v1/orgs/self/queries/old:1234567:0").json()["data"]
        assert info["status"] == "ERROR" and info["query_lambda_path"] is None
        _create(http)
        result = http.post(
            f"{WS}/commons/lambdas/ranged/tags/latest", json={"parameters": [{"name": "lo", "value": "9"}]}
        )
        assert result.json()["results"] == [{"i": 9}]


def test_an_execution_can_be_cancelled_and_expires_like_any_query(service_factory, clock):
    live = service_factory(clock=clock)
    with live.client() as http:
        slow = "SELECT count(*) AS n FROM range(:n)"
        _create(http, name="slow", sql=slow, defaults=[{"name": "n", "type": "int", "value": "100000000000"}])
        running = http.post(f"{WS}/commons/lambdas/slow/tags/latest", json={"async": True}).json()
        query_id = running["query_id"]
        cancelled = http.delete(f"/v1/orgs/self/queries/{query_id}").json()["data"]
        assert cancelled["status"] == "CANCELLED" and cancelled["query_lambda_path"].startswith("commons.slow::")

        quick = http.post(f"{WS}/commons/lambdas/slow/tags/latest", json={"parameters": [{"name": "n", "value": "5"}]})
        quick_id = quick.json()["query_id"]
        assert http.get(f"/v1/orgs/self/queries/{quick_id}/pages").json()["results"] == [{"n": 5}]
        clock.advance(hours=25)
        assert http.get(f"/v1/orgs/self/queries/{quick_id}/pages").status_code == 410
        # the lambda itself never expires
        assert http.get(f"{WS}/commons/lambdas/slow/versions").status_code == 200
