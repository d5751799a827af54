"""``folio queries``: the server's stored and running queries, as a table or JSON."""

from __future__ import annotations

import json
import socket

from tests.commands.cli_helpers import assert_one_line_error


def _run(service, sql: str) -> str:
    with service.client() as http:
        return http.post("/v1/orgs/self/queries", json={"sql": {"query": sql}, "max_initial_results": 0}).json()[
            "query_id"
        ]


def test_table_lists_every_query(cli, live_service):
    ids = [_run(live_service, "SELECT i FROM range(1234) t(i)"), _run(live_service, "SELECT 1")]
    outcome = cli("queries", "--server", live_service.base_url, "--api-key", live_service.api_key)
    assert outcome.code == 0, outcome.err
    header, *rows = outcome.out.strip().splitlines()
    assert header.split() == ["id", "status", "rows", "size", "submitted", "expires", "in"]
    assert len(rows) == 2
    for query_id in ids:
        line = next(r for r in rows if r.startswith(query_id))
        assert "COMPLETED" in line and ("23h 59m" in line or "24h 00m" in line)
    assert any("1,234" in r for r in rows)


def test_json(cli, live_service):
    query_id = _run(live_service, "SELECT 1 AS a")
    outcome = cli("queries", "--json", "--server", live_service.base_url, "--api-key", live_service.api_key)
    assert outcome.code == 0, outcome.err
    data = json.loads(outcome.out)
    assert [q["query_id"] for q in data] == [query_id]
    assert data[0]["status"] == "COMPLETED" and data[0]["stats"]["result_set_document_count"] == 1


def test_no_queries(cli, live_service):
    outcome = cli("queries", "--server", live_service.base_url, "--api-key", live_service.api_key)
    assert outcome.code == 0 and outcome.out.strip() == "no queries"


def test_embedded_mode_lists_the_embedded_store(cli):
    outcome = cli("queries", "--json")
    assert outcome.code == 0, outcome.err
    assert json.loads(outcome.out) == []


def test_unreachable_and_wrong_key(cli, live_service):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert_one_line_error(cli("queries", "--server", f"http://127.0.0.1:{port}", "--api-key", "k"), 3, "cannot reach")
    assert_one_line_error(
        cli("queries", "--server", live_service.base_url, "--api-key", "wrong-key-0000"), 4, "rejected"
    )
