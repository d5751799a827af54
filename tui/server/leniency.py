"""What plain HTTP tools send, accepted as it is meant.

* ``curl -d '{…}'`` declares its body ``application/x-www-form-urlencoded``, and some tools send
  no ``Content-Type`` at all. Every body folio's API accepts is JSON, so a POST, PUT or PATCH
  under ``/v1/`` is read as JSON whatever its declared type (a body that is not JSON still gets
  the route's clear 400).
* A base URL configured with a trailing slash makes paths like ``//v1/orgs/self/queries``:
  runs of slashes in the path are read as one.
"""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Receive, Scope, Send

_SLASHES = re.compile(r"/{2,}")
_SLASHES_RAW = re.compile(rb"/{2,}")
_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})


def _is_json(content_type: bytes) -> bool:
    media = content_type.split(b";", 1)[0].strip().lower()
    return media == b"application/json" or media.endswith(b"+json")


class Leniency:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope = self._normalised(scope)
        await self.app(scope, receive, send)

    @staticmethod
    def _normalised(scope: Scope) -> Scope:
        path: str = scope["path"]
        if "//" in path:
            scope = dict(scope)
            path = scope["path"] = _SLASHES.sub("/", path)
            if scope.get("raw_path"):
                scope["raw_path"] = _SLASHES_RAW.sub(b"/", scope["raw_path"])
        if scope["method"] in _WITH_BODY and path.startswith("/v1/"):
            headers = scope["headers"]
            declared = [value for name, value in headers if name == b"content-type"]
            if not (len(declared) == 1 and _is_json(declared[0])):
                scope = dict(scope)
                scope["headers"] = [(n, v) for n, v in headers if n != b"content-type"] + [
                    (b"content-type", b"application/json")
                ]
        return scope
