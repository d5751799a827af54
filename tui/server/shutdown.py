"""Shutdown within its grace period: uvicorn's server, stopping every query as shutdown begins.

On SIGTERM (or Ctrl-C) uvicorn stops accepting connections, then waits up to the grace period
for responses in flight before it runs the app's own shutdown. A synchronous query's response
waits for its statement, which may run for an hour; so the statements are stopped first
(:meth:`tui.server.service.Service.stop_queries`), their responses answer at once with an
error saying the service stopped, and shutdown ends as soon as they have.
"""

from __future__ import annotations

import socket

import uvicorn

from tui.server.service import Service


class QueryServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, service: Service) -> None:
        super().__init__(config)
        self._service = service

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self._service.stop_queries()
        await super().shutdown(sockets)
