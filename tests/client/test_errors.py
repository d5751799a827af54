"""Each error class, from the real service where it can produce it, else from a small real
server that answers the way a broken or overloaded server does."""

from __future__ import annotations

import socket
import time

import httpx
import pytest

from tests.client.conftest import FAST_RETRY
from tests.client.httpserver import Reply, serve
from tests.conftest import FakeClock
from tui.client import (
    ApiError,
    Expired,
    FolioError,
    InvalidInput,
    NotFound,
    NotReady,
    ProtocolError,
    QueryClient,
    QueryError,
    QueryTimeout,
    RateLimited,
    RequestTimeout,
    ServerError,
    ServerUnavailable,
    Timeout,
    Unauthorized,
    Unreachable,
)
from tui.client.errors import QueryCancelled, error_from_response, query_error_from_errors

ENDLESS = "SELECT i FROM range(2000000000) t(i)"


async def test_sql_error_is_a_query_error_with_line_and_column(client):
    with pytest.raises(QueryError) as caught:
        await client.run("SELECT 1 AS a,\n       2 AS b FROM FROM")
    error = caught.value
    assert error.status_code == 400 and error.type == "QUERY_ERROR"
    assert error.line == 2 and error.column is not None
    assert "syntax error" in error.message
    assert isinstance(error, InvalidInput) and isinstance(error, ApiError) and isinstance(error, FolioError)
    assert f"line {error.line}" in str(error)


async def test_async_sql_error_is_a_query_error_too(client):
    with pytest.raises(QueryError):
        await client.run("SELECT * FROM no_such_table", async_=True, client_timeout_ms=500)


async def test_unknown_query_is_not_found(client):
    with pytest.raises(NotFound) as caught:
        await client.page("00000000-0000-0000-0000-000000000000:AAAAAAA:0", offset=0, docs=1)
    assert caught.value.status_code == 404 and caught.value.type == "NOTFOUND"
    with pytest.raises(NotFound):
        await client.info("nope")


async def test_wrong_key_is_unauthorized(service):
    async with QueryClient(service.base_url, "wrong-key-123456", transport=service.transport) as client:
        with pytest.raises(Unauthorized) as caught:
            await client.list()
    assert caught.value.status_code == 401 and caught.value.type == "AUTHEXCEPTION"


async def test_out_of_range_page_size_is_invalid_input(client):
    result = await client.run("SELECT 1 AS a", initial_docs=0)
    with pytest.raises(InvalidInput) as caught:
        await client.page(result.query_id, offset=0, docs=100_001)
    assert type(caught.value) is InvalidInput and caught.value.type == "INVALIDINPUT"
    with pytest.raises(InvalidInput):
        await client.run("SELECT 1", initial_docs=100_001)


async def test_expired_result_says_when(service_factory):
    clock = FakeClock()
    service = service_factory(clock=clock)
    async with QueryClient(service.base_url, service.api_key) as client:
        result = await client.run("SELECT 1 AS a", initial_docs=1)
        clock.advance(hours=25)
        with pytest.raises(Expired) as caught:
            await client.page(result.query_id, offset=0, docs=1)
    assert caught.value.status_code == 410
    assert caught.value.expired_at is not None and caught.value.expired_at.year == 2026
    assert "expired" in str(caught.value)


async def test_query_timeout(client):
    with pytest.raises(QueryTimeout) as caught:
        await client.run("SELECT count(*) FROM range(100000000000)", timeout_ms=300)
    assert caught.value.status_code == 408 and isinstance(caught.value, Timeout)


async def test_too_many_running_queries_is_rate_limited(service_factory):
    service = service_factory(max_running_per_org=1)
    async with QueryClient(service.base_url, service.api_key) as client:
        first = await client.run(ENDLESS, async_=True, initial_docs=0)
        try:
            with pytest.raises(RateLimited) as caught:
                await client.run(ENDLESS, async_=True, initial_docs=0)  # a POST: not retried
        finally:
            await client.cancel(first.query_id)
    assert caught.value.status_code == 429


