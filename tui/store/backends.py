"""What the store is made of, as interfaces: a registry of queries and a home for results.

The embedded default is SQLite (:class:`tui.store.registry.Registry`) and result directories
on the local disk (:class:`tui.store.store.Store`). For several service replicas sharing one
store, :mod:`tui.store.pg_registry` keeps the registry in PostgreSQL and
:mod:`tui.store.cluster` keeps results in S3 (:mod:`tui.store.s3`). The service talks to the
store only through these methods, so it cannot tell which it has.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from tui.store.registry import QueryRecord
    from tui.wire import QueryStatus


class BackendUnavailable(RuntimeError):
    """A shared backend (the registry's database, the object store) cannot be reached: the
    service answers 503 with the error model, and the request may be retried."""


class QueryRegistry(Protocol):
    """One durable row per query: the source of truth for its state."""

    def insert(self, record: QueryRecord) -> None: ...
    def save(self, record: QueryRecord) -> None: ...
    def get(self, query_id: str, org: str | None = None) -> QueryRecord | None: ...
    def list_page(
        self, org: str, now: datetime, *, after: tuple[float, int] | None, limit: int
    ) -> list[tuple[QueryRecord, tuple[float, int]]]: ...
    def sql_bytes(self) -> int: ...
    def set_sql(self, query_id: str, sql: str) -> None: ...
    def with_status(self, *statuses: QueryStatus) -> list[QueryRecord]: ...
    def expired(self, now: datetime) -> list[QueryRecord]: ...
    def delete(self, query_id: str) -> None: ...
    def directories(self) -> set[str]: ...
    def count_running(self, org: str) -> int: ...
    def close(self) -> None: ...
