"""The ``Authorization: ApiKey <key>`` scheme, and the rule that a key is never shown whole."""

from __future__ import annotations

from collections.abc import Generator

import httpx

__all__ = ["ApiKeyAuth", "mask_key"]


def mask_key(key: str | None) -> str:
    """A form of ``key`` safe to print or log: enough to tell two keys apart, not enough to use.

    Short keys show nothing at all, since a few characters of a short key are a real hint.
    """
    if not key:
        return "(none)"
    if len(key) < 12:
        return "*" * 4
    return f"{key[:4]}…{key[-2:]}"


class ApiKeyAuth(httpx.Auth):
    """Adds ``Authorization: ApiKey <key>`` to every request.

    An ``httpx.Auth`` rather than a default header so the key never appears in the client's
    ``headers`` (which people print when debugging), and ``repr`` masks it.
    """

    def __init__(self, api_key: str):
        self._header = f"ApiKey {api_key}"
        self._masked = mask_key(api_key)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request

    def __repr__(self) -> str:
        return f"ApiKeyAuth({self._masked})"
