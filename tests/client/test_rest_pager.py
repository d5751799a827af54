"""RestPager against small real HTTP servers: seed 003's contract (nextPage URLs, tokens that
expire) and a Stripe-like API with other field names."""

from __future__ import annotations

import tracemalloc

import pytest

from tests.client.httpserver import Reply, serve
from tests.client.restapi import API_KEY, Rocketlane, StripeLike
from tui.client import STRIPE, PageTokenExpired, PaginationStyle, ProtocolError, RestError, RestPager, RetryPolicy

HEADERS = {"api-key": API_KEY}


def rocketlane(api: Rocketlane):
    context = serve(api)
    server = context.__enter__()
    api.base_url = server.base_url
    return context, server


@pytest.fixture
def api_server():
    api = Rocketlane(items=95)
    context, server = rocketlane(api)
    yield api, server
    context.__exit__(None, None, None)


async def test_follows_next_page_urls_to_the_end(api_server):
    api, server = api_server
    url = f"{server.base_url}/api/1.0/tasks"
    async with RestPager(url, headers=HEADERS, page_size=10) as pager:
        pages = [page async for page in pager]
    assert [len(p.items) for p in pages] == [10] * 9 + [5]
    assert [item for p in pages for item in p.items] == api.items
    assert pages[0].total == 95 and pages[-1].has_more is False
    assert [p.number for p in pages] == list(range(1, 11))
    # every request after the first went to the nextPage URL, which carries the token
    assert [r.query.get("pageToken") is not None for r in server.requests] == [False] + [True] * 9
    assert all(r.headers["api-key"] == API_KEY for r in server.requests)


async def test_uses_next_page_token_when_there_is_no_next_page_url():
    api = Rocketlane(items=31, with_next_page=False)
    context, server = rocketlane(api)
    try:
        async with RestPager(f"{server.base_url}/api/1.0/tasks", headers=HEADERS, page_size=10) as pager:
            items = [item async for item in pager.items()]
    finally:
        context.__exit__(None, None, None)
    assert items == api.items
    tokens = [r.query.get("pageToken") for r in server.requests]
    assert tokens[0] is None and all(tokens[1:]) and len(set(tokens[1:])) == 3
    assert all(r.query["pageSize"] == "10" for r in server.requests)


async def test_extra_params_pass_through_on_every_page(api_server):
    api, server = api_server
    async with RestPager(
        f"{server.base_url}/api/1.0/tasks",
        headers=HEADERS,
        params={"sortBy": "taskId", "sortOrder": "DESC"},
        page_size=50,
    ) as pager:
        items = [item async for item in pager.items()]
    assert [i["taskId"] for i in items] == list(range(94, -1, -1))
    assert all(r.query["sortOrder"] == "DESC" and r.query["sortBy"] == "taskId" for r in server.requests)


async def test_an_expired_token_is_a_clear_error(api_server):
    api, server = api_server
    async with RestPager(f"{server.base_url}/api/1.0/tasks", headers=HEADERS, page_size=10) as pager:
        seen = []
        with pytest.raises(PageTokenExpired) as caught:
            async for page in pager:
                seen.append(page)
                api.expire_tokens()  # as if the consumer spent 15 minutes on this page
    assert len(seen) == 1
    message = str(caught.value)
    assert "expired" in message and "15 minutes" in message and "page 2" in message
    assert caught.value.status_code == 400


async def test_pages_are_yielded_as_they_arrive_with_flat_memory():
    api = Rocketlane(items=8_000)
    context, server = rocketlane(api)
    try:
        async with RestPager(f"{server.base_url}/api/1.0/tasks", headers=HEADERS, page_size=100) as pager:
            count = 0
            tracemalloc.start()
            async for page in pager:
                count += len(page.items)
                # nothing fetched ahead: the server has seen exactly the pages yielded so far
                assert len(server.requests) == page.number
                if page.number == 10:
                    tracemalloc.reset_peak()
                    baseline = tracemalloc.get_traced_memory()[0]
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
    finally:
        context.__exit__(None, None, None)
    assert count == 8_000
    # 70 more pages after the baseline: keeping them would cost several MB, streaming ~one page
    assert peak - baseline < 1_000_000


