"""Connection limits for ``folio serve``: what a client may hold before it sends a key.

uvicorn accepts every connection and waits for a request head as long as the client likes, so
~20,000 idle or half-open connections (no key needed) used up the process's file descriptors
and every request failed. This protocol, uvicorn's own HTTP protocol with three checks added,
bounds what such clients can hold:

* **connections**: at most ``max_connections`` open at once. One more arriving closes the
  connection that has been waiting longest without a request in progress (idle, or still
  sending its head), so a real request always gets in; if every connection is busy with a
  request, the newcomer gets ``503``.
* **head time**: a request head (request line and headers) must arrive whole within
  ``header_timeout_s`` of its first byte (or of the connection opening); else ``408`` and the
  connection is closed (slowloris). Idle keep-alive connections keep uvicorn's own timeout.
* **head size**: a head larger than ``max_header_bytes`` gets ``431 Request Header Fields Too
  Large``.

Answers use the error model, like every other error of the service. Failed authentication is
throttled separately, per client address (:mod:`tui.server.throttle`).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from tui.server.errors import error_body
from tui.wire import ErrorType

_HEAD_END = b"\r\n\r\n"
_REASONS = {408: b"Request Timeout", 431: b"Request Header Fields Too Large", 503: b"Service Unavailable"}


@dataclass(frozen=True)
class ConnectionLimits:
    max_connections: int = 1024
    header_timeout_s: float = 10.0
    max_header_bytes: int = 32 * 1024


def guarded_protocol(limits: ConnectionLimits) -> type[HttpToolsProtocol]:
    """uvicorn's httptools protocol bounded by ``limits`` (pass as ``uvicorn.Config(http=…)``)."""
    return type("GuardedHttpProtocol", (GuardedHttpProtocol,), {"limits": limits})


class GuardedHttpProtocol(HttpToolsProtocol):
    limits: ConnectionLimits = ConnectionLimits()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._busy = False  # a request is being answered
        self._since = time.monotonic()  # since when it has been idle or sending a head
        self._head_timer: asyncio.TimerHandle | None = None
        self._start_head()
        self._arm_head_timer()
        if len(self.connections) > self.limits.max_connections:
            self._make_room()

    # -- the connection bound ----------------------------------------------------------------

    def _make_room(self) -> None:
        waiting = [c for c in self.connections if isinstance(c, GuardedHttpProtocol) and not c._busy and c is not self]
        if waiting:
            oldest = min(waiting, key=lambda c: c._since)
            oldest._close()
            return
        self._refuse(503, ErrorType.SERVICEUNAVAILABLE, "too many connections; try again shortly")

    # -- the request head: time and size ----------------------------------------------------

    def _start_head(self) -> None:
        self._in_head = True
        self._head_bytes = 0
        self._tail = b""

    def _arm_head_timer(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self.limits.header_timeout_s, self._head_timed_out)

    def _disarm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self._in_head and not self.transport.is_closing():
            seconds = f"{self.limits.header_timeout_s:g}"
            self._refuse(408, ErrorType.BADREQUEST, f"the request head did not arrive within {seconds} s")

    def data_received(self, data: bytes) -> None:
        if self._in_head and not self._head_fits(data):
            limit = f"{self.limits.max_header_bytes:,}"
            self._refuse(431, ErrorType.BADREQUEST, f"the request line and headers are larger than {limit} bytes")
            return
        super().data_received(data)

    def _head_fits(self, data: bytes) -> bool:
        """Count the head's bytes in ``data`` (the head ends at the first blank line)."""
        self._arm_head_timer()  # the first byte of a new request starts its clock
        window = self._tail + data
        end = window.find(_HEAD_END)
        in_data = len(data) if end < 0 else end + len(_HEAD_END) - len(self._tail)
        self._head_bytes += in_data
        self._tail = window[-(len(_HEAD_END) - 1) :]
        return self._head_bytes <= self.limits.max_header_bytes

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._busy = True
        self._disarm_head_timer()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._start_head()  # what comes next on this connection is the next request's head

    def on_response_complete(self) -> None:
        self._busy = False
        self._since = time.monotonic()
        super().on_response_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_timer()
        super().connection_lost(exc)

    # -- answers -----------------------------------------------------------------------------

    def _refuse(self, status: int, type_: ErrorType, message: str) -> None:
        body = orjson.dumps(error_body(type_.value, message))
        head = (
            b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncache-control: no-store\r\n"
            b"content-length: %d\r\nconnection: close\r\n\r\n" % (status, _REASONS[status], len(body))
        )
        if not self.transport.is_closing():
            self.transport.write(head + body)
        self._close()

    def _close(self) -> None:
        self._disarm_head_timer()
        self._in_head = False
        if not self.transport.is_closing():
            self.transport.close()
