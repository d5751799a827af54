"""The same service in-process, through httpx's ASGI transport (the app's embedded mode)."""

from __future__ import annotations

from urllib.parse import quote

import httpx

from tests.server.test_queries import Q


async def test_every_endpoint_in_process(embedded_service):
    async with httpx.AsyncClient(
        transport=embedded_service.transport, base_url=embedded_service.base_url, headers=embedded_service.headers
    ) as http:
        body = (
            await http.post(Q, json={"sql": {"query": "SELECT * FROM range(30) t(i)"}, "max_initial_results": 10})
        ).json()
        path = f"{Q}/{quote(body['query_id'], safe='')}"
        page = (
            await http.get(f"{path}/pages", params={"cursor": body["pagination"]["next_cursor"], "docs": 10})
        ).json()
        old_style = (await http.get(f"{path}/pages/{body['pagination']['next_cursor']}", params={"docs": 2})).json()
        info = (await http.get(path)).json()["data"]
        listed = (await http.get(Q)).json()["data"]
        dropped = (await http.delete(path)).json()["data"]
        after = await http.get(path)
    assert [r["i"] for r in page["results"]] == list(range(10, 20))
    assert [r["i"] for r in old_style["results"]] == [10, 11]
    assert info["status"] == "COMPLETED" and listed[0]["query_id"] == body["query_id"]
    assert dropped["query_id"] == body["query_id"] and after.status_code == 404
    seen = [(method, path_) for method, path_, _ in embedded_service.requests]
    assert ("DELETE", f"{Q}/{body['query_id']}") in seen
