"""SQL over stored results: ``result('<id>')`` and ``result_rows('<id>')``, over real HTTP.

The parent results are stored in many small chunks (``chunk_rows=7``) so every query here
crosses chunk boundaries.
"""

from __future__ import annotations

import time
from enum import Enum

import httpx
import pytest

from tests.conftest import FakeClock
from tests.server.test_queries import Q, q

PARENT_SQL = "SELECT i, 'name ' || i AS name, i % 3 = 0 AS flag, [i, i + 1] AS pair FROM range(50) t(i)"


def run(http, sql: str, **body) -> dict:
    r = http.post(Q, json={"sql": {"query": sql}, **body})
    assert r.status_code == 200, r.text
    return r.json()


def wait_done(http, query_id: str) -> dict:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        info = http.get(q(query_id)).json()["data"]
        if info["status"] not in ("QUEUED", "RUNNING"):
            return info
        time.sleep(0.02)
    raise AssertionError("query did not finish")


def all_rows(http, query_id: str) -> list[dict]:
    return http.get(q(query_id) + "/pages", params={"docs": 10_000}).json()["results"]


@pytest.fixture
def svc(service_factory):
    return service_factory(chunk_rows=7)


@pytest.fixture
def parent(svc) -> str:
    with svc.client() as http:
        return run(http, PARENT_SQL, max_initial_results=5)["query_id"]


def test_result_reads_the_parent_rows_in_order(svc, parent):
    with svc.client() as http:
        body = run(http, f"SELECT * FROM result('{parent}')")
        assert [f["name"] for f in body["column_fields"]] == ["i", "name", "flag", "pair"]
        assert body["results"] == [
            {"i": i, "name": f"name {i}", "flag": i % 3 == 0, "pair": [i, i + 1]} for i in range(50)
        ]


def test_result_rows_numbers_rows_across_chunks(svc, parent):
    with svc.client() as http:
        body = run(http, f"SELECT folio_row, i FROM result_rows('{parent}') WHERE i % 6 = 5 ORDER BY folio_row")
        assert body["results"] == [{"folio_row": i, "i": i} for i in range(5, 50, 6)]
        # a sorted derived result keeps the way back to the parent's rows
        body = run(http, f"SELECT * FROM result_rows('{parent}') ORDER BY i DESC LIMIT 3")
        assert [f["name"] for f in body["column_fields"]] == ["folio_row", "i", "name", "flag", "pair"]
        assert [(r["folio_row"], r["i"]) for r in body["results"]] == [(49, 49), (48, 48), (47, 47)]


def test_a_derived_query_is_an_ordinary_query_that_records_its_parent(svc, parent):
    with svc.client() as http:
        body = run(http, f"SELECT i FROM result('{parent}') WHERE flag", max_initial_results=4)
        derived = body["query_id"]
        assert body["results_total_doc_count"] == 17
        page = http.get(q(derived) + "/pages", params={"cursor": body["pagination"]["next_cursor"], "docs": 4})
        assert [r["i"] for r in page.json()["results"]] == [12, 15, 18, 21]
        info = http.get(q(derived)).json()["data"]
        assert info["derived_from"] == parent
        assert http.get(q(parent)).json()["data"]["derived_from"] is None
        listed = {item["query_id"]: item["derived_from"] for item in http.get(Q).json()["data"]}
        assert listed[derived] == parent
        # a derived result of a derived result: its parent is the one it reads
        grandchild = run(http, f"SELECT count(*) AS n FROM result('{derived}')")
        assert grandchild["results"] == [{"n": 17}]
        assert http.get(q(grandchild["query_id"])).json()["data"]["derived_from"] == derived


def test_a_derived_result_is_self_contained(svc, parent):
    with svc.client() as http:
        derived = run(http, f"SELECT i FROM result('{parent}') WHERE i < 3", max_initial_results=1)["query_id"]
        assert http.delete(q(parent)).status_code == 200  # drop the parent's result
        assert [r["i"] for r in all_rows(http, derived)] == [0, 1, 2]


def test_async_derived_query_and_joining_two_results(svc, parent):
    with svc.client() as http:
        other = run(http, "SELECT i, i * 10 AS tens FROM range(0, 50, 10) t(i)", max_initial_results=1)["query_id"]
        sql = f"SELECT a.i, b.tens FROM result('{parent}') a JOIN result('{other}') b USING (i) ORDER BY a.i"
        body = http.post(Q, json={"sql": {"query": sql}, "async": True}).json()
        assert wait_done(http, body["query_id"])["status"] == "COMPLETED"
        assert all_rows(http, body["query_id"]) == [{"i": i, "tens": i * 10} for i in range(0, 50, 10)]


