"""``folio rest``: a token-paginated REST endpoint into JSONL or CSV; bad input is one line."""

from __future__ import annotations

import csv
import json
import socket

import pytest

from tests.client.httpserver import Reply, serve
from tests.client.restapi import API_KEY, Rocketlane, StripeLike
from tests.commands.cli_helpers import assert_one_line_error


@pytest.fixture
def rocketlane():
    api = Rocketlane(items=95)
    with serve(api) as server:
        api.base_url = server.base_url
        yield api, server


def test_jsonl_of_every_item(cli, rocketlane, tmp_path):
    api, server = rocketlane
    outcome = cli(
        "rest",
        f"{server.base_url}/api/1.0/tasks",
        "-H",
        f"api-key: {API_KEY}",
        "--page-size",
        "10",
        "--param",
        "sortBy=taskId",
        "-o",
        "tasks.jsonl",
    )
    assert outcome.code == 0, outcome.err
    assert "wrote 95 items from 10 pages" in outcome.err
    assert [json.loads(line) for line in (tmp_path / "tasks.jsonl").read_text().splitlines()] == api.items
    assert all(r.query["sortBy"] == "taskId" for r in server.requests)


def test_csv_of_every_item(cli, rocketlane, tmp_path):
    api, server = rocketlane
    outcome = cli(
        "rest", f"{server.base_url}/api/1.0/tasks", "-H", f"api-key:{API_KEY}", "--page-size", "30", "-o", "tasks.csv"
    )
    assert outcome.code == 0, outcome.err
    with open(tmp_path / "tasks.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["taskId"]) for r in rows] == list(range(95))
    assert json.loads(rows[4]["status"]) == {"value": 1}


def test_stripe_style(cli, tmp_path):
    with serve(StripeLike(items=23)) as server:
        outcome = cli(
            "rest",
            f"{server.base_url}/v1/customers",
            "--style",
            "stripe",
            "-H",
            "Authorization: Bearer sk_test",
            "--page-size",
            "5",
            "-o",
            "customers.jsonl",
        )
    assert outcome.code == 0, outcome.err
    assert [json.loads(line)["n"] for line in (tmp_path / "customers.jsonl").read_text().splitlines()] == list(
        range(23)
    )


def test_field_overrides(cli, tmp_path):
    def api(request):
        start = int(request.query.get("cursor") or 0)
        return Reply.json(
            {
                "rows": [{"n": n} for n in range(start, min(start + 3, 7))],
                "meta": {"more": start + 3 < 7, "next": str(start + 3)},
            }
        )

    with serve(api) as server:
        outcome = cli(
            "rest",
            server.base_url + "/x",
            "--field",
            "items=rows",
            "--field",
            "pagination=meta",
            "--field",
            "has_more=more",
            "--field",
            "next_token=next",
            "--field",
            "token_param=cursor",
            "-o",
            "x.jsonl",
        )
    assert outcome.code == 0, outcome.err
    assert [json.loads(line)["n"] for line in (tmp_path / "x.jsonl").read_text().splitlines()] == list(range(7))


def test_an_expired_token_is_one_clear_line(cli, tmp_path):
    api = Rocketlane(items=30, tokens_expire=True)
    with serve(api) as server:
        api.base_url = server.base_url
        outcome = cli(
            "rest",
            f"{server.base_url}/api/1.0/tasks",
            "-H",
            f"api-key: {API_KEY}",
            "--page-size",
            "10",
            "-o",
            "t.jsonl",
        )
    line = assert_one_line_error(outcome, 1, "expired")
    assert "15 minutes" in line
    assert not (tmp_path / "t.jsonl").exists() and list(tmp_path.glob(".t.jsonl*")) == []


@pytest.mark.parametrize(
    ("reply", "contains"),
    [
        (Reply(200, b"<html>sign in</html>", {"Content-Type": "text/html"}), "did not answer JSON (text/html)"),
        (Reply.json({"data": [{"a": 1}]}), "no 'pagination' object"),
        (Reply.json({"items": []}), "no 'data' list"),
        (Reply.json({"message": "Unauthorized"}, 401), "access denied"),
        (Reply.json({"message": "boom"}, 500), "HTTP 500"),
    ],
)
def test_endpoints_that_do_not_paginate_this_way(cli, reply, contains, tmp_path):
    with serve(lambda request: reply) as server:
        outcome = cli("rest", server.base_url + "/x", "-o", "x.jsonl")
    assert_one_line_error(outcome, None, contains)
    assert not (tmp_path / "x.jsonl").exists()


def test_unreachable_endpoint(cli):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert_one_line_error(cli("rest", f"http://127.0.0.1:{port}/x", "-o", "x.jsonl"), 3, "cannot reach")


@pytest.mark.parametrize(
    ("argv", "contains"),
    [
        (["http://h/x", "-H", "no colon", "-o", "x.jsonl"], "bad header"),
        (["http://h/x", "--param", "novalue", "-o", "x.jsonl"], "bad parameter"),
        (["http://h/x", "-o", "x.parquet"], "use .jsonl or .csv"),
        (["http://h/x", "-o", "missing/x.jsonl"], "does not exist"),
        (["ftp://h/x", "-o", "x.jsonl"], "not an http"),
        (["http://h/x", "--field", "bogus=x", "-o", "x.jsonl"], "bad --field"),
        (["http://h/x", "--page-size", "0", "-o", "x.jsonl"], "--page-size"),
    ],
)
def test_bad_input_is_one_line(cli, argv, contains):
    assert_one_line_error(cli("rest", *argv), 2, contains)


def test_without_output_and_without_a_terminal(cli):
    assert_one_line_error(cli("rest", "http://h/x"), 2, "give -o FILE")
