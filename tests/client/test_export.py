"""Export round trips through the real service: every row, in order, for each format, with a
result several pages long; the JSON fallback for servers without Arrow; failures leave no file."""

from __future__ import annotations

import csv
import json
from datetime import datetime

import duckdb
import httpx
import pyarrow.parquet as pq
import pytest

from tui.client import QueryClient, QueryError, ServerError
from tui.client.export import ExportError, export_query
from tui.client.writers import ExportFormat

N = 12_345
SQL = f"""
SELECT i,
       'row ' || i::VARCHAR AS s,
       CASE WHEN i % 3 = 0 THEN NULL ELSE i / 4 END AS f,
       i % 2 = 0 AS b,
       TIMESTAMP '2026-01-01 00:00:00' + to_milliseconds(i) AS ts,
       {{'k': i % 5, 'tag': 'x' || (i % 2)::VARCHAR}} AS st,
       CASE WHEN i % 4 = 0 THEN [] ELSE [i, i + 1] END AS l
FROM range({N}) t(i) ORDER BY i
"""


def expected_table():
    return duckdb.sql(SQL).to_arrow_table()


@pytest.fixture
async def stored(client):
    result = await client.run(SQL, initial_docs=0)
    return client, result.query_id


async def test_parquet_keeps_every_row_in_order_with_engine_types(stored, tmp_path):
    client, query_id = stored
    pages = []
    stats = await export_query(
        client,
        query_id,
        tmp_path / "out.parquet",
        ExportFormat.PARQUET,
        docs=1_000,
        progress=lambda rows, total: pages.append((rows, total)),
    )
    assert stats.rows == N and stats.arrow
    assert pages[-1] == (N, N) and len(pages) == 13
    table = pq.read_table(tmp_path / "out.parquet")
    expected = expected_table()
    assert table.column_names == expected.column_names
    assert [f.type for f in table.schema] == [f.type for f in expected.schema]
    assert table.to_pylist() == expected.to_pylist()
    assert table.schema.field("st").metadata[b"folio.type"].startswith(b"STRUCT")
    assert pq.ParquetFile(tmp_path / "out.parquet").metadata.num_row_groups == 13  # one per page: bounded memory


