"""Pages as Arrow: folio's bulk-transfer extension of the ``/pages`` endpoint.

Asking for ``Accept: application/vnd.apache.arrow.stream`` gets the same rows as an Arrow IPC
stream instead of JSON; the page's metadata moves to response headers. It is several times
faster to produce and to read than JSON, and it keeps the engine's types (timestamps stay
timestamps, structs stay structs, and each field's ``folio.type`` metadata names the engine's
type), which is what a faithful Parquet export needs. A server that does not speak it (real
Rockset) answers JSON, and the caller falls back to :class:`~tui.client.results.Page`.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pyarrow as pa

from tui.client.errors import ProtocolError
from tui.client.results import Column
from tui.wire import QueryStatus

__all__ = ["ARROW_STREAM", "TYPE_KEY", "ArrowPage", "parse_arrow_page"]

ARROW_STREAM = "application/vnd.apache.arrow.stream"
#: field metadata key carrying the engine's type name (see tui/engines/base.py)
TYPE_KEY = b"folio.type"


@dataclass(frozen=True, slots=True)
class ArrowPage:
    """One page as an Arrow table; same meaning of ``offset``/``total``/``next_offset`` as
    :class:`~tui.client.results.Page`."""

    query_id: str
    status: QueryStatus | None
    table: pa.Table
    offset: int
    total: int | None
    next_offset: int | None
    elapsed_ms: float = 0.0

    @property
    def count(self) -> int:
        return self.table.num_rows

    @property
    def columns(self) -> tuple[Column, ...]:
        out = []
        for f in self.table.schema:
            raw = (f.metadata or {}).get(TYPE_KEY)
            out.append(Column(f.name, raw.decode() if raw else str(f.type)))
        return tuple(out)


def _int_header(response: httpx.Response, name: str) -> int | None:
    raw = response.headers.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise ProtocolError(f"header {name} is not an integer: {raw!r}") from None


def parse_arrow_page(query_id: str, response: httpx.Response, *, offset: int, elapsed_ms: float) -> ArrowPage:
    """An :class:`ArrowPage` from a read Arrow response; zero-copy over the response body."""
    try:
        reader = pa.ipc.open_stream(pa.py_buffer(response.content))
        table = reader.read_all()
    except (pa.ArrowInvalid, OSError) as exc:
        raise ProtocolError(f"the server sent an unreadable Arrow stream: {exc}") from None
    raw_status = response.headers.get("folio-status")
    try:
        status = QueryStatus(raw_status) if raw_status else None
    except ValueError:
        raise ProtocolError(f"unknown query status {raw_status!r}") from None
    return ArrowPage(
        query_id=query_id,
        status=status,
        table=table,
        offset=offset,
        total=_int_header(response, "folio-total-doc-count"),
        next_offset=_int_header(response, "folio-next-offset"),
        elapsed_ms=elapsed_ms,
    )
