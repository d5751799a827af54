"""What a source's catalog is: schemas, tables and views with their columns, and SQL functions.

Shared by the engines (which read it), the service (which serves it as Rockset workspaces and
collections) and the client and app (which browse and complete from it), like :mod:`tui.wire`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple


class Column(NamedTuple):
    # named tuples, not dataclasses: a 5,000-table catalog has ~50,000 of them, built per read
    name: str
    type: str


class Relation(NamedTuple):
    """A table or view. ``kind`` is ``"TABLE"`` or ``"VIEW"``."""

    schema: str
    name: str
    kind: str
    columns: tuple[Column, ...] = ()
    #: the engine's estimate of the row count, if it keeps one cheaply (views: None)
    row_estimate: int | None = None
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class Catalog:
    engine: str
    #: every schema the caller may use, including empty ones, in the engine's order
    schemas: tuple[str, ...]
    relations: tuple[Relation, ...]
    #: names of the SQL functions the engine knows (for completion), sorted, distinct
    functions: tuple[str, ...] = field(default=())

    def in_schema(self, schema: str) -> list[Relation]:
        return [r for r in self.relations if r.schema == schema]
