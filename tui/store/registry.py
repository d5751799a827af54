"""The registry: one SQLite row per query, so finished results survive a restart.

It records who ran what, its state and timestamps, its statistics and where its result set
lives. The result set directory name is generated here and never derived from user input.
SQLite in WAL mode with one connection guarded by a lock: registry writes are a handful per
query, so contention is not a concern, and durability is SQLite's.
"""

from __future__ import annotations

import copy
import json
import sqlite3
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tui.wire import QueryStatus

_SCHEMA = """
CREATE TABLE IF NOT EXISTS queries (
    query_id     TEXT PRIMARY KEY,
    org          TEXT NOT NULL,
    executed_by  TEXT NOT NULL,
    sql          TEXT NOT NULL,
    status       TEXT NOT NULL,
    directory    TEXT NOT NULL,
    submitted_at REAL NOT NULL,
    started_at   REAL,
    finished_at  REAL,
    expires_at   REAL,
    row_count    INTEGER,
    byte_size    INTEGER,
    file_count   INTEGER,
    elapsed_ms   INTEGER,
    error        TEXT,
    columns      TEXT,
    query_lambda_path TEXT,
    derived_from TEXT
);
CREATE INDEX IF NOT EXISTS queries_org ON queries (org, submitted_at);
CREATE INDEX IF NOT EXISTS queries_expiry ON queries (expires_at);
"""


