"""What plain tools send (issue 10, defect 8): ``curl -d`` bodies, base URLs with a trailing
slash, and Rockset endpoints folio does not implement (501, not 404)."""

from __future__ import annotations

import json
import shutil
import subprocess

import httpx
import pytest

from tests.server.test_queries import Q

BODY = b'{"sql": {"query": "SELECT 41 + 1 AS answer"}}'


@pytest.mark.parametrize("content_type", [None, "application/x-www-form-urlencoded", "text/plain"])
def test_a_json_body_is_read_as_json_whatever_its_declared_type(live_service, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    with live_service.client() as http:
        request = http.build_request("POST", Q, content=BODY, headers=headers)
        assert request.headers.get("content-type") == content_type
        response = http.send(request)
    assert response.status_code == 200, response.text
    assert response.json()["results"] == [{"answer": 42}]


def test_a_body_that_is_not_json_is_still_a_clear_400(live_service):
    with live_service.client() as http:
        response = http.post(Q, content=b"sql=SELECT+1", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 400
    assert response.json()["type"] == "INVALIDINPUT"
    assert "not valid JSON" in response.json()["message"]


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs the curl command")
def test_plain_curl_d_runs_a_query(live_service):
    result = subprocess.run(
        [
            "curl",
            "-sS",
            "-H",
            f"Authorization: ApiKey {live_service.api_key}",
            "-d",
            BODY.decode(),
            live_service.base_url + Q,
        ],
        capture_output=True,
        timeout=60,
        check=True,
    )
    assert json.loads(result.stdout)["results"] == [{"answer": 42}]


def test_a_base_url_with_a_trailing_slash_works(live_service):
    base = live_service.base_url + "/"
    with httpx.Client(headers=live_service.headers, timeout=30) as http:
        body = http.post(base + Q, content=BODY).json()
        query_id = body["query_id"]
        assert http.get(f"{base}{Q}/{query_id}").json()["data"]["status"] == "COMPLETED"
        page = http.get(f"{base}{Q}/{query_id}/pages")
        assert page.status_code == 200 and page.json()["results"] == [{"answer": 42}]
    assert ("GET", f"{Q}/{query_id}/pages", "") in live_service.requests


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/orgs/self/users"),
        ("GET", "/v1/orgs/self/ws/commons/aliases"),
        ("POST", "/v1/orgs/self/integrations"),
        ("GET", "/v1/orgs/self/lambdas/tags/latest"),
        ("POST", "/v1/orgs/self/virtualinstances/vi1/queries"),
        ("POST", "/v1/public/shared_lambdas/abc"),
    ],
)
def test_rockset_endpoints_folio_does_not_implement_answer_501(live_service, method, path):
    with live_service.client() as http:
        response = http.request(method, path, json={} if method == "POST" else None)
    assert response.status_code == 501
    body = response.json()
    assert body["type"] == "NOTIMPLEMENTEDYET"
    assert path in body["message"]
    assert set(body) >= {"message", "type", "line", "column", "trace_id", "error_id", "query_id"}


def test_real_routes_keep_their_answers_next_to_the_catch_all(live_service):
    with live_service.client() as http:
        assert http.get(Q).status_code == 200
        unknown = http.get(f"{Q}/no-such-query")
        assert unknown.status_code == 404 and unknown.json()["type"] == "NOTFOUND"
        wrong_method = http.put(Q)
        assert wrong_method.status_code == 405
        assert wrong_method.json()["type"] == "METHODNOTALLOWED"
        for path in ("/v2/other", "/v1/orgs/self/no-such-resource", f"{Q}/x/y/z"):
            assert http.get(path).status_code == 404  # not a Rockset endpoint: not found


async def test_a_real_route_added_before_the_catch_all_takes_precedence():
    """How later Rockset routes (workspaces, lambdas) join: included before the catch-all,
    they answer; another method on their path is 405, not 501."""
    from fastapi import APIRouter, FastAPI

    from tui.server import errors, unimplemented

    catalog = APIRouter()

    @catalog.get("/v1/orgs/self/ws")
    async def list_workspaces() -> dict:
        return {"data": []}

    app = FastAPI()
    errors.install(app)
    app.include_router(catalog)
    app.include_router(unimplemented.router)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        assert (await http.get("/v1/orgs/self/ws")).json() == {"data": []}
        wrong = await http.post("/v1/orgs/self/ws", json={})
        assert wrong.status_code == 405 and wrong.headers["allow"] == "GET"
        assert (await http.get("/v1/orgs/self/ws/commons")).status_code == 501
