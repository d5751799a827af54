"""``POST /queries/{id}/profile`` and ``/frequency``: derived queries over every stored type."""

from __future__ import annotations

import pytest

from tests.server.test_explore import all_rows, run, wait_done
from tests.server.test_queries import Q, q

# 40 rows; every third value of ``n`` is NULL; one column of every kind the store holds
TYPES = """
SELECT i,
       CASE WHEN i % 3 = 0 THEN NULL ELSE i END AS n,
       i * 0.25::DOUBLE AS d,
       (i * 1.25)::DECIMAL(10, 2) AS dec,
       CASE WHEN i % 4 = 0 THEN 'ünï ☃' ELSE 'plain' END AS s,
       i % 2 = 0 AS b,
       TIMESTAMP '2026-01-01 00:00:00' + INTERVAL (i) DAY AS ts,
       DATE '2026-01-01' + (i * 5)::INTEGER AS dt,
       TIMESTAMPTZ '2026-01-01 00:00:00+00' + INTERVAL (i) MINUTE AS tz,
       [i % 2, NULL] AS l,
       {'k': i % 2, 'v': 'x'} AS st,
       map([i % 2], ['v']) AS m,
       '\\xAA'::BLOB AS bl,
       INTERVAL (i % 2) HOUR AS iv,
       NULL AS nothing
FROM range(40) t(i)
"""
COLUMNS = ["i", "n", "d", "dec", "s", "b", "ts", "dt", "tz", "l", "st", "m", "bl", "iv", "nothing"]


@pytest.fixture
def svc(service_factory):
    return service_factory(chunk_rows=7)


@pytest.fixture
def parent(svc) -> str:
    with svc.client() as http:
        return run(http, TYPES, max_initial_results=1)["query_id"]


def derived_rows(http, r) -> tuple[str, list[dict]]:
    assert r.status_code == 200, r.text
    query_id = r.json()["query_id"]
    info = wait_done(http, query_id)
    assert info["status"] == "COMPLETED", info
    return query_id, all_rows(http, query_id)


def test_profile_has_a_row_per_column_of_every_type(svc, parent):
    with svc.client() as http:
        query_id, rows = derived_rows(http, http.post(q(parent) + "/profile", json={}))
        info = http.get(q(query_id)).json()["data"]
        fields = http.get(q(query_id) + "/pages", params={"docs": 1}).json()["column_fields"]
    assert info["derived_from"] == parent
    assert [f["name"] for f in fields] == [
        "column", "type", "count", "nulls", "distinct_approx", "min", "max", "mean", "p25", "p50", "p75"
    ]  # fmt: skip
    assert [f["type"] for f in fields][:5] == ["VARCHAR", "VARCHAR", "BIGINT", "BIGINT", "BIGINT"]
    by = {row["column"]: row for row in rows}
    assert [row["column"] for row in rows] == COLUMNS
    assert by["i"] | {"distinct_approx": None} == {
        "column": "i", "type": "BIGINT", "count": 40, "nulls": 0, "distinct_approx": None,
        "min": "0", "max": "39", "mean": 19.5, "p25": by["i"]["p25"], "p50": by["i"]["p50"], "p75": by["i"]["p75"],
    }  # fmt: skip
    assert 35 <= by["i"]["distinct_approx"] <= 45  # approximate (HyperLogLog)
    assert 5 <= int(by["i"]["p25"]) <= 15 and 15 <= int(by["i"]["p50"]) <= 25 and 25 <= int(by["i"]["p75"]) <= 35
    assert (by["n"]["count"], by["n"]["nulls"]) == (26, 14)
    assert by["d"]["mean"] == pytest.approx(4.875) and by["d"]["max"] == "9.75"
    assert by["dec"]["type"] == "DECIMAL(10,2)" and by["dec"]["min"] == "0.00" and by["dec"]["max"] == "48.75"
    assert (by["s"]["min"], by["s"]["max"], by["s"]["distinct_approx"]) == ("plain", "ünï ☃", 2)
    assert by["s"]["mean"] is None and by["s"]["p50"] is None  # quantiles only for numbers
    assert (by["b"]["min"], by["b"]["max"]) == ("false", "true")
    assert (by["ts"]["min"], by["ts"]["max"]) == ("2026-01-01 00:00:00", "2026-02-09 00:00:00")
    assert by["ts"]["p50"] is None
    assert by["dt"]["min"] == "2026-01-01"
    assert by["tz"]["min"].startswith("2026-01-01 00:00:00")
    assert (by["l"]["min"], by["st"]["max"], by["m"]["min"]) == (None, None, None)  # nested: no min/max
    assert (by["l"]["count"], by["st"]["distinct_approx"]) == (40, 2)
    assert by["m"]["count"] == 40
    assert by["bl"]["count"] == 40 and by["bl"]["distinct_approx"] == 1
    assert by["iv"]["count"] == 40
    assert by["nothing"] | {"type": None} == {
        "column": "nothing", "type": None, "count": 0, "nulls": 40, "distinct_approx": 0,
        "min": None, "max": None, "mean": None, "p25": None, "p50": None, "p75": None,
    }  # fmt: skip


