"""``folio lambdas`` and ``folio lambda NAME -o FILE`` against a real service."""

from __future__ import annotations

import csv
import json

import pyarrow.parquet as pq
import pytest

from tests.commands.cli_helpers import assert_one_line_error

WS = "/v1/orgs/self/ws"
SQL = "SELECT i, 'v' || i::VARCHAR AS v FROM range(:n) t(i) WHERE i >= :lo ORDER BY i"


def server_args(service) -> list[str]:
    return ["--server", service.base_url, "--api-key", service.api_key]


@pytest.fixture
def saved(live_service):
    """Two lambdas: ``commons.numbers`` (defaults n=30000, lo=0; two versions) and ``reports.one``."""
    with live_service.client() as http:
        defaults = [{"name": "n", "type": "int", "value": "30000"}, {"name": "lo", "type": "int", "value": "0"}]
        first = http.post(f"{WS}/commons/lambdas", json={"name": "numbers", "sql": {"query": "SELECT 1 AS i"}})
        assert first.status_code == 200, first.text
        second = http.post(
            f"{WS}/commons/lambdas/numbers/versions", json={"sql": {"query": SQL, "default_parameters": defaults}}
        )
        one = http.post(f"{WS}/reports/lambdas", json={"name": "one", "sql": {"query": "SELECT :x AS x"}})
        assert one.status_code == 200, one.text
    return {"first": first.json()["data"]["version"], "second": second.json()["data"]["version"]}


def test_lambdas_lists_name_versions_and_parameters(cli, live_service, saved):
    outcome = cli("lambdas", *server_args(live_service))
    assert outcome.code == 0, outcome.err
    lines = outcome.out.strip().splitlines()
    assert lines[0].split() == ["workspace", "name", "versions", "latest", "updated", "parameters"]
    assert lines[1].split()[:4] == ["commons", "numbers", "2", saved["second"]]
    assert lines[1].endswith(":n=30000 :lo=0")
    assert lines[2].split()[:3] == ["reports", "one", "1"] and lines[2].endswith(":x")
    only = cli("lambdas", "--workspace", "reports", "--json", *server_args(live_service))
    assert [q["name"] for q in json.loads(only.out)] == ["one"]


def test_lambda_exports_the_whole_result_with_parameters(cli, live_service, saved, tmp_path):
    outcome = cli("lambda", "numbers", "-p", "lo=5", "-o", "n.csv", "--page-size", "4000", *server_args(live_service))
    assert outcome.code == 0, outcome.err
    assert "wrote 29,995 rows of commons.numbers" in outcome.err
    with open(tmp_path / "n.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["i"]) for r in rows] == list(range(5, 30_000))
    newest = live_service.service.store.registry.list_page("org-a", live_service.service.clock(), after=None, limit=1)
    assert newest[0][0].query_lambda_path == f"commons.numbers::{saved['second']}"


def test_lambda_by_version_and_tag(cli, live_service, saved, tmp_path):
    by_version = cli("lambda", "numbers", "--version", saved["first"], "-o", "v1.jsonl", *server_args(live_service))
    assert by_version.code == 0, by_version.err
    assert [json.loads(line) for line in (tmp_path / "v1.jsonl").read_text().splitlines()] == [{"i": 1}]
    with live_service.client() as http:
        http.post(f"{WS}/commons/lambdas/numbers/tags", json={"tag_name": "old", "version": saved["first"]})
    by_tag = cli("lambda", "numbers", "--tag", "old", "-o", "t.parquet", *server_args(live_service))
    assert by_tag.code == 0, by_tag.err
    assert pq.read_table(tmp_path / "t.parquet").column("i").to_pylist() == [1]
    typed = cli("lambda", "one", "--workspace", "reports", "-p", "x:int=7", "-o", "x.jsonl", *server_args(live_service))
    assert typed.code == 0, typed.err
    assert json.loads((tmp_path / "x.jsonl").read_text()) == {"x": 7}


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["one", "--workspace", "reports"], ":x"),  # no value and no default
        (["nope"], "not found"),
        (["numbers", "--tag", "missing"], "no tag 'missing'"),
        (["numbers", "-p", "lo"], "expected NAME=VALUE"),
    ],
)
def test_lambda_errors_are_one_line_and_leave_no_file(cli, live_service, saved, tmp_path, argv, fragment):
    outcome = cli("lambda", *argv, "-o", "out.csv", *server_args(live_service))
    assert_one_line_error(outcome, contains=fragment)
    assert not (tmp_path / "out.csv").exists()


def test_no_lambdas(cli, live_service):
    outcome = cli("lambdas", *server_args(live_service))
    assert outcome.code == 0 and outcome.out.strip() == "no query lambdas"
