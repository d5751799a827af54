"""What an engine is: something that turns (sql, parameters) into a stream of Arrow batches.

The store only ever sees Arrow record batches, so every engine (DuckDB, PostgreSQL, SQLite)
plugs into the same materialisation path. Column types travel with the schema as field
metadata, so a stored result knows its own ``column_fields`` without asking the engine again.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from typing import Any

import pyarrow as pa

#: Field metadata keys. ``TYPE`` is the engine's own type name (shown in ``column_fields``);
#: ``JSON`` marks string columns whose values are JSON documents, served as nested JSON.
TYPE_KEY = b"folio.type"
JSON_KEY = b"folio.json"


class EngineError(Exception):
    """Base of everything an engine raises on purpose."""

    def __init__(self, message: str, *, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


class SqlError(EngineError):
    """The database rejected the statement (syntax, binding, runtime error)."""


class ParameterError(EngineError):
    """A ``:name`` in the SQL has no value, or a value does not fit its declared type."""


class Cancelled(EngineError):
    """The execution was cancelled through :meth:`Execution.cancel`."""


class Execution(ABC):
    """One running statement. ``cancel`` is safe to call from any thread at any time.

    ``schema`` is final once :meth:`batches` has yielded its first batch or returned; engines
    may only know it then (the query runs inside the first fetch).
    """

    schema: pa.Schema

    @abstractmethod
    def batches(self) -> Iterator[pa.RecordBatch]:
        """Yield record batches of bounded size until the result is exhausted.

        Raises :class:`Cancelled` after :meth:`cancel`, :class:`SqlError` on a runtime error.
        """

    @abstractmethod
    def cancel(self) -> None: ...

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release the connection; called once, whatever happened."""


class Engine(ABC):
    """A source of query results. Engines are shared by concurrent queries (one thread each)."""

    #: short name shown in logs and ``folio serve`` output
    name: str = "engine"
    #: how named parameters are written for this engine's driver (see :mod:`tui.engines.params`)
    param_style: str = "dollar"
    #: the operator's ``--allow-writes``: every statement kind runs, with the engine's rights
    allow_writes: bool = False

    @abstractmethod
    def start(self, sql: str, params: Mapping[str, Any]) -> Execution:
        """Start ``sql`` and return its execution at once.

        Only what needs no database work happens here (parsing, the statement-kind check of
        :meth:`check`), so that everything that may take time runs inside
        :meth:`Execution.batches`, where :meth:`Execution.cancel` reaches it.
        """

    def check(self, sql: str) -> str:
        """Parse ``sql`` (already bound to this engine's parameter style) without running it:
        its statement kind, :class:`SqlError` if it does not parse, or
        :class:`~tui.engines.statements.StatementNotAllowed` if it is not a reading statement and
        writes are not allowed. The default is the conservative first-keyword reading."""
        from tui.engines.statements import check_keyword, keyword_kind

        return keyword_kind(sql) if self.allow_writes else check_keyword(sql)

    def validate(self, sql: str) -> str:
        """:meth:`check`, and as much more parsing as the engine can do without running ``sql``
        (``POST /queries/validations``). :meth:`check` must stay cheap: it runs before every
        query; this may cost a round trip."""
        return self.check(sql)

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release every resource; the engine is not used afterwards."""

    def check_syntax(self, sql: str) -> None:  # noqa: B027 - optional hook
        """Raise :class:`SqlError` if ``sql`` (with ``:name`` parameters) does not parse as one
        statement. Used to validate saved queries before they are ever run; an engine without
        a parser of its own accepts everything here, and a bad statement fails when it runs."""

    def describe(self) -> str:
        return self.name


def typed_field(field: pa.Field, type_name: str, *, is_json: bool = False) -> pa.Field:
    """``field`` with folio's type metadata attached."""
    meta = dict(field.metadata or {})
    meta[TYPE_KEY] = type_name.encode()
    if is_json:
        meta[JSON_KEY] = b"1"
    return field.with_metadata(meta)


def field_type_name(field: pa.Field) -> str:
    """The engine type name stored on ``field``, or Arrow's own name when there is none."""
    meta = field.metadata or {}
    raw = meta.get(TYPE_KEY)
    return raw.decode() if raw else str(field.type)


def is_json_field(field: pa.Field) -> bool:
    return (field.metadata or {}).get(JSON_KEY) == b"1"