def test_parameters_work_in_derived_queries(svc, parent):
    with svc.client() as http:
        r = http.post(
            Q,
            json={
                "sql": {
                    "query": f"SELECT i FROM result('{parent}') WHERE i > :low ORDER BY i LIMIT 2",
                    "parameters": [{"name": "low", "type": "int", "value": "40"}],
                }
            },
        )
        assert r.status_code == 200, r.text
        assert r.json()["results"] == [{"i": 41}, {"i": 42}]


def test_strings_and_comments_that_look_like_calls_are_left_alone(svc, parent):
    with svc.client() as http:
        sql = f"SELECT 'result(''{parent}'')' AS s, count(*) AS n FROM result('{parent}') -- result('nope')"
        assert run(http, sql)["results"] == [{"s": f"result('{parent}')", "n": 50}]


def test_unknown_other_org_and_expired_ids_are_the_same_not_found(service_factory):
    clock = FakeClock()
    svc = service_factory(clock=clock, chunk_rows=7)
    other_client = httpx.Client(base_url=svc.base_url, headers={"Authorization": f"ApiKey {svc.other_key}"})
    with svc.client() as http, other_client as other:
        mine = run(http, PARENT_SQL, max_initial_results=1)["query_id"]
        theirs = run(other, "SELECT 1 AS x", max_initial_results=1)["query_id"]
        failed = http.post(Q, json={"sql": {"query": "SELECT nosuch"}}).json()["query_id"]
        answers = {}
        for name, query_id in [("unknown", "no-such-query:abc:0"), ("other org", theirs), ("failed", failed)]:
            r = http.post(Q, json={"sql": {"query": f"SELECT * FROM result('{query_id}')"}})
            answers[name] = (r.status_code, r.json()["type"], r.json()["message"].replace(query_id, "ID"))
        clock.advance(days=2)  # past the 24 h expiry
        r = http.post(Q, json={"sql": {"query": f"SELECT * FROM result_rows('{mine}')"}})
        answers["expired"] = (r.status_code, r.json()["type"], r.json()["message"].replace(mine, "ID"))
    assert len(set(answers.values())) == 1, answers
    status, type_, _ = answers["unknown"]
    assert (status, type_) == (404, "NOTFOUND")


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT * FROM result('{p}', 2)", "query id as a string literal"),
        ("CREATE TABLE t AS SELECT * FROM result('{p}')", "only read"),
        ("SELECT 1; SELECT * FROM result('{p}')", "exactly one statement"),
    ],
)
def test_malformed_or_writing_derived_queries_are_400(svc, parent, sql, message):
    with svc.client() as http:
        r = http.post(Q, json={"sql": {"query": sql.format(p=parent)}})
    assert r.status_code == 400, r.text
    assert r.json()["type"] == "INVALIDINPUT"
    assert message in r.json()["message"]


def test_names_that_are_not_calls_are_left_alone(svc, parent):
    with svc.client() as http:
        sql = "WITH result(a) AS (SELECT 1) SELECT r.* FROM result, (SELECT 2) AS result_rows(b), (SELECT 3) r(c)"
        assert run(http, sql)["results"] == [{"c": 3}]
        r = http.post(Q, json={"sql": {"query": "SELECT * FROM result(1)"}})  # the source's error
        assert r.status_code == 400 and r.json()["type"] == "QUERY_ERROR"


def test_sql_errors_in_derived_queries_are_query_errors(svc, parent):
    with svc.client() as http:
        r = http.post(Q, json={"sql": {"query": f"SELECT nosuch FROM result('{parent}')"}})
    assert r.status_code == 400
    assert r.json()["type"] == "QUERY_ERROR"
    assert "nosuch" in r.json()["message"]


def test_derived_queries_cannot_read_files(svc, parent, tmp_path):
    secret = tmp_path / "secret.csv"
    secret.write_text("a\n1\n")
    with svc.client() as http:
        r = http.post(Q, json={"sql": {"query": f"SELECT * FROM result('{parent}'), read_csv('{secret}')"}})
    assert r.status_code == 400, r.text
    assert r.json()["type"] == "QUERY_ERROR"
    assert "disabled by configuration" in r.json()["message"]


def test_an_empty_parent(svc):
    with svc.client() as http:
        empty = run(http, "SELECT i FROM range(0) t(i)", max_initial_results=1)["query_id"]
        assert run(http, f"SELECT * FROM result_rows('{empty}')")["results"] == []
        assert run(http, f"SELECT count(*) AS n FROM result('{empty}')")["results"] == [{"n": 0}]


