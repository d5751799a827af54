"""``folio export``: remote, embedded and stored-result exports; every bad input is one line."""

from __future__ import annotations

import csv
import json
import socket

import duckdb
import pyarrow.parquet as pq
import pytest

from tests.commands.cli_helpers import assert_one_line_error
from tests.conftest import FakeClock

SQL = "SELECT i, 'v' || i::VARCHAR AS v, {'k': i % 3} AS st FROM range(25000) t(i) ORDER BY i"


def server_args(service) -> list[str]:
    return ["--server", service.base_url, "--api-key", service.api_key]


@pytest.mark.parametrize("name", ["out.csv", "out.jsonl", "out.parquet"])
def test_export_from_a_server_in_each_format(cli, live_service, tmp_path, name):
    outcome = cli("export", SQL, "-o", name, "--page-size", "4000", *server_args(live_service))
    assert outcome.code == 0, outcome.err
    assert "wrote 25,000 rows" in outcome.err and outcome.out == ""
    path = tmp_path / name
    if name.endswith(".csv"):
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
        assert [int(r["i"]) for r in rows] == list(range(25_000))
        assert json.loads(rows[4]["st"]) == {"k": 1}
    elif name.endswith(".jsonl"):
        rows = [json.loads(line) for line in path.read_text().splitlines()]
        assert rows == [{"i": i, "v": f"v{i}", "st": {"k": i % 3}} for i in range(25_000)]
    else:
        assert pq.read_table(path).column("i").to_pylist() == list(range(25_000))
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_explicit_format_and_parameters(cli, live_service, tmp_path):
    outcome = cli(
        "export",
        "SELECT i FROM range(100) t(i) WHERE i >= :low AND :tag = 'x'",
        "-o",
        "rows.txt",
        "--format",
        "jsonl",
        "-p",
        "low:int=95",
        "-p",
        "tag=x",
        *server_args(live_service),
    )
    assert outcome.code == 0, outcome.err
    assert [json.loads(line)["i"] for line in (tmp_path / "rows.txt").read_text().splitlines()] == [95, 96, 97, 98, 99]


def test_export_of_a_stored_result_does_not_run_it_again(cli, live_service, tmp_path):
    with live_service.client() as http:
        query_id = http.post("/v1/orgs/self/queries", json={"sql": {"query": SQL}, "max_initial_results": 0}).json()[
            "query_id"
        ]
    posts_before = [r for r in live_service.requests if r[0] == "POST"]
    outcome = cli("export", "--query-id", query_id, "-o", "stored.parquet", *server_args(live_service))
    assert outcome.code == 0, outcome.err
    assert [r for r in live_service.requests if r[0] == "POST"] == posts_before
    assert pq.read_table(tmp_path / "stored.parquet").num_rows == 25_000


def test_embedded_mode_with_no_server_configured(cli, tmp_path):
    outcome = cli("export", "SELECT 42 AS answer", "-o", "answer.csv")
    assert outcome.code == 0, outcome.err
    assert (tmp_path / "answer.csv").read_text().replace('"', "").splitlines() == ["answer", "42"]


def test_embedded_mode_over_a_source_file(cli, tmp_path):
    duckdb.sql("COPY (SELECT i, i * 2 AS j FROM range(30000) t(i)) TO 'src.parquet' (FORMAT parquet)")
    outcome = cli("export", "SELECT * FROM data ORDER BY i", "-o", "copy.parquet", "--source", "src.parquet")
    assert outcome.code == 0, outcome.err
    table = pq.read_table(tmp_path / "copy.parquet")
    assert table.column("j").to_pylist() == [2 * i for i in range(30000)]


@pytest.mark.spark
def test_embedded_mode_over_a_spark_source(cli, tmp_path, spark_server):
    outcome = cli(
        "export",
        "SELECT id, id * 2 AS j FROM range(0, 30000, 1, 3) WHERE id >= :low ORDER BY id",
        "-o",
        "spark.parquet",
        "-p",
        "low:int=10",
        "--source",
        spark_server.url,
    )
    assert outcome.code == 0, outcome.err
    assert "wrote 29,990 rows" in outcome.err
    table = pq.read_table(tmp_path / "spark.parquet")
    assert table.column("id").to_pylist() == list(range(10, 30000))
    assert table.column("j").to_pylist()[-1] == 2 * 29999


