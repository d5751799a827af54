"""httpx plumbing shared by :class:`~tui.client.QueryClient` and :class:`~tui.client.RestPager`."""

from __future__ import annotations

import httpx

_EMPTY = httpx.ByteStream(b"")


def detach(response: httpx.Response) -> httpx.Response:
    """Break the reference cycle between a fully read ``response`` and its stream.

    httpx binds each response's stream back to the response (to record ``elapsed`` on close), so
    a finished response, body included, is freed only when Python's cyclic GC runs, not when the
    last reference goes. For multi-megabyte Arrow pages that let the client's memory climb by
    tens of pages' worth before a collection; with the cycle broken, each body is freed as soon
    as the page built from it is. The body stays readable through ``response.content``.
    """
    response.stream = _EMPTY
    return response