def _ts(moment: datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()


def _dt(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, tz=UTC)


@dataclass
class QueryRecord:
    query_id: str
    org: str
    executed_by: str
    sql: str
    status: QueryStatus
    directory: str
    submitted_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    expires_at: datetime | None = None
    row_count: int | None = None
    byte_size: int | None = None
    file_count: int | None = None
    elapsed_ms: int | None = None
    #: the error model of a failed query: {"type", "message", "line", "column"}
    error: dict[str, Any] | None = None
    #: column_fields of the result: [{"name", "type"}]
    columns: list[dict[str, str]] | None = field(default=None)
    #: ``workspace.lambda::version`` when the query is a query lambda's execution
    query_lambda_path: str | None = None
    #: the query whose stored result this one reads (``result('<id>')``, profile, frequency)
    derived_from: str | None = None

    def to_row(self) -> dict[str, Any]:
        # not dataclasses.asdict: it deep-copies every value only for them to be re-encoded
        # here, and it was ~1 ms of the ~10 ms CPU a small query costs
        row = {name: getattr(self, name) for name in _COLUMNS}
        row["status"] = self.status.value
        for key in ("submitted_at", "started_at", "finished_at", "expires_at"):
            row[key] = _ts(row[key])
        row["error"] = json.dumps(self.error) if self.error is not None else None
        row["columns"] = json.dumps(self.columns) if self.columns is not None else None
        return row

    @classmethod
    def from_row(cls, row: sqlite3.Row | dict[str, Any]) -> QueryRecord:
        data = dict(row)
        data["status"] = QueryStatus(data["status"])
        for key in ("submitted_at", "started_at", "finished_at", "expires_at"):
            data[key] = _dt(data[key])
        data["error"] = json.loads(data["error"]) if data["error"] else None
        data["columns"] = json.loads(data["columns"]) if data["columns"] else None
        return cls(**data)


_COLUMNS = [f.name for f in fields(QueryRecord)]
#: columns added after the first release, with their SQL type: a registry made before them
#: gains them at start-up (existing rows get NULL)
_ADDED_COLUMNS = {"query_lambda_path": "TEXT", "derived_from": "TEXT"}


def _migrate(db: sqlite3.Connection) -> None:
    """Add the columns later versions introduced to a registry an older folio created."""
    present = {row[1] for row in db.execute("PRAGMA table_info(queries)")}
    for name, sql_type in _ADDED_COLUMNS.items():
        if name not in present:
            db.execute(f"ALTER TABLE queries ADD COLUMN {name} {sql_type}")


_FINISHED_CACHE = 4096


class Registry:
    """Writes go through one connection, reads through another.

    A write commits with a full fsync (a COMPLETED state must survive a power cut), which can
    take long while the disk is busy writing result chunks. In WAL mode readers never wait for
    a writer, so with separate connections and locks a page request on the event loop never
    queues behind a worker thread's fsync.
    """

    def __init__(self, path: Path):
        self.path = path
        self._write_lock = threading.Lock()
        self._writer = self._connect(path)
        self._writer.execute("PRAGMA journal_mode=WAL")
        self._writer.execute("PRAGMA synchronous=FULL")
        self._writer.executescript(_SCHEMA)
        _migrate(self._writer)
        self._lock = threading.Lock()  # the reading connection's
        self._db = self._connect(path)
        # Queries in a final state change only by being deleted, and every page request looks
        # one up: they are kept here (the store's lock makes this process the only writer).
        self._finished: OrderedDict[str, QueryRecord] = OrderedDict()
        self._generation = 0  # bumped by every write, so a read racing one is not cached

    @staticmethod
    def _connect(path: Path) -> sqlite3.Connection:
        db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        db.row_factory = sqlite3.Row
        return db

    def close(self) -> None:
        with self._write_lock:
            self._writer.close()
        with self._lock:
            self._db.close()

    def insert(self, record: QueryRecord) -> None:
        row = record.to_row()
        marks = ", ".join(f":{name}" for name in _COLUMNS)
        with self._write_lock:
            self._writer.execute(f"INSERT INTO queries ({', '.join(_COLUMNS)}) VALUES ({marks})", row)

    def save(self, record: QueryRecord) -> None:
        """Write every field of ``record`` (the runner owns its record while it runs)."""
        row = record.to_row()
        assignments = ", ".join(f"{name} = :{name}" for name in _COLUMNS if name != "query_id")
        self._forget(record.query_id)
        with self._write_lock:
            self._writer.execute(f"UPDATE queries SET {assignments} WHERE query_id = :query_id", row)
        self._forget(record.query_id)

    def get(self, query_id: str, org: str | None = None) -> QueryRecord | None:
        """The query ``query_id``; with ``org``, only if it belongs to that org. Filtering in
        SQL makes another org's query cost exactly what a missing one costs: no timing tells
        them apart, and only the owner's look-ups are answered from memory."""
        with self._lock:
            cached = self._finished.get(query_id)
            if cached is not None and (org is None or cached.org == org):
                self._finished.move_to_end(query_id)
                return copy.copy(cached)
            generation = self._generation
            if org is None:
                row = self._db.execute("SELECT * FROM queries WHERE query_id = ?", (query_id,)).fetchone()
            else:
                row = self._db.execute(
                    "SELECT * FROM queries WHERE query_id = ? AND org = ?", (query_id, org)
                ).fetchone()
        if not row:
            return None
        record = QueryRecord.from_row(row)
        if record.status.is_final:
            with self._lock:
                if generation == self._generation:
                    self._finished[query_id] = copy.copy(record)
                    while len(self._finished) > _FINISHED_CACHE:
                        self._finished.popitem(last=False)
        return record

    def list_page(
        self, org: str, now: datetime, *, after: tuple[float, int] | None, limit: int
    ) -> list[tuple[QueryRecord, tuple[float, int]]]:
        """Up to ``limit`` unexpired queries of ``org``, newest first, from just after the
        position ``after`` (a previous row's ``(submitted_at, rowid)``), each with its own
        position: a list continues where it stopped even while new queries arrive."""
        where = "org = ? AND (expires_at IS NULL OR expires_at > ?)"
        args: list[Any] = [org, now.timestamp()]
        if after is not None:
            where += " AND (submitted_at < ? OR (submitted_at = ? AND rowid < ?))"
            args += [after[0], after[0], after[1]]
        with self._lock:
            rows = self._db.execute(
                f"SELECT rowid AS position, * FROM queries WHERE {where}"
                " ORDER BY submitted_at DESC, rowid DESC LIMIT ?",
                [*args, limit],
            ).fetchall()
        page = []
        for row in rows:
            data = dict(row)
            position = data.pop("position")
            page.append((QueryRecord.from_row(data), (data["submitted_at"], position)))
        return page

    def sql_bytes(self) -> int:
        """Bytes of SQL text the registry holds (they count against the store's quota)."""
        with self._lock:
            row = self._db.execute("SELECT coalesce(sum(length(CAST(sql AS BLOB))), 0) FROM queries").fetchone()
        return int(row[0])

    def set_sql(self, query_id: str, sql: str) -> None:
        self._forget(query_id)
        with self._write_lock:
            self._writer.execute("UPDATE queries SET sql = ? WHERE query_id = ?", (sql, query_id))
        self._forget(query_id)

    def with_status(self, *statuses: QueryStatus) -> list[QueryRecord]:
        marks = ", ".join("?" for _ in statuses)
        with self._lock:
            rows = self._db.execute(
                f"SELECT * FROM queries WHERE status IN ({marks})", [s.value for s in statuses]
            ).fetchall()
        return [QueryRecord.from_row(row) for row in rows]

    def expired(self, now: datetime) -> list[QueryRecord]:
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM queries WHERE expires_at IS NOT NULL AND expires_at <= ?", (now.timestamp(),)
            ).fetchall()
        return [QueryRecord.from_row(row) for row in rows]

    def delete(self, query_id: str) -> None:
        self._forget(query_id)
        with self._write_lock:
            self._writer.execute("DELETE FROM queries WHERE query_id = ?", (query_id,))
        self._forget(query_id)

    def _forget(self, query_id: str) -> None:
        """Called before a write (a read already under way is then not cached) and after it
        (nor is one that read the old row in between)."""
        with self._lock:
            self._generation += 1
            self._finished.pop(query_id, None)

    def directories(self) -> set[str]:
        with self._lock:
            return {row[0] for row in self._db.execute("SELECT directory FROM queries")}

    def count_running(self, org: str) -> int:
        with self._lock:
            row = self._db.execute(
                "SELECT count(*) FROM queries WHERE org = ? AND status IN ('QUEUED', 'RUNNING')", (org,)
            ).fetchone()
        return int(row[0])
