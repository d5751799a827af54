"""Small REST APIs for RestPager tests, served by tests.client.httpserver.

``Rocketlane`` implements seed 003: ``pageSize``/``pageToken`` in, ``data`` +
``pagination{pageSize, hasMore, totalRecordCount, nextPageToken, nextPage}`` out, an
``api-key`` header, tokens that expire (on demand, so tests need no clock). ``StripeLike`` is
the same idea under other names: ``limit``/``starting_after`` and ``data``/``has_more``.
"""

from __future__ import annotations

import threading
import uuid
from urllib.parse import urlencode

from tests.client.httpserver import Reply, Request

API_KEY = "rl-test-key"


class Rocketlane:
    def __init__(
        self, items: int = 95, *, with_next_page: bool = True, max_page_size: int = 100, tokens_expire: bool = False
    ):
        self.items = [{"taskId": i, "taskName": f"task {i}", "status": {"value": i % 3}} for i in range(items)]
        self.with_next_page = with_next_page
        self.max_page_size = max_page_size
        self.base_url = ""  # set once the server runs (for nextPage)
        self.tokens: dict[str, int] = {}
        self.expired: set[str] = set()
        #: every token expires as soon as it is handed out (a consumer slower than the lifetime)
        self.tokens_expire = tokens_expire
        self._lock = threading.Lock()

    def expire_tokens(self) -> None:
        """Every token handed out so far expires now (Rocketlane: after 15 minutes)."""
        with self._lock:
            self.expired |= set(self.tokens)

    def __call__(self, request: Request) -> Reply:
        if request.headers.get("api-key") != API_KEY:
            return Reply.json({"message": "Unauthorized"}, 401)
        if request.path != "/api/1.0/tasks":
            return Reply.json({"message": "not found"}, 404)
        size = int(request.query.get("pageSize") or 100)
        size = 100 if size > self.max_page_size else size  # seed 003: over 100 means 100
        token = request.query.get("pageToken")
        start = 0
        if token:
            with self._lock:
                if token in self.expired:
                    return Reply.json({"errors": [{"errorMessage": "pageToken has expired or is invalid"}]}, 400)
                if token not in self.tokens:
                    return Reply.json({"errors": [{"errorMessage": "invalid pageToken"}]}, 400)
                start = self.tokens[token]
        if request.query.get("sortOrder") == "DESC":
            ordered = list(reversed(self.items))
        else:
            ordered = self.items
        page = ordered[start : start + size]
        has_more = start + size < len(ordered)
        pagination: dict = {"pageSize": size, "hasMore": has_more, "totalRecordCount": len(ordered)}
        if has_more:
            next_token = str(uuid.uuid4())
            with self._lock:
                self.tokens[next_token] = start + size
                if self.tokens_expire:
                    self.expired.add(next_token)
            pagination["nextPageToken"] = next_token
            if self.with_next_page:
                params = {"pageSize": size, "pageToken": next_token}
                params.update({k: v for k, v in request.query.items() if k not in params})
                pagination["nextPage"] = f"{self.base_url}/api/1.0/tasks?{urlencode(params)}"
        return Reply.json({"data": page, "pagination": pagination})


class StripeLike:
    def __init__(self, items: int = 23):
        self.items = [{"id": f"cus_{i:04d}", "n": i} for i in range(items)]

    def __call__(self, request: Request) -> Reply:
        if request.headers.get("authorization") != "Bearer sk_test":
            return Reply.json({"error": {"message": "Invalid API Key provided"}}, 401)
        limit = int(request.query.get("limit") or 10)
        after = request.query.get("starting_after")
        start = 0
        if after:
            start = next(i for i, item in enumerate(self.items) if item["id"] == after) + 1
        page = self.items[start : start + limit]
        return Reply.json(
            {"object": "list", "url": "/v1/customers", "data": page, "has_more": start + limit < len(self.items)}
        )
