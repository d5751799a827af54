"""sqlite3's connection API over PostgreSQL, for stores written against SQLite.

The lambda store (:mod:`tui.store.lambdas`) is a few dozen short statements written for
sqlite3. A cluster keeps it in the shared PostgreSQL registry instead; rather than a second
copy of every statement, this translates the handful of dialect differences it uses:
``?`` placeholders, ``INSERT OR IGNORE``, ``BEGIN IMMEDIATE`` (one writer at a time: here a
transaction-level advisory lock, so replicas serialise their writes as SQLite's processes
do), SQLite's column types, and rows readable by name and by position.
"""

from __future__ import annotations

import re
import threading
import zlib
from collections.abc import Sequence
from typing import Any

import psycopg

from tui.store.pg_registry import RegistryUnavailable

_INSERT_OR_IGNORE = re.compile(r"^\s*INSERT\s+OR\s+IGNORE\s+(.*)$", re.IGNORECASE | re.DOTALL)
_TYPES = [(re.compile(r"\bREAL\b"), "DOUBLE PRECISION"), (re.compile(r"\bINTEGER\b"), "BIGINT")]
_WRITER_LOCK = (0x0F0110 << 32) | zlib.crc32(b"sqlite-style-writer")


class Row(tuple):
    """A row by position (``row[0]``) or by column name (``row["sql"]``), like sqlite3.Row."""

    _names: dict[str, int]

    def __getitem__(self, key):  # type: ignore[override]
        if isinstance(key, str):
            return tuple.__getitem__(self, self._names[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._names)


def _row_factory(cursor: psycopg.Cursor):
    names = {column.name: i for i, column in enumerate(cursor.description or [])}

    def make(values: Sequence[Any]) -> Row:
        row = Row(values)
        row._names = names
        return row

    return make


def translate(sql: str) -> str:
    text = sql.replace("?", "%s")
    match = _INSERT_OR_IGNORE.match(text)
    if match:
        text = "INSERT " + match.group(1).rstrip().rstrip(";") + " ON CONFLICT DO NOTHING"
    return text


class SqliteStylePg:
    """One autocommit PostgreSQL connection behind sqlite3's ``execute``/``executescript``
    (its callers hold their own lock, as they do around a sqlite3 connection)."""

    def __init__(self, dsn: str):
        try:
            self._conn = psycopg.connect(dsn, autocommit=True, row_factory=_row_factory)
        except psycopg.OperationalError as exc:
            raise RegistryUnavailable(f"the registry database is unreachable: {exc}") from None
        self._lock = threading.Lock()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> psycopg.Cursor:
        statement = sql.strip().upper()
        try:
            if statement.startswith("PRAGMA"):
                return self._conn.execute("SELECT 1")
            if statement == "BEGIN IMMEDIATE":
                self._conn.execute("BEGIN")
                return self._conn.execute("SELECT pg_advisory_xact_lock(%s)", (_WRITER_LOCK,))
            return self._conn.execute(translate(sql), [int(p) if isinstance(p, bool) else p for p in params])
        except psycopg.OperationalError as exc:
            raise RegistryUnavailable(f"the registry database is unreachable: {exc}") from None

    def executescript(self, script: str) -> None:
        for old, new in _TYPES:
            script = old.sub(new, script)
        with self._conn.transaction():
            self._conn.execute("SELECT pg_advisory_xact_lock(%s)", (_WRITER_LOCK,))
            for statement in script.split(";"):
                if statement.strip():
                    self._conn.execute(statement)

    def close(self) -> None:
        self._conn.close()