async def test_cancelled_query_pages_raise_query_cancelled(live_service):
    from tests.conftest import await_until

    async with QueryClient(live_service.base_url, live_service.api_key) as client:
        result = await client.run(ENDLESS, async_=True, initial_docs=0)
        await client.cancel(result.query_id)
        await await_until(lambda: live_service.service.runner.live(result.query_id) is None)
        with pytest.raises(QueryCancelled):
            await client.page(result.query_id, offset=0, docs=1)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_nothing_listening_is_unreachable():
    async with QueryClient(f"http://127.0.0.1:{_closed_port()}", "key", retry=FAST_RETRY) as client:
        with pytest.raises(Unreachable) as caught:
            await client.list()
        with pytest.raises(Unreachable):
            await client.run("SELECT 1")
    assert "cannot reach" in str(caught.value)


async def test_a_server_that_does_not_answer_in_time_is_a_request_timeout():
    def slow(request):
        time.sleep(1.0)
        return Reply.json({"data": []})

    with serve(slow) as server:
        async with QueryClient(server.base_url, "key", timeout=0.2, retry=FAST_RETRY) as client:
            with pytest.raises(RequestTimeout) as caught:
                await client.list()
    assert isinstance(caught.value, Timeout)
    assert len(server.requests) == 1  # read timeouts are not retried


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (Reply(200, b"<html>hello</html>", {"Content-Type": "text/html"}), ProtocolError),
        (Reply.json({"data": "not a list"}), ProtocolError),
        (Reply.json({"message": "boom", "type": "INTERNALERROR"}, 500), ServerError),
        (Reply.json({"message": "down", "type": "SERVICEUNAVAILABLE"}, 503), ServerUnavailable),
        (Reply(502, b"Bad Gateway", {"Content-Type": "text/plain"}), ServerUnavailable),
    ],
)
async def test_broken_or_failing_servers(reply, expected):
    with serve(lambda request: reply) as server:
        async with QueryClient(server.base_url, "key", retry=FAST_RETRY) as client:
            with pytest.raises(expected):
                await client.list()


def _response(status: int, body: object = None, headers: dict | None = None) -> httpx.Response:
    request = httpx.Request("GET", "http://x/v1/orgs/self/queries")
    if body is None:
        return httpx.Response(status, request=request, headers=headers)
    return httpx.Response(status, json=body, request=request, headers=headers)


@pytest.mark.parametrize(
    ("status", "error_type", "cls"),
    [
        (400, "QUERY_ERROR", QueryError),
        (400, "INVALIDINPUT", InvalidInput),
        (400, "QUERY_CANCELLED", QueryCancelled),
        (401, "AUTHEXCEPTION", Unauthorized),
        (403, "FORBIDDEN", Unauthorized),
        (404, "NOTFOUND", NotFound),
        (404, "INVALIDINPUT", NotFound),  # the status wins for not found
        (408, "QUERY_TIMEOUT", QueryTimeout),
        (410, "GONE", Expired),
        (410, "NOTFOUND", Expired),
        (429, "RATELIMITEXCEEDED", RateLimited),
        (500, "INTERNALERROR", ServerError),
        (503, "NOT_READY", NotReady),
        (503, "SERVICEUNAVAILABLE", ServerUnavailable),
        (418, None, InvalidInput),
        (599, None, ServerError),
    ],
)
def test_error_class_by_status_and_type(status, error_type, cls):
    body = {"message": "m", "type": error_type} if error_type else {"detail": "m"}
    error = error_from_response(_response(status, body, {"Retry-After": "3"}))
    assert type(error) is cls
    assert error.message == "m" and error.status_code == status and error.retry_after == 3.0


def test_error_model_fields_travel_with_the_error():
    body = {
        "message": "bad",
        "type": "QUERY_ERROR",
        "line": 3,
        "column": 7,
        "trace_id": "t",
        "error_id": "e",
        "query_id": "q",
        "extra": 1,
    }
    error = error_from_response(_response(400, body))
    assert (error.line, error.column, error.trace_id, error.error_id, error.query_id) == (3, 7, "t", "e", "q")
    assert error.body["extra"] == 1
    assert str(error) == "bad (line 3, column 7)"


def test_an_error_without_a_body_still_reads_well():
    error = error_from_response(_response(401))
    assert type(error) is Unauthorized and "401" in str(error)


def test_async_failure_from_query_errors():
    error = query_error_from_errors([{"type": "QUERY_TIMEOUT", "message": "too slow"}], query_id="q")
    assert type(error) is QueryTimeout and error.query_id == "q"
    error = query_error_from_errors([{"type": "QUERY_ERROR", "message": "x", "line": 1, "column": 2}])
    assert type(error) is QueryError and (error.line, error.column) == (1, 2)
    assert type(query_error_from_errors(None)) is QueryError