async def test_csv_has_every_row_with_nested_values_as_json(stored, tmp_path):
    client, query_id = stored
    stats = await export_query(client, query_id, tmp_path / "out.csv", ExportFormat.CSV, docs=1_000)
    assert stats.rows == N
    with open(tmp_path / "out.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == N
    assert [int(r["i"]) for r in rows] == list(range(N))
    assert rows[0]["f"] == "" and float(rows[1]["f"]) == 0.25
    assert rows[2]["b"] == "true" and rows[3]["b"] == "false"
    assert json.loads(rows[7]["st"]) == {"k": 2, "tag": "x1"}
    assert json.loads(rows[4]["l"]) == [] and json.loads(rows[5]["l"]) == [5, 6]
    assert datetime.fromisoformat(rows[1500]["ts"]) == datetime(2026, 1, 1, 0, 0, 1, 500_000)


async def test_jsonl_lines_are_the_api_documents(stored, tmp_path):
    client, query_id = stored
    stats = await export_query(client, query_id, tmp_path / "out.jsonl", ExportFormat.JSONL, docs=1_000)
    assert stats.rows == N and not stats.arrow
    lines = (tmp_path / "out.jsonl").read_text().splitlines()
    assert len(lines) == N
    api = await client.page(query_id, offset=0, docs=N)
    assert [json.loads(line) for line in lines] == api.rows


async def test_a_running_query_is_followed_to_its_end(client, tmp_path):
    result = await client.run("SELECT i FROM range(300000) t(i) ORDER BY i", async_=True, initial_docs=0)
    stats = await export_query(client, result.query_id, tmp_path / "out.parquet", ExportFormat.PARQUET, docs=50_000)
    assert stats.rows == 300_000
    assert pq.read_table(tmp_path / "out.parquet").column("i").to_pylist() == list(range(300_000))


class NoArrow:
    """The service as a server without folio's Arrow extension would be: JSON whatever is asked."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            headers = [(k, b"application/json" if k == b"accept" else v) for k, v in scope["headers"]]
            scope = {**scope, "headers": headers}
        await self.app(scope, receive, send)


@pytest.mark.parametrize("fmt", [ExportFormat.PARQUET, ExportFormat.CSV])
async def test_json_fallback_for_servers_without_arrow(embedded_service, tmp_path, fmt):
    transport = httpx.ASGITransport(app=NoArrow(embedded_service.app))
    async with QueryClient(embedded_service.base_url, embedded_service.api_key, transport=transport) as client:
        result = await client.run(SQL, initial_docs=0)
        path = tmp_path / f"out.{fmt.value}"
        stats = await export_query(client, result.query_id, path, fmt, docs=1_000)
    assert stats.rows == N and not stats.arrow
    if fmt is ExportFormat.PARQUET:
        table = pq.read_table(path)
        assert table.column("i").to_pylist() == list(range(N))
        assert table.column("st").to_pylist()[7] == {"k": 2, "tag": "x1"}
        assert table.column("f").to_pylist()[:3] == [None, 0.25, 0.5]
    else:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
        assert [int(r["i"]) for r in rows] == list(range(N))
        assert json.loads(rows[7]["st"]) == {"k": 2, "tag": "x1"} and rows[2]["b"] == "true" and rows[0]["f"] == ""


@pytest.mark.parametrize("fmt", list(ExportFormat))
async def test_empty_result_still_has_its_columns(client, tmp_path, fmt):
    result = await client.run("SELECT 1 AS a, 'x' AS b WHERE false", initial_docs=0)
    path = tmp_path / f"out.{fmt.value}"
    stats = await export_query(client, result.query_id, path, fmt)
    assert stats.rows == 0
    if fmt is ExportFormat.CSV:
        assert path.read_text().strip().replace('"', "") == "a,b"
    elif fmt is ExportFormat.PARQUET:
        assert pq.read_table(path).column_names == ["a", "b"]
    else:
        assert path.read_bytes() == b""


async def test_a_query_failing_midway_leaves_the_old_file_and_no_temporary(client, tmp_path):
    (tmp_path / "exports").mkdir()
    target = tmp_path / "exports" / "out.csv"
    target.write_text("previous export\n")
    sql = "SELECT CASE WHEN i < 250000 THEN i ELSE error('boom at ' || i::VARCHAR) END AS i FROM range(400000) t(i)"
    result = await client.run(sql, async_=True, initial_docs=0)
    # QueryError "boom" normally; the server can also answer 500 when a page read races the
    # deletion of the failed query's chunks (reported to the service). Either way: no file.
    with pytest.raises((QueryError, ServerError)):
        await export_query(client, result.query_id, target, ExportFormat.CSV, docs=10_000)
    assert target.read_text() == "previous export\n"
    assert [p.name for p in target.parent.iterdir()] == ["out.csv"]


async def test_an_unwritable_target_is_an_export_error(stored, tmp_path):
    client, query_id = stored
    with pytest.raises(ExportError, match="cannot write"):
        await export_query(client, query_id, tmp_path / "missing-dir" / "out.csv", ExportFormat.CSV)


@pytest.mark.parametrize("fmt", [ExportFormat.CSV, ExportFormat.JSONL, ExportFormat.PARQUET])
async def test_only_the_given_columns_in_their_order(stored, tmp_path, fmt):
    """The app's "export what I see": the shown columns, in the order they are shown."""
    client, query_id = stored
    path = tmp_path / f"out.{fmt.value}"
    stats = await export_query(client, query_id, path, fmt, docs=5_000, columns=["s", "i"])
    assert stats.rows == N
    if fmt is ExportFormat.CSV:
        with open(path, newline="") as f:
            rows = list(csv.reader(f))
        assert rows[0] == ["s", "i"] and rows[8] == ["row 7", "7"]
    elif fmt is ExportFormat.JSONL:
        lines = path.read_text().splitlines()
        assert list(json.loads(lines[7]).items()) == [("s", "row 7"), ("i", 7)]
    else:
        table = pq.read_table(path)
        assert table.column_names == ["s", "i"]
        assert table.slice(7, 1).to_pylist() == [{"s": "row 7", "i": 7}]
