"""Values the service used to get wrong, end to end: repeated column names in every response
form (issue 10, defect 7). The value renderings themselves are in tests/store/test_jsonrows.py."""

from __future__ import annotations

import io

import pyarrow as pa

from tests.server.test_queries import Q, q

REPEATED = "SELECT i AS a, i * 10 AS a, i * 100 AS a FROM range(1, 4) t(i)"


def test_repeated_column_names_are_made_unique_in_every_response(live_service):
    with live_service.client() as http:
        body = http.post(Q, json={"sql": {"query": REPEATED}, "max_initial_results": 2}).json()
        names = ["a", "a_1", "a_2"]
        assert [c["name"] for c in body["column_fields"]] == names
        assert body["results"] == [{"a": 1, "a_1": 10, "a_2": 100}, {"a": 2, "a_1": 20, "a_2": 200}]
        page = http.get(f"{q(body['query_id'])}/pages", params={"offset": 2}).json()
        assert page["results"] == [{"a": 3, "a_1": 30, "a_2": 300}]
        assert [c["name"] for c in page["column_fields"]] == names
        arrow = http.get(f"{q(body['query_id'])}/pages", headers={"Accept": "application/vnd.apache.arrow.stream"})
        table = pa.ipc.open_stream(io.BytesIO(arrow.content)).read_all()
        assert table.schema.names == names
        assert table.to_pylist()[0] == {"a": 1, "a_1": 10, "a_2": 100}


def test_non_finite_floats_and_map_keys_page_as_json(live_service):
    sql = "SELECT 'nan'::DOUBLE AS n, 'inf'::DOUBLE AS i, NULL::DOUBLE AS z, MAP {[1]: 'x'} AS m"
    with live_service.client() as http:
        body = http.post(Q, json={"sql": {"query": sql}, "max_initial_results": 1})
        assert body.status_code == 200
        assert body.json()["results"] == [{"n": "NaN", "i": "Infinity", "z": None, "m": {"[1]": "x"}}]
        page = http.get(f"{q(body.json()['query_id'])}/pages")
        assert page.status_code == 200
        assert page.json()["results"] == body.json()["results"]
