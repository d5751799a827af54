"""What the client hands back: frozen, typed snapshots of a query and of one page of its rows.

They are plain dataclasses, not the wire models, so the app can keep them in caches and pass
them between workers and widgets without caring how the server spelled things.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from tui.wire import ColumnField, PageResponse, QueryResponse, QueryStatus

__all__ = ["Column", "Page", "QueryResult", "columns_of"]


class Column(NamedTuple):
    """A result column: its name and the engine's type name (``""`` when the server has none)."""

    name: str
    type: str


def columns_of(fields: list[ColumnField] | None, rows: list[dict[str, Any]] | None = None) -> tuple[Column, ...]:
    """Columns from ``column_fields``, or, for a server that sends none, the keys of the first row."""
    if fields:
        return tuple(Column(f.name, f.type) for f in fields)
    if rows:
        return tuple(Column(str(name), "") for name in rows[0])
    return ()


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a stored result.

    ``offset`` is the absolute row number of ``rows[0]`` (``None`` only for a cursor page whose
    position the server did not reveal). ``total`` is ``None`` while the query is still running.
    ``next_offset``/``next_cursor`` are ``None`` at the end of a finished result.
    """

    query_id: str
    status: QueryStatus | None
    rows: list[dict[str, Any]]
    columns: tuple[Column, ...]
    offset: int | None
    total: int | None
    next_cursor: str | None = None
    next_offset: int | None = None
    start_cursor: str | None = None
    elapsed_ms: float = 0.0
    #: folio: each column's longest value as text over the result (0: not measured); ``None``
    #: from a server that does not say
    column_widths: tuple[int, ...] | None = None

    @property
    def count(self) -> int:
        return len(self.rows)

    @property
    def end(self) -> int | None:
        """Absolute offset just past the last row of this page."""
        return None if self.offset is None else self.offset + len(self.rows)

    @property
    def is_last(self) -> bool:
        """True when no row follows this page and none will (the query has finished)."""
        finished = self.status is None or self.status.is_final
        return finished and self.next_cursor is None and self.next_offset is None

    @classmethod
    def from_response(cls, query_id: str, body: PageResponse, *, offset: int | None, elapsed_ms: float) -> Page:
        pagination = body.pagination
        rows = body.results or []
        next_cursor = pagination.next_cursor if pagination else None
        next_offset = pagination.next_cursor_offset if pagination and next_cursor else None
        if offset is None:
            # A cursor page: work out where it starts from what the server said about the next one.
            if next_offset is not None:
                offset = next_offset - len(rows)
            elif body.results_total_doc_count is not None and body.status in (None, QueryStatus.COMPLETED):
                offset = body.results_total_doc_count - len(rows)
        return cls(
            query_id=query_id,
            status=body.status,
            rows=rows,
            columns=columns_of(body.column_fields, rows),
            offset=offset,
            total=body.results_total_doc_count,
            next_cursor=next_cursor,
            next_offset=next_offset,
            start_cursor=pagination.start_cursor if pagination else None,
            elapsed_ms=elapsed_ms,
            column_widths=tuple(body.column_widths) if body.column_widths else None,
        )


@dataclass(frozen=True, slots=True)
class QueryResult:
    """The answer to running a query.

    For a sync or quickly finished query, ``rows`` holds the first page (or everything, when
    not paginated) and ``total`` the whole count. For an async query still going, ``status`` is
    ``QUEUED``/``RUNNING``, ``rows`` is empty, and the rows are read later with
    :meth:`QueryClient.page`.
    """

    query_id: str
    status: QueryStatus | None
    rows: list[dict[str, Any]]
    columns: tuple[Column, ...]
    total: int | None
    offset: int = 0
    next_cursor: str | None = None
    next_offset: int | None = None
    start_cursor: str | None = None
    #: the server's own elapsed time when it reports one, else the round trip seen by the client
    elapsed_ms: float = 0.0
    paginated: bool = False
    warnings: tuple[str, ...] = field(default_factory=tuple)
    #: as :attr:`Page.column_widths`
    column_widths: tuple[int, ...] | None = None

    @property
    def count(self) -> int:
        return len(self.rows)

    @property
    def is_finished(self) -> bool:
        return self.status is None or self.status.is_final

    @property
    def is_complete(self) -> bool:
        """True when ``rows`` is the whole result: nothing more to page."""
        return self.is_finished and self.next_cursor is None

    @classmethod
    def from_response(cls, body: QueryResponse, *, elapsed_ms: float) -> QueryResult:
        pagination = body.pagination
        rows = body.results or []
        next_cursor = pagination.next_cursor if pagination else None
        total = body.results_total_doc_count
        if (
            total is None
            and pagination is None
            and body.results is not None
            and body.status
            in (
                None,
                QueryStatus.COMPLETED,
            )
        ):
            total = len(rows)  # an unpaginated answer is the whole result
        server_ms = body.stats.elapsed_time_ms if body.stats else None
        return cls(
            query_id=body.query_id or "",
            status=body.status,
            rows=rows,
            columns=columns_of(body.column_fields, rows),
            total=total,
            next_cursor=next_cursor,
            next_offset=(pagination.next_cursor_offset if pagination and next_cursor else None),
            start_cursor=pagination.start_cursor if pagination else None,
            elapsed_ms=float(server_ms) if server_ms is not None else elapsed_ms,
            paginated=pagination is not None,
            warnings=tuple(body.warnings or ()),
            column_widths=tuple(body.column_widths) if body.column_widths else None,
        )


@dataclass(frozen=True, slots=True)
class FindResult:
    """The answer to one find request (:meth:`QueryClient.find`).

    ``match`` is the row found (and ``column`` the first column of it that matched). With no
    match, ``done`` says whether the scan reached the end (start, going backwards) of the
    result; if not, it stopped at ``scanned_to`` and a new request continues from there.
    """

    match: int | None
    column: str | None
    scanned_to: int
    done: bool
