"""Per-org bound on queued and running queries; queueing beyond the executor's width."""

from __future__ import annotations

import httpx

from tests.conftest import wait_until
from tests.server.test_queries import Q, q

SLOW = "SELECT count(*) FROM range(100000000000)"


def test_too_many_running_queries_per_org_is_429(service_factory):
    service = service_factory(max_running_per_org=2)
    with service.client() as http:
        ids = [http.post(Q, json={"sql": {"query": SLOW}, "async": True}).json()["query_id"] for _ in range(2)]
        third = http.post(Q, json={"sql": {"query": "SELECT 1"}})
        with httpx.Client(base_url=service.base_url, headers={"Authorization": f"ApiKey {service.other_key}"}) as other:
            other_org = other.post(Q, json={"sql": {"query": "SELECT 1 AS x"}})
        for query_id in ids:
            http.delete(q(query_id))
        wait_until(lambda: service.service.runner.running_count("org-a") == 0)
        after = http.post(Q, json={"sql": {"query": "SELECT 2 AS y"}})
    assert third.status_code == 429
    assert third.json()["type"] == "RATELIMITEXCEEDED"
    assert third.headers["retry-after"] == "1"
    assert other_org.status_code == 200  # one org's load does not lock out another
    assert after.json()["results"] == [{"y": 2}]


def test_queries_beyond_the_executor_wait_as_queued(service_factory):
    service = service_factory(max_concurrent_queries=1)
    with service.client() as http:
        first = http.post(Q, json={"sql": {"query": SLOW}, "async": True}).json()["query_id"]
        wait_until(lambda: http.get(q(first)).json()["data"]["status"] == "RUNNING")
        second = http.post(Q, json={"sql": {"query": "SELECT 7 AS n"}, "async": True}).json()
        assert http.get(q(second["query_id"])).json()["data"]["status"] == "QUEUED"
        http.delete(q(first))
        wait_until(lambda: http.get(q(second["query_id"])).json()["data"]["status"] == "COMPLETED")
        assert http.get(f"{q(second['query_id'])}/pages").json()["results"] == [{"n": 7}]
    assert second["status"] == "QUEUED"