def test_the_official_rockset_client_pages_a_derived_query(svc, parent):
    rockset = pytest.importorskip("rockset")
    from rockset.models import QueryRequestSql

    host = Enum("Host", {"local": svc.base_url}, type=str).local
    client = rockset.RocksetClient(host=host, api_key=svc.api_key)
    r = client.Queries.query(
        sql=QueryRequestSql(query=f"SELECT folio_row, name FROM result_rows('{parent}') WHERE NOT flag"),
        max_initial_results=10,
    )
    assert r.results_total_doc_count == 33
    rows = [row for page in rockset.QueryPaginator(client, r) for row in page]
    assert [row["folio_row"] for row in rows] == [i for i in range(50) if i % 3]
    assert rows[0]["name"] == "name 1"


def test_a_running_derived_query_is_cancelled(svc, parent):
    with svc.client() as http:
        sql = f"SELECT count(*) FROM result('{parent}') a, range(100000000000) t(x) WHERE x + a.i < 0"
        body = http.post(Q, json={"sql": {"query": sql}, "async": True}).json()
        assert body["status"] in ("QUEUED", "RUNNING")
        assert http.delete(q(body["query_id"])).json()["data"]["status"] == "CANCELLED"
        assert wait_done(http, body["query_id"])["status"] == "CANCELLED"


def test_results_join_the_tables_of_a_duckdb_database_source(service_factory, tmp_path):
    import duckdb

    from tui.engines.duckdb import DuckDBEngine

    path = tmp_path / "shop.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE labels AS SELECT i, 'label ' || i AS label FROM range(10) t(i)")
    svc = service_factory(engine=DuckDBEngine(path), chunk_rows=3)
    with svc.client() as http:
        parent = run(http, "SELECT i FROM labels WHERE i % 2 = 1", max_initial_results=1)["query_id"]
        body = run(http, f"SELECT r.i, l.label FROM result('{parent}') r JOIN labels l USING (i) ORDER BY i")
        assert body["results"] == [{"i": i, "label": f"label {i}"} for i in (1, 3, 5, 7, 9)]
        # still only reading: the attached source is read-only and writes are refused before
        r = http.post(Q, json={"sql": {"query": f"INSERT INTO labels SELECT i, 'x' FROM result('{parent}')"}})
        assert r.status_code == 400


HUGE_MAX = 2**127 - 1
HUGE_MIN = -(2**127)
UHUGE_MAX = 2**128 - 1
WIDE_SQL = f"""
SELECT * FROM (VALUES
    (1, {HUGE_MAX}::HUGEINT, {UHUGE_MAX}::UHUGEINT),
    (2, (-{HUGE_MAX})::HUGEINT - 1, 0::UHUGEINT),
    (3, 5::HUGEINT, NULL::UHUGEINT)) t(k, "h""uge", u)"""


def test_128_bit_integers_read_back_exactly_and_the_engine_survives_them(svc):
    """A HUGEINT beyond 38 digits is stored as a DECIMAL(38,0) DuckDB cannot read back: casting
    it to text invalidated the derived engine for every org, and a UHUGEINT could not be read."""
    with svc.client() as http:
        parent = run(http, WIDE_SQL)["query_id"]
        body = run(
            http,
            f"""SELECT k, "h""uge"::VARCHAR AS h, u::VARCHAR AS u, typeof("h""uge") AS ht, typeof(u) AS ut
                             FROM result('{parent}') ORDER BY k""",
        )
        assert body["results"] == [
            {"k": 1, "h": str(HUGE_MAX), "u": str(UHUGE_MAX), "ht": "HUGEINT", "ut": "UHUGEINT"},
            {"k": 2, "h": str(HUGE_MIN), "u": "0", "ht": "HUGEINT", "ut": "UHUGEINT"},
            {"k": 3, "h": "5", "u": None, "ht": "HUGEINT", "ut": "UHUGEINT"},
        ]
        # a filter on either end, written as the app writes it (a plain literal, or a cast)
        for value, k in ((str(HUGE_MAX), 1), (f"CAST('{HUGE_MIN}' AS HUGEINT)", 2)):
            body = run(http, f"""SELECT folio_row, k FROM result_rows('{parent}') WHERE ("h""uge" = {value})""")
            assert body["results"] == [{"folio_row": k - 1, "k": k}]
        body = run(http, f"SELECT k FROM result('{parent}') WHERE u = {UHUGE_MAX}")
        assert body["results"] == [{"k": 1}]
        profile = http.post(q(parent) + "/profile")
        assert profile.status_code == 200, profile.text
        frequency = http.post(q(parent) + "/frequency", json={"column": 'h"uge'})
        assert frequency.status_code == 200, frequency.text
        # and the engine still answers
        assert run(http, f"SELECT count(*) AS n FROM result('{parent}')")["results"] == [{"n": 3}]
