"""The page fast path answers exactly what the FastAPI route answers, and only the common case.

The route answers the first reads of a page from Arrow; the second read also has the chunks
it touches rendered to files in the background, and once they are, the fast path answers.
Both must be the same page.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.conftest import wait_until
from tests.server.test_queries import Q, q

SQL = (
    "SELECT i, 'r' || i || ' \"q\" 漢字 🙂' AS s, i / 3 AS f, NULL::INT AS n, [i, i + 1] AS l, "
    "{'a': i, 'b': 'x'} AS st, TIMESTAMPTZ '2026-01-01 00:00:00+00' + INTERVAL (i) SECOND AS ts "
    "FROM range(1000) t(i)"
)


@pytest.fixture
def service(service_factory):
    return service_factory(chunk_rows=100)


def stored(http) -> tuple[str, str]:
    body = http.post(Q, json={"sql": {"query": SQL}, "max_initial_results": 1}).json()
    return body["query_id"], body["pagination"]["start_cursor"]


def fast_pages(service) -> int:
    return getattr(service.app.state, "fast_pages", 0)


def render_first_chunk(service, http, url) -> None:
    """Read the first chunk until the fast path serves it: every request below touches only it."""
    before = fast_pages(service)
    wait_until(lambda: http.get(url, params={"docs": 5}).status_code == 200 and fast_pages(service) > before)


SHAPES = [
    ("", {}),
    ("", {"docs": "10"}),
    ("", {"offset": "95", "docs": "10"}),
    ("", {"offset": "990", "docs": "100"}),
    ("", {"cursor": "START", "offset": "250", "docs": "300"}),
    ("/START", {"offset": "5", "docs": "50"}),
    ("", {"docs": "1000", "unknown": "ignored"}),
]


@pytest.mark.parametrize(("suffix", "params"), SHAPES)
def test_the_fast_path_answers_what_the_route_answers(service, suffix, params):
    with service.client() as http:
        query_id, start = stored(http)
        url = f"{q(query_id)}/pages{suffix.replace('START', start)}"
        params = {k: v.replace("START", start) for k, v in params.items()}
        direct = http.get(url, params=params)
        before = fast_pages(service)
        answers = []

        def answered_fast() -> bool:
            answers.append(http.get(url, params=params))
            return fast_pages(service) > before

        wait_until(answered_fast)
    fast = answers[-1]
    assert fast_pages(service) == before + 1
    assert direct.status_code == fast.status_code == 200
    assert fast.headers["content-type"] == direct.headers["content-type"] == "application/json"
    assert fast.json() == direct.json()
    assert all(answer.json() == direct.json() for answer in answers)
    assert fast.json()["results"]


def test_a_page_past_the_end_is_left_to_the_route(service):
    with service.client() as http:
        query_id, _ = stored(http)
        for _ in range(3):
            page = http.get(f"{q(query_id)}/pages", params={"offset": 1000, "docs": 5})
            assert page.status_code == 200 and page.json()["results"] == []
        assert fast_pages(service) == 0


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("docs=0", 400),
        ("docs=abc", 400),
        ("docs=", 400),
        ("offset=-1", 400),
        ("docs=%EF%BC%95", 400),  # a full-width digit: Python's isdigit() says yes
        ("docs=5&docs=6", 200),
        ("cursor=" + "A" * 129, 400),
        ("cursor=AAAA", 400),
    ],
)
def test_unusual_requests_are_left_to_the_route(service, query, status):
    with service.client() as http:
        query_id, _ = stored(http)
        url = f"{q(query_id)}/pages"
        render_first_chunk(service, http, url)
        before = fast_pages(service)
        answer = http.get(f"{url}?{query}")
        assert answer.status_code == status, answer.text
        assert fast_pages(service) == before


def test_other_keys_ids_and_formats_are_left_to_the_route(service):
    with service.client() as http:
        query_id, _ = stored(http)
        url = f"{q(query_id)}/pages"
        render_first_chunk(service, http, url)
        before = fast_pages(service)
        assert http.get(url, params={"docs": 5}, headers={"Authorization": "ApiKey nope"}).status_code == 401
        other = http.get(url, params={"docs": 5}, headers={"Authorization": f"ApiKey {service.other_key}"})
        assert other.status_code == 404
        assert http.get(f"{Q}/{quote('no-such-query', safe='')}/pages").status_code == 404
        arrow = http.get(url, params={"docs": 5}, headers={"Accept": "application/vnd.apache.arrow.stream"})
        assert arrow.status_code == 200 and arrow.headers["content-type"].startswith("application/vnd.apache.arrow")
        assert fast_pages(service) == before
        http.delete(q(query_id))
        assert http.get(url, params={"docs": 5}).status_code == 404
        assert fast_pages(service) == before
