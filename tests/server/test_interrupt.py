"""Every running statement can be interrupted: by cancel, by its timeout and by SIGTERM.

DuckDB used to run a statement without rows (``CREATE TABLE … AS``, with ``--allow-writes``)
inside ``Engine.start``, before the runner held its execution: cancel and timeout could not
reach it, and SIGTERM then waited for it forever. The statements here would run for hours.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from tests.conftest import free_port, wait_until
from tui.engines.duckdb import DuckDBEngine

Q = "/v1/orgs/self/queries"
KEY = "interrupt-key"
ROOT = Path(__file__).resolve().parents[2]
#: a statement without rows that would run for hours
ENDLESS_CREATE = "CREATE TABLE endless AS SELECT count(*) AS n FROM range(10000000000000)"
#: a reading statement whose binding and run would take hours
ENDLESS_SELECT = "SELECT count(*) AS n FROM range(10000000000000) a, range(10) b"
#: how long shutdown may take: the grace period (tui.commands.serve.GRACE_SECONDS) and start-up slack
SHUTDOWN_DEADLINE_S = 60


def _status(http: httpx.Client, query_id: str) -> str:
    return http.get(f"{Q}/{quote(query_id, safe='')}").json()["data"]["status"]


@pytest.mark.parametrize("sql", [ENDLESS_CREATE, ENDLESS_SELECT], ids=["create", "select"])
def test_cancel_stops_a_running_statement(service_factory, sql: str) -> None:
    # one worker: the next query runs only once the cancelled statement has really stopped
    live = service_factory(engine=DuckDBEngine(None, allow_writes=True), max_concurrent_queries=1)
    with live.client() as http:
        query_id = http.post(Q, json={"sql": {"query": sql}, "async": True}).json()["query_id"]
        wait_until(lambda: _status(http, query_id) == "RUNNING")
        assert http.delete(f"{Q}/{quote(query_id, safe='')}").status_code == 200
        wait_until(lambda: _status(http, query_id) == "CANCELLED")
        # the worker is free again: a new query runs (it would time out waiting for the worker)
        after = http.post(Q, json={"sql": {"query": "SELECT 1 AS one"}, "timeout_ms": 20000})
        assert after.status_code == 200, after.text
        assert after.json()["results"] == [{"one": 1}]


def test_timeout_stops_a_statement_without_rows(service_factory) -> None:
    live = service_factory(engine=DuckDBEngine(None, allow_writes=True))
    with live.client() as http:
        r = http.post(Q, json={"sql": {"query": ENDLESS_CREATE}, "timeout_ms": 500})
    assert r.status_code == 408
    assert r.json()["type"] == "QUERY_TIMEOUT"


def test_sigterm_ends_the_service_within_its_grace_period(tmp_path: Path) -> None:
    port = free_port()
    cmd = [sys.executable, "-m", "tui", "serve", "--allow-writes", "--port", str(port), "--api-key", KEY]
    cmd += ["--store", str(tmp_path / "store"), "--log-level", "warning"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        http = httpx.Client(
            base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"ApiKey {KEY}"}, timeout=120
        )

        def up() -> bool:
            try:
                return http.get("/health").status_code == 200
            except httpx.TransportError:
                assert proc.poll() is None, "folio serve exited"
                return False

        wait_until(up, timeout=60, interval=0.05)
        running = http.post(Q, json={"sql": {"query": ENDLESS_CREATE}, "async": True}).json()["query_id"]
        wait_until(lambda: _status(http, running) == "RUNNING")
        answers: list[httpx.Response | Exception] = []

        def sync_query() -> None:  # a synchronous request waiting for its statement
            try:
                answers.append(http.post(Q, json={"sql": {"query": ENDLESS_SELECT}}))
            except httpx.HTTPError as exc:
                answers.append(exc)

        waiter = threading.Thread(target=sync_query)
        waiter.start()
        wait_until(lambda: sum(1 for q in http.get(Q).json()["data"] if q["status"] == "RUNNING") == 2)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=SHUTDOWN_DEADLINE_S)
        waiter.join(timeout=SHUTDOWN_DEADLINE_S)
        # the waiting request got an answer saying why, not a dropped connection
        assert len(answers) == 1 and isinstance(answers[0], httpx.Response), answers
        assert answers[0].status_code == 500
        assert "the service stopped" in answers[0].json()["message"]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=60)
    assert b"Traceback" not in (proc.stderr.read() if proc.stderr else b"")