def test_environment_configures_the_server(cli, live_service, monkeypatch, tmp_path):
    monkeypatch.setenv("ROCKSET_API_SERVER", live_service.base_url)
    monkeypatch.setenv("ROCKSET_API_KEY", live_service.api_key)
    outcome = cli("export", "SELECT 1 AS a", "-o", "a.jsonl")
    assert outcome.code == 0, outcome.err
    assert any(r[0] == "POST" for r in live_service.requests)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_server(cli, tmp_path):
    line = assert_one_line_error(
        cli("export", "SELECT 1", "-o", "x.csv", "--server", f"http://127.0.0.1:{_closed_port()}", "--api-key", "k"), 3
    )
    assert "cannot reach" in line
    assert not (tmp_path / "x.csv").exists()


def test_wrong_api_key(cli, live_service):
    assert_one_line_error(
        cli("export", "SELECT 1", "-o", "x.csv", "--server", live_service.base_url, "--api-key", "wrong-key-0000"),
        4,
        "rejected the API key",
    )


def test_unknown_query_id(cli, live_service):
    assert_one_line_error(
        cli("export", "--query-id", "nope:AAAAAAA:0", "-o", "x.csv", *server_args(live_service)),
        5,
        "no query nope:AAAAAAA:0",
    )


def test_expired_result(cli, service_factory):
    clock = FakeClock()
    service = service_factory(clock=clock)
    with service.client() as http:
        query_id = http.post(
            "/v1/orgs/self/queries", json={"sql": {"query": "SELECT 1"}, "max_initial_results": 0}
        ).json()["query_id"]
    clock.advance(hours=25)
    assert_one_line_error(cli("export", "--query-id", query_id, "-o", "x.csv", *server_args(service)), 5, "expired")


def test_sql_error_names_line_and_column(cli, live_service, tmp_path):
    line = assert_one_line_error(cli("export", "SELECT 1,\n  FROM FROM", "-o", "x.csv", *server_args(live_service)), 6)
    assert "SQL error" in line and "line 2" in line
    assert list(tmp_path.glob("*.csv")) == [] and list(tmp_path.glob(".*")) == []


def test_sql_error_in_embedded_mode(cli):
    assert_one_line_error(cli("export", "SELECT * FROM no_such_table", "-o", "x.csv"), 6, "no_such_table")


@pytest.mark.parametrize(
    ("argv", "contains"),
    [
        (["SELECT 1", "-o", "missing/x.csv"], "does not exist"),
        (["SELECT 1", "-o", "."], "is a directory"),
        (["SELECT 1", "-o", "x.txt"], "use --format"),
        (["-o", "x.csv"], "nothing to export"),
        (["SELECT 1", "--query-id", "q", "-o", "x.csv"], "not both"),
        (["  ", "-o", "x.csv"], "empty"),
        (["SELECT :a", "-p", "a", "-o", "x.csv"], "bad parameter"),
        (["SELECT :a", "-p", "a:int=x", "-o", "x.csv"], "not a valid int"),
        (["SELECT 1", "-o", "x.csv", "--page-size", "0"], "--page-size"),
        (["SELECT 1", "-o", "x.csv", "--server", "ftp://h"], "http"),
        (["SELECT 1", "-o", "x.csv", "--source", "missing.duckdb"], "no such DuckDB database"),
        (["SELECT 1", "-o", "x.csv", "--source", "mystery.xyz"], "cannot tell what"),
    ],
)
def test_bad_input_is_one_line(cli, argv, contains):
    assert_one_line_error(cli("export", *argv), 2, contains)


def test_a_server_without_a_key(cli, monkeypatch, live_service):
    monkeypatch.setenv("FOLIO_SERVER", live_service.base_url)
    assert_one_line_error(cli("export", "SELECT 1", "-o", "x.csv"), 2, "no API key")
