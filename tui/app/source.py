"""The app's data layer: exactly the calls it makes on :class:`tui.client.QueryClient`.

The app is written against this protocol, so the grid and the screens are tested with the real
client over the real service (in-process), and nothing here imports httpx or the server.
:class:`QueryRows` adapts a stored query result to the grid's :class:`RowSource`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from tui.app.grid.pages import RowPage

RUNNING_STATES = ("QUEUED", "RUNNING")
FINAL_STATES = ("COMPLETED", "ERROR", "CANCELLED")


class PageLike(Protocol):
    query_id: str
    status: Any
    rows: list[dict[str, Any]]
    columns: Sequence[tuple[str, str]]
    offset: int
    total: int | None
    elapsed_ms: float | None


class DataSource(Protocol):
    async def run(
        self,
        sql: str,
        *,
        parameters: Mapping[str, Any] | None = None,
        initial_docs: int | None = None,
        async_: bool = False,
        client_timeout_ms: int | None = None,
        timeout_ms: int | None = None,
    ) -> PageLike: ...

    async def page(self, query_id: str, *, offset: int, docs: int) -> PageLike: ...

    async def info(self, query_id: str) -> Any: ...

    async def list(self) -> list[Any]: ...

    async def cancel(self, query_id: str) -> Any: ...

    #: query lambdas (:class:`tui.client.lambdas.LambdaApi`): the Saved tab and ctrl+s
    @property
    def lambdas(self) -> Any: ...

    # exploring a stored result (find a row; profile and frequency are derived queries)
    async def find(
        self,
        query_id: str,
        text: str,
        *,
        column: str | None = None,
        start: int = 0,
        direction: str = "next",
        regex: bool = False,
        case: bool = False,
    ) -> Any: ...

    async def profile(self, query_id: str) -> PageLike: ...

    async def frequency(self, query_id: str, column: str) -> PageLike: ...


def status_name(status: Any) -> str:
    """``QueryStatus.RUNNING`` or ``"RUNNING"`` → ``"RUNNING"`` ("" for none)."""
    if status is None:
        return ""
    return str(getattr(status, "value", status)).upper()


def to_row_page(page: PageLike) -> RowPage:
    return RowPage(
        offset=page.offset or 0,
        rows=list(page.rows or []),
        columns=[(str(name), str(type_)) for name, type_ in (page.columns or [])],
        total=page.total,
        running=status_name(page.status) in RUNNING_STATES,
        elapsed_ms=getattr(page, "elapsed_ms", None),
        column_widths=list(getattr(page, "column_widths", None) or []) or None,
    )


class QueryRows:
    """The rows of one stored query result, fetched by absolute offset (one call per page)."""

    def __init__(self, source: DataSource, query_id: str) -> None:
        self.source = source
        self.query_id = query_id

    async def fetch(self, offset: int, docs: int) -> RowPage:
        return to_row_page(await self.source.page(self.query_id, offset=offset, docs=docs))


def info_rows(info: Any) -> int | None:
    stats = getattr(info, "stats", None)
    return getattr(stats, "result_set_document_count", None) if stats is not None else None


def info_bytes(info: Any) -> int | None:
    stats = getattr(info, "stats", None)
    return getattr(stats, "result_set_bytes_size", None) if stats is not None else None


def info_error(info: Any) -> Any | None:
    errors = getattr(info, "query_errors", None) or []
    return errors[0] if errors else None


def parse_ts(text: str) -> datetime:
    """A Rockset timestamp (``2026-11-22T12:00:00Z``). The same as ``tui.wire.parse_ts``, kept
    here so the app paints its first screen before pydantic is even imported."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
