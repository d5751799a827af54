"""Client fixtures: a QueryClient against the real service, over loopback HTTP and in-process."""

from __future__ import annotations

import pytest

from tui.client import QueryClient, RetryPolicy

#: fast, deterministic retries so retry tests do not sleep for seconds
FAST_RETRY = RetryPolicy(retries=4, base_delay=0.01, max_delay=0.05)


@pytest.fixture(params=["loopback", "in-process"])
def service(request):
    """The real service, once on a loopback port (uvicorn) and once in-process (ASGI)."""
    if request.param == "loopback":
        return request.getfixturevalue("live_service")
    return request.getfixturevalue("embedded_service")


@pytest.fixture
async def client(service):
    async with QueryClient(service.base_url, service.api_key, transport=service.transport, retry=FAST_RETRY) as c:
        yield c
