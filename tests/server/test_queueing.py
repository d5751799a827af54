"""Fair queueing between orgs, and timeouts that count while a query is queued (issue 10,
defect 6: one org's six long queries made another org's sync ``SELECT 1`` with
``timeout_ms: 5000`` wait 71 s behind them)."""

from __future__ import annotations

import httpx

from tests.conftest import wait_until
from tests.server.test_queries import Q, q

#: runs until cancelled (DuckDB checks for interrupts while it scans the range)
LONG = "SELECT count(*) FROM range(100000000000) a, range(1000) b"


def status(http: httpx.Client, query_id: str) -> str:
    return http.get(q(query_id)).json()["data"]["status"]


def test_another_orgs_query_runs_before_the_busy_orgs_queued_ones(service_factory):
    service = service_factory(max_concurrent_queries=2)
    a = service.client()
    b = httpx.Client(base_url=service.base_url, headers={"Authorization": f"ApiKey {service.other_key}"}, timeout=30)
    with a, b:
        running = [a.post(Q, json={"sql": {"query": LONG}, "async": True}).json()["query_id"] for _ in range(2)]
        wait_until(lambda: all(status(a, query_id) == "RUNNING" for query_id in running))
        queued = [a.post(Q, json={"sql": {"query": LONG}, "async": True}).json()["query_id"] for _ in range(3)]
        other = b.post(Q, json={"sql": {"query": LONG}, "async": True}).json()["query_id"]
        assert status(b, other) == "QUEUED"

        a.delete(q(running[0]))  # one worker frees up: B's query takes it, not A's next one
        wait_until(lambda: status(b, other) != "QUEUED" or any(status(a, i) != "QUEUED" for i in queued))
        assert status(b, other) == "RUNNING"
        assert [status(a, query_id) for query_id in queued] == ["QUEUED"] * 3

        # the worker B used goes back to A, whose queries then go in the order they came
        b.delete(q(other))
        wait_until(lambda: status(a, queued[0]) == "RUNNING")
        assert [status(a, query_id) for query_id in queued[1:]] == ["QUEUED", "QUEUED"]
        for query_id in running + queued:
            a.delete(q(query_id))


def test_a_queued_query_times_out_without_ever_running(service_factory):
    service = service_factory(max_concurrent_queries=1)
    a = service.client()
    b = httpx.Client(base_url=service.base_url, headers={"Authorization": f"ApiKey {service.other_key}"}, timeout=30)
    with a, b:
        busy = a.post(Q, json={"sql": {"query": LONG}, "async": True}).json()["query_id"]
        wait_until(lambda: status(a, busy) == "RUNNING")
        answer = b.post(Q, json={"sql": {"query": "SELECT 1"}, "timeout_ms": 300})
        assert answer.status_code == 408, answer.text
        assert answer.json()["type"] == "QUERY_TIMEOUT"
        query_id = answer.json()["query_id"]
        record = service.service.store.registry.get(query_id)
        assert record.status.value == "ERROR" and record.started_at is None  # it never ran
        assert status(a, busy) == "RUNNING"  # and the worker was never taken from A

        # a queued async query cancelled by its owner ends at once, too
        waiting = b.post(Q, json={"sql": {"query": "SELECT 2"}, "async": True}).json()["query_id"]
        assert b.delete(q(waiting)).json()["data"]["status"] == "CANCELLED"
        wait_until(lambda: service.service.runner.live(waiting) is None)
        assert status(b, waiting) == "CANCELLED"
        a.delete(q(busy))