def frequency(http, parent: str, column: str) -> list[dict]:
    return derived_rows(http, http.post(q(parent) + "/frequency", json={"column": column}))[1]


def test_frequency_of_strings_is_by_count_with_percent(svc, parent):
    with svc.client() as http:
        assert frequency(http, parent, "s") == [
            {"value": "plain", "count": 30, "percent": 75.0, "low": None, "high": None},
            {"value": "ünï ☃", "count": 10, "percent": 25.0, "low": None, "high": None},
        ]
        assert [(r["value"], r["count"]) for r in frequency(http, parent, "b")] == [("false", 20), ("true", 20)]
        assert frequency(http, parent, "nothing") == [
            {"value": None, "count": 40, "percent": 100.0, "low": None, "high": None}
        ]


def test_frequency_of_numbers_is_binned_with_round_bounds(svc, parent):
    with svc.client() as http:
        rows = frequency(http, parent, "n")
        binned = [r for r in rows if r["low"] is not None]
        assert [(r["value"], r["low"], r["high"]) for r in binned[:2]] == [("[0, 2)", "0", "2"), ("[2, 4)", "2", "4")]
        assert rows[-1] == {"value": None, "count": 14, "percent": 35.0, "low": None, "high": None}  # NULL last
        assert sum(r["count"] for r in rows) == 40
        rows = frequency(http, parent, "d")
        assert rows[0]["value"] == "[0.0, 0.5)" and rows[0]["count"] == 2
        assert sum(r["percent"] for r in rows) == pytest.approx(100.0)
        rows = frequency(http, parent, "dec")
        assert (rows[0]["low"], rows[0]["high"]) == ("0", "5")
        # the bounds are SQL: filtering the parent by a bin counts what the bin says
        bin_ = rows[3]
        sql = f"SELECT count(*) AS c FROM result('{parent}') WHERE dec >= {bin_['low']} AND dec < {bin_['high']}"
        assert run(http, sql)["results"] == [{"c": bin_["count"]}]


def test_frequency_of_times_is_binned_by_a_calendar_unit(svc, parent):
    with svc.client() as http:
        rows = frequency(http, parent, "ts")  # 40 days: one bin a day
        assert len(rows) == 40
        assert rows[0] == {
            "value": "2026-01-01",
            "count": 1,
            "percent": 2.5,
            "low": "TIMESTAMP '2026-01-01 00:00:00'",
            "high": "TIMESTAMP '2026-01-02 00:00:00'",
        }
        rows = frequency(http, parent, "dt")  # 40 × 5 days: months
        assert rows[0]["value"] == "2026-01" and rows[0]["low"] == "DATE '2026-01-01'"
        assert rows[0]["high"] == "DATE '2026-02-01'"
        rows = frequency(http, parent, "tz")  # 40 minutes: one bin a minute
        assert rows[0]["low"].startswith("TIMESTAMPTZ '2026-01-01 00:00:00")
        for row in rows[:3]:
            sql = f"SELECT count(*) AS c FROM result('{parent}') WHERE tz >= {row['low']} AND tz < {row['high']}"
            assert run(http, sql)["results"] == [{"c": row["count"]}]


@pytest.mark.parametrize("column", ["l", "st", "m", "bl", "iv", "i"])
def test_frequency_of_every_other_type(svc, parent, column):
    with svc.client() as http:
        rows = frequency(http, parent, column)
    assert sum(r["count"] for r in rows) == 40
    assert rows  # nested values read as JSON, blobs and intervals as DuckDB writes them


def test_nested_frequency_values_are_json(svc, parent):
    with svc.client() as http:
        values = {r["value"] for r in frequency(http, parent, "st")}
    assert values == {'{"k":0,"v":"x"}', '{"k":1,"v":"x"}'}


def test_profile_and_frequency_errors(svc, parent):
    with svc.client() as http:
        r = http.post(q(parent) + "/frequency", json={"column": "no_such"})
        assert r.status_code == 400 and "no_such" in r.json()["message"]
        assert http.post(q(parent) + "/frequency", json={}).status_code == 400
        assert http.post(q("unknown:x:0") + "/profile", json={}).status_code == 404
        assert http.post(q("unknown:x:0") + "/frequency", json={"column": "i"}).status_code == 404
        other = http.post(Q, json={"sql": {"query": "SELECT 1 AS x"}, "max_initial_results": 1}).json()["query_id"]
        http.headers["Authorization"] = f"ApiKey {svc.other_key}"
        assert http.post(q(parent) + "/profile", json={}).status_code == 404
        http.headers["Authorization"] = f"ApiKey {svc.api_key}"
        assert http.post(q(other) + "/profile").status_code == 200  # the body is optional
