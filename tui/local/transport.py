"""The app's httpx transport to its local service: a service that has gone is started again.

A local service may exit while an app is open (``folio service stop``, a crash, the machine
running out of memory). The user should not have to know: the next request finds the socket
refusing, starts the service for the same spec again (it reopens the same result store, so
stored results are all there; queries it was running ended with it) and is sent once more.
The API key changes with the service, so this transport sets the ``Authorization`` header
itself, for the service it is talking to.
"""

from __future__ import annotations

import asyncio

import httpx

from tui.local.launch import LocalService, start
from tui.local.spec import ServiceSpec


class LocalTransport(httpx.AsyncBaseTransport):
    def __init__(self, spec: ServiceSpec, service: LocalService) -> None:
        self.spec = spec
        self.service = service
        self._inner = httpx.AsyncHTTPTransport(uds=service.socket)
        self._restarting = asyncio.Lock()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        service = self.service
        request.headers["Authorization"] = f"ApiKey {service.api_key}"
        try:
            return await self._inner.handle_async_request(request)
        except httpx.ConnectError:
            await self._restart(service)
        request.headers["Authorization"] = f"ApiKey {self.service.api_key}"
        return await self._inner.handle_async_request(request)

    async def _restart(self, gone: LocalService) -> None:
        async with self._restarting:
            if self.service is not gone:
                return  # another request has already started it again
            self.service = await asyncio.to_thread(lambda: start(self.spec).wait())
            old, self._inner = self._inner, httpx.AsyncHTTPTransport(uds=self.service.socket)
            await old.aclose()

    async def aclose(self) -> None:
        await self._inner.aclose()