async def test_other_field_names_stripe_style():
    api = StripeLike(items=23)
    with serve(api) as server:
        async with RestPager(
            f"{server.base_url}/v1/customers", headers={"Authorization": "Bearer sk_test"}, page_size=10, style=STRIPE
        ) as pager:
            pages = [page async for page in pager]
    assert [len(p.items) for p in pages] == [10, 10, 3]
    assert [i["n"] for p in pages for i in p.items] == list(range(23))
    assert [r.query.get("starting_after") for r in server.requests] == [None, "cus_0009", "cus_0019"]
    assert all(r.query["limit"] == "10" for r in server.requests)


async def test_custom_style_with_top_level_token():
    def api(request):
        start = int(request.query.get("cursor") or 0)
        body = {"results": list(range(start, min(start + 4, 10))), "more": start + 4 < 10}
        if body["more"]:
            body["next"] = str(start + 4)
        return Reply.json(body)

    style = PaginationStyle(
        items="results",
        pagination=None,
        has_more="more",
        next_token="next",
        next_url=None,
        total=None,
        page_size_param="n",
        token_param="cursor",
    )
    with serve(api) as server:
        async with RestPager(server.base_url + "/things", style=style) as pager:
            items = [i async for i in pager.items()]
    assert items == list(range(10))


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (Reply(200, b"<html>login</html>", {"Content-Type": "text/html"}), "did not answer JSON"),
        (Reply.json([1, 2]), "not an object"),
        (Reply.json({"data": [1]}), "'pagination'"),
        (Reply.json({"data": [1], "pagination": {"pageSize": 1}}), "hasMore"),
        (Reply.json({"items": [1], "pagination": {"hasMore": False}}), "'data'"),
        (Reply.json({"data": [1], "pagination": {"hasMore": True}}), "no way to reach"),
    ],
)
async def test_answers_that_are_not_this_kind_of_pagination(reply, message):
    with serve(lambda request: reply) as server:
        async with RestPager(server.base_url + "/x") as pager:
            with pytest.raises(ProtocolError, match=message):
                [p async for p in pager]


async def test_http_errors_name_the_status():
    with serve(lambda request: Reply.json({"message": "Unauthorized"}, 401)) as server:
        async with RestPager(server.base_url + "/api/1.0/tasks") as pager:
            with pytest.raises(RestError, match="401"):
                [p async for p in pager]


async def test_a_repeated_token_stops_instead_of_looping():
    reply = Reply.json({"data": [1], "pagination": {"hasMore": True, "nextPageToken": "same"}})
    with serve(lambda request: reply) as server:
        async with RestPager(server.base_url + "/x") as pager:
            with pytest.raises(ProtocolError, match="repeats"):
                [p async for p in pager]
    assert len(server.requests) == 2


async def test_headers_are_not_sent_to_a_next_page_on_another_host():
    reply = Reply.json({"data": [1], "pagination": {"hasMore": True, "nextPage": "http://elsewhere.invalid/page2"}})
    with serve(lambda request: reply) as server:
        async with RestPager(server.base_url + "/x", headers={"api-key": "secret"}) as pager:
            with pytest.raises(ProtocolError, match="another host"):
                [p async for p in pager]


async def test_transient_failures_are_retried():
    api = Rocketlane(items=5)
    calls = {"n": 0}

    def flaky(request):
        calls["n"] += 1
        if calls["n"] <= 2:
            return Reply.json({"message": "busy"}, 503, **{"Retry-After": "0"})
        return api(request)

    with serve(flaky) as server:
        api.base_url = server.base_url
        async with RestPager(
            f"{server.base_url}/api/1.0/tasks", headers=HEADERS, retry=RetryPolicy(base_delay=0.01)
        ) as pager:
            items = [i async for i in pager.items()]
    assert items == api.items and calls["n"] == 3
