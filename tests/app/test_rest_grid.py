"""The grid over a token-paginated REST endpoint: a real local HTTP server speaking seed 003."""

from __future__ import annotations

import pytest

from tests.app.helpers import grid_lines, until
from tests.client.httpserver import serve
from tests.client.restapi import API_KEY, Rocketlane
from tui.app.rest import RestGridApp
from tui.client.rest_pager import RestPager


@pytest.fixture
def rocketlane():
    api = Rocketlane(items=950)
    with serve(api) as server:
        api.base_url = server.base_url
        yield api, server


async def test_rest_grid_pages_through_a_token_paginated_endpoint(rocketlane):
    api, server = rocketlane
    url = f"{server.base_url}/api/1.0/tasks"
    app = RestGridApp(url, lambda: RestPager(url, headers={"api-key": API_KEY}, page_size=100), page_size=100)
    async with app.run_test(size=(100, 30)) as pilot:
        grid = app.grid
        await until(pilot, lambda: grid.total == 950 and grid.cache.row(0) is not None)
        text = "\n".join(grid_lines(grid))
        assert "taskId" in text and "task 0" in text and '{"value":0}' in text
        assert grid.border_title.endswith("of 950")  # sized by totalRecordCount at once
        first_requests = len(server.requests)
        assert first_requests == 1
        await pilot.press("end")
        await until(pilot, lambda: grid.cache.row(949) is not None)
        assert "task 949" in "\n".join(grid_lines(grid))
        # a token API can only be walked forward: every page once, in order, one walk
        tokens = [r.query.get("pageToken") for r in server.requests]
        assert len(tokens) == 10 and tokens[0] is None and len(set(tokens[1:])) == 9
        assert all(r.headers.get("api-key") == API_KEY for r in server.requests)
        assert app.rows.walks == 1
        await pilot.press("home")
        await pilot.pause()
        assert "task 0" in "\n".join(grid_lines(grid))
        await app.rows.aclose()


async def test_rest_grid_shows_a_refused_key_and_keeps_running(rocketlane):
    api, server = rocketlane
    url = f"{server.base_url}/api/1.0/tasks"
    app = RestGridApp(url, lambda: RestPager(url, headers={"api-key": "wrong"}, page_size=100), page_size=100)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: "✗" in str(app.status_line.render()))
        assert "401" in str(app.status_line.render()) or "nauthori" in str(app.status_line.render())
        assert app.is_running
        await app.rows.aclose()
