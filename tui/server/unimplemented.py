"""Rockset endpoints folio does not implement answer ``501`` with the error model.

Rockset's API has many more calls than folio serves (workspaces, collections, lambdas, users,
integrations…). A client calling one should learn "not implemented here" (``501``, type
``NOTIMPLEMENTEDYET``, Rockset's own value), not "no such thing" (``404``, which folio keeps for
unknown query ids). These are catch-all routes: :func:`tui.server.app.create_app` includes this
router after every real one, so any route registered before it takes precedence, and a path a
real route serves with another method still answers ``405``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.routing import Match
from starlette.types import Scope

from tui.server.errors import ApiError
from tui.wire import API_PREFIX, ErrorType

router = APIRouter(include_in_schema=False)
_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def _allowed(request: Request) -> list[str]:
    """Methods a real route serves on this path (empty when none does)."""
    scope: Scope = request.scope
    methods: set[str] = set()
    for route in request.app.router.routes:
        if getattr(route, "original_router", None) is router:  # this catch-all itself
            continue
        for method in _METHODS:
            match, _ = route.matches({**scope, "method": method})
            if match is Match.FULL:
                methods.add(method)
    return sorted(methods)


async def _not_implemented(request: Request) -> None:
    allowed = _allowed(request)
    if allowed:
        raise ApiError(
            405,
            ErrorType.METHODNOTALLOWED,
            f"method {request.method} is not allowed on {request.url.path}",
            headers={"Allow": ", ".join(allowed)},
        )
    raise ApiError(
        501,
        ErrorType.NOTIMPLEMENTEDYET,
        f"folio does not implement {request.method} {request.url.path}; it serves Rockset's query API "
        f"({API_PREFIX}/queries)",
    )


#: Rockset's resources under ``/v1/orgs/self`` (its API reference: aliases, collections,
#: integrations, query lambdas, custom roles, users and their API keys, views, virtual
#: instances, workspaces with everything inside them) and its public shared lambdas. Other
#: paths, and unknown paths under ``queries``, stay ``404``.
RESOURCES = ("aliases", "collections", "integrations", "lambdas", "roles", "users", "views", "virtualinstances", "ws")


async def not_implemented(request: Request) -> None:
    await _not_implemented(request)


for _prefix in [f"{API_PREFIX}/{name}" for name in RESOURCES] + ["/v1/public/shared_lambdas"]:
    router.add_api_route(_prefix, not_implemented, methods=_METHODS)
    router.add_api_route(_prefix + "/{rest:path}", not_implemented, methods=_METHODS)
