"""Retries: idempotent reads survive dropped connections, 429 and 503 (a bounded number of
times, with backoff); a POST or DELETE is never repeated behind the caller's back.

The misbehaving server is a real HTTP proxy in front of the real service: it drops or refuses
the first few requests, then forwards, so a retried call must still return the right rows."""

from __future__ import annotations

import threading

import httpx
import pytest

from tests.client.httpserver import DROP, Reply, serve
from tui.client import QueryClient, RateLimited, RetryPolicy, ServerUnavailable, Unreachable

FAST = RetryPolicy(retries=4, base_delay=0.01, max_delay=0.05)


class FlakyProxy:
    """Fails the first ``failures`` requests matching ``method`` (DROP or a Reply), then forwards."""

    def __init__(self, upstream: str, failures: int, failure: object, method: str | None = None):
        self.upstream = upstream
        self.failures = failures
        self.failure = failure
        self.method = method
        self.seen = 0
        self._lock = threading.Lock()

    def __call__(self, request):
        if self.method is None or request.method == self.method:
            with self._lock:
                self.seen += 1
                failing = self.seen <= self.failures
            if failing:
                return self.failure
        headers = {k: v for k, v in request.headers.items() if k in ("authorization", "accept", "content-type")}
        url = self.upstream + request.path
        with httpx.Client(timeout=30) as http:
            r = http.request(request.method, url, params=request.query, headers=headers, content=request.body)
        return Reply(r.status_code, r.content, {"Content-Type": r.headers.get("content-type", "application/json")})


@pytest.fixture
def stored(live_service):
    """A stored 1,000-row result on the real service."""
    with live_service.client() as http:
        body = http.post(
            "/v1/orgs/self/queries",
            json={"sql": {"query": "SELECT i FROM range(1000) t(i)"}, "max_initial_results": 0},
        ).json()
    return live_service, body["query_id"]


@pytest.mark.parametrize(
    "failure",
    [
        DROP,
        Reply.json({"message": "busy", "type": "SERVICEUNAVAILABLE"}, 503, **{"Retry-After": "0"}),
        Reply.json({"message": "not yet", "type": "NOT_READY"}, 503),
        Reply.json({"message": "slow down", "type": "RATELIMITEXCEEDED"}, 429, **{"Retry-After": "0"}),
        Reply(502, b"bad gateway"),
    ],
    ids=["dropped", "503", "not-ready", "429", "502"],
)
async def test_reads_are_retried_and_return_the_right_rows(stored, failure):
    service, query_id = stored
    proxy = FlakyProxy(service.base_url, failures=3, failure=failure, method="GET")
    with serve(proxy) as server:
        async with QueryClient(server.base_url, service.api_key, retry=FAST) as client:
            page = await client.page(query_id, offset=990, docs=5)
            assert proxy.seen == 4
            info = await client.info(query_id)
            listed = await client.list()
    assert [r["i"] for r in page.rows] == [990, 991, 992, 993, 994]
    assert info.query_id == query_id and query_id in [q.query_id for q in listed]


async def test_retries_are_bounded(stored):
    service, query_id = stored
    always = Reply.json({"message": "down", "type": "SERVICEUNAVAILABLE"}, 503)
    proxy = FlakyProxy(service.base_url, failures=10**9, failure=always)
    with serve(proxy) as server:
        async with QueryClient(server.base_url, service.api_key, retry=FAST) as client:
            with pytest.raises(ServerUnavailable):
                await client.page(query_id, offset=0, docs=1)
    assert proxy.seen == 1 + FAST.retries


async def test_rate_limit_that_persists_surfaces_as_rate_limited(stored):
    service, query_id = stored
    proxy = FlakyProxy(service.base_url, 10**9, Reply.json({"message": "x", "type": "RATELIMITEXCEEDED"}, 429))
    with serve(proxy) as server:
        async with QueryClient(
            server.base_url, service.api_key, retry=RetryPolicy(retries=1, base_delay=0.01)
        ) as client:
            with pytest.raises(RateLimited):
                await client.list()
    assert proxy.seen == 2


@pytest.mark.parametrize(
    "failure",
    [DROP, Reply.json({"message": "busy", "type": "SERVICEUNAVAILABLE"}, 503)],
    ids=["dropped", "503"],
)
async def test_a_post_is_never_retried(live_service, failure):
    proxy = FlakyProxy(live_service.base_url, failures=1, failure=failure, method="POST")
    with serve(proxy) as server:
        async with QueryClient(server.base_url, live_service.api_key, retry=FAST) as client:
            with pytest.raises((Unreachable, ServerUnavailable)):
                await client.run("SELECT 1 AS a")
            assert proxy.seen == 1
            result = await client.run("SELECT 1 AS a")  # the caller decides to try again
    assert result.rows == [{"a": 1}]


async def test_a_delete_is_never_retried(stored):
    service, query_id = stored
    proxy = FlakyProxy(service.base_url, failures=1, failure=DROP, method="DELETE")
    with serve(proxy) as server:
        async with QueryClient(server.base_url, service.api_key, retry=FAST) as client:
            with pytest.raises(Unreachable):
                await client.cancel(query_id)
    assert proxy.seen == 1


def test_backoff_grows_with_jitter_and_honours_retry_after():
    policy = RetryPolicy(retries=5, base_delay=0.1, max_delay=1.0)
    for attempt in range(6):
        ceiling = min(1.0, 0.1 * 2**attempt)
        for _ in range(50):
            assert ceiling / 2 <= policy.delay(attempt) <= ceiling
    assert policy.delay(0, retry_after=0.7) == 0.7
    assert policy.delay(0, retry_after=60) == 1.0  # never longer than max_delay
    assert RetryPolicy(jitter=False, base_delay=0.1).delay(2) == pytest.approx(0.4)
