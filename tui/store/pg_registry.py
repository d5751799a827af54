"""The registry in PostgreSQL, shared by every replica of a folio service.

Same rows as the SQLite registry (:mod:`tui.store.registry`), plus what replicas need to
share:

* a **lease** per queued or running query (``lease_owner``, ``lease_until``): the replica
  running it renews it with every heartbeat; a query whose lease has run out was being run by a
  replica that stopped, and any replica may fail it (:meth:`PgRegistry.fail_stale`). Times are
  the database's clock, so replicas' clocks need not agree.
* a **cancel request** (``cancel_requested``) that the running replica picks up with its
  heartbeat, so ``DELETE`` works on any replica;
* ``lease_lost``: set when a query is failed for its lease, so a replica that was only slow
  (not dead) cannot overwrite that ERROR with a late COMPLETED;
* the cursor **secret** (one row of ``folio_secrets``), so a cursor from one replica is valid
  on all; the quota **usage** (``folio_usage``), counted across replicas;
* the **API keys** (``folio_keys``), as SHA-256 digests with their org and user, never the
  keys: every replica admits the same keys (:mod:`tui.server.shared_keys`); a revoked key keeps
  its row (``revoked``) so a replica restarted with it on its command line cannot bring it back;
* **advisory locks** (:meth:`PgRegistry.exclusive`) so the sweeper runs on one replica at a time.
"""

from __future__ import annotations

import contextlib
import secrets
import threading
import time
import uuid
import zlib
from collections import OrderedDict
from collections.abc import Iterator
from datetime import datetime

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from tui.store.backends import BackendUnavailable
from tui.store.pg_forget import Forgetter, notify
from tui.store.registry import _ADDED_COLUMNS, _COLUMNS, QueryRecord
from tui.wire import QueryStatus

#: SQLite column types (as the SQLite registry declares added columns) → PostgreSQL's
_PG_TYPES = {"TEXT": "TEXT", "INTEGER": "BIGINT", "REAL": "DOUBLE PRECISION"}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS queries (
    seq          BIGSERIAL,
    query_id     TEXT PRIMARY KEY,
    org          TEXT NOT NULL,
    executed_by  TEXT NOT NULL,
    sql          TEXT NOT NULL,
    status       TEXT NOT NULL,
    directory    TEXT NOT NULL,
    submitted_at DOUBLE PRECISION NOT NULL,
    started_at   DOUBLE PRECISION,
    finished_at  DOUBLE PRECISION,
    expires_at   DOUBLE PRECISION,
    row_count    BIGINT,
    byte_size    BIGINT,
    file_count   BIGINT,
    elapsed_ms   BIGINT,
    error        TEXT,
    columns      TEXT,
    lease_owner  TEXT,
    lease_until  DOUBLE PRECISION,
    cancel_requested BOOLEAN NOT NULL DEFAULT false,
    lease_lost   BOOLEAN NOT NULL DEFAULT false
);
CREATE INDEX IF NOT EXISTS queries_org ON queries (org, submitted_at);
CREATE INDEX IF NOT EXISTS queries_expiry ON queries (expires_at);
CREATE INDEX IF NOT EXISTS queries_active ON queries (status) WHERE status IN ('QUEUED', 'RUNNING');
CREATE TABLE IF NOT EXISTS folio_secrets (name TEXT PRIMARY KEY, value BYTEA NOT NULL);
CREATE TABLE IF NOT EXISTS folio_usage (id INTEGER PRIMARY KEY, bytes BIGINT NOT NULL);
INSERT INTO folio_usage (id, bytes) VALUES (1, 0) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS folio_keys (
    digest     TEXT PRIMARY KEY,
    org        TEXT NOT NULL,
    username   TEXT NOT NULL,
    revoked    BOOLEAN NOT NULL DEFAULT false,
    changed_at DOUBLE PRECISION NOT NULL DEFAULT extract(epoch from clock_timestamp())
);
"""

_NOW = "extract(epoch from clock_timestamp())"
_ACTIVE = "status IN ('QUEUED', 'RUNNING')"
#: advisory lock keys are 64-bit integers: folio's are derived from a name
_LOCK_SPACE = 0x0F0110


class RegistryUnavailable(BackendUnavailable):
    """The registry's PostgreSQL cannot be reached."""


class PgRegistry:
    """Thread-safe: every call takes a pooled connection for one statement (autocommit)."""

    def __init__(
        self,
        dsn: str,
        *,
        lease_s: float = 5.0,
        owner: str | None = None,
        pool_size: int = 8,
        connect_timeout_s: float = 15.0,
        finished_ttl_s: float = 2.0,
    ):
        self.dsn = dsn
        self.lease_s = lease_s
        #: this replica, as the leases name it (new with every process: a restarted replica
        #: must not renew the leases of the queries its previous life was running)
        self.owner = owner or f"replica-{uuid.uuid4().hex[:12]}"
        self._pool = ConnectionPool(
            dsn,
            min_size=1,
            max_size=pool_size,
            kwargs={"autocommit": True, "row_factory": dict_row},
            timeout=10,
            open=False,
        )
        try:
            self._pool.open(wait=True, timeout=connect_timeout_s)
        except PoolTimeout:
            self._pool.close()
            raise RegistryUnavailable(f"cannot connect to the registry database {_safe(dsn)}") from None
        with self._conn() as conn:
            # one replica creates the schema; the others wait for it (CREATE IF NOT EXISTS
            # races on the catalog otherwise)
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_key("schema"),))
                conn.execute(_SCHEMA)
                present = {
                    row["column_name"]
                    for row in conn.execute(
                        "SELECT column_name FROM information_schema.columns WHERE table_name = 'queries'"
                    )
                }
                for name, sql_type in _ADDED_COLUMNS.items():
                    if name not in present:
                        pg_type = _PG_TYPES.get(sql_type.upper(), "TEXT")
                        conn.execute(f"ALTER TABLE queries ADD COLUMN IF NOT EXISTS {name} {pg_type}")
        # finished rows change only by being deleted, but another replica may delete them: a
        # short-lived cache keeps the page path off the database, and the replica that deletes
        # or changes a row tells the others to forget it at once (pg_forget); the lifetime is
        # the fallback while a listener reconnects
        self._finished: OrderedDict[str, tuple[float, QueryRecord]] = OrderedDict()
        self._finished_ttl_s = finished_ttl_s
        self._cache_lock = threading.Lock()
        self._forgetter = Forgetter(dsn, self._forget, connect_timeout_s=connect_timeout_s).start()

    @contextlib.contextmanager
    def _conn(self) -> Iterator[psycopg.Connection]:
        try:
            with self._pool.connection() as conn:
                yield conn
        except (psycopg.OperationalError, PoolTimeout) as exc:
            raise RegistryUnavailable(f"the registry database is unreachable: {exc}") from None

    def close(self) -> None:
        self._forgetter.stop()
        self._pool.close()

    # -- the registry interface -------------------------------------------------------------

    def insert(self, record: QueryRecord) -> None:
        row = record.to_row()
        names = ", ".join(_COLUMNS)
        marks = ", ".join(f"%({name})s" for name in _COLUMNS)
        with self._conn() as conn:
            conn.execute(
                f"INSERT INTO queries ({names}, lease_owner, lease_until) "
                f"VALUES ({marks}, %(_owner)s, {_NOW} + %(_lease)s)",
                {**row, "_owner": self.owner, "_lease": self.lease_s},
            )

    def save(self, record: QueryRecord) -> None:
        """Write every field of ``record``; a no-op for a query failed for its lease."""
        row = record.to_row()
        assignments = ", ".join(f"{name} = %({name})s" for name in _COLUMNS if name != "query_id")
        self._forget(record.query_id)
        with self._conn() as conn:
            conn.execute(f"UPDATE queries SET {assignments} WHERE query_id = %(query_id)s AND NOT lease_lost", row)

    def get(self, query_id: str, org: str | None = None) -> QueryRecord | None:
        with self._cache_lock:
            cached = self._finished.get(query_id)
            if cached is not None and cached[0] > time.monotonic() and (org is None or cached[1].org == org):
                return _copy(cached[1])
        sql = f"SELECT {', '.join(_COLUMNS)} FROM queries WHERE query_id = %s"
        args: tuple = (query_id,)
        if org is not None:
            sql += " AND org = %s"
            args = (query_id, org)
        with self._conn() as conn:
            row = conn.execute(sql, args).fetchone()
        if row is None:
            return None
        record = QueryRecord.from_row(row)
        if record.status.is_final:
            with self._cache_lock:
                self._finished[query_id] = (time.monotonic() + self._finished_ttl_s, _copy(record))
                while len(self._finished) > 4096:
                    self._finished.popitem(last=False)
        return record

    def _select(self, where: str, args: tuple = (), order: str = "") -> list[QueryRecord]:
        with self._conn() as conn:
            rows = conn.execute(f"SELECT {', '.join(_COLUMNS)} FROM queries WHERE {where} {order}", args).fetchall()
        return [QueryRecord.from_row(row) for row in rows]

    def list_page(
        self, org: str, now: datetime, *, after: tuple[float, int] | None, limit: int
    ) -> list[tuple[QueryRecord, tuple[float, int]]]:
        """As :meth:`Registry.list_page`; positions are ``(submitted_at, seq)``."""
        where = "org = %s AND (expires_at IS NULL OR expires_at > %s)"
        args: list = [org, now.timestamp()]
        if after is not None:
            where += " AND (submitted_at < %s OR (submitted_at = %s AND seq < %s))"
            args += [after[0], after[0], after[1]]
        with self._conn() as conn:
            rows = conn.execute(
                f"SELECT seq AS position, {', '.join(_COLUMNS)} FROM queries WHERE {where}"
                " ORDER BY submitted_at DESC, seq DESC LIMIT %s",
                [*args, limit],
            ).fetchall()
        page = []
        for row in rows:
            position = row.pop("position")
            page.append((QueryRecord.from_row(row), (row["submitted_at"], position)))
        return page

    def sql_bytes(self) -> int:
        with self._conn() as conn:
            row = conn.execute("SELECT coalesce(sum(octet_length(sql)), 0) AS n FROM queries").fetchone()
        return int(row["n"])

    def set_sql(self, query_id: str, sql: str) -> None:
        self._forget(query_id)
        with self._conn() as conn, conn.transaction():
            conn.execute("UPDATE queries SET sql = %s WHERE query_id = %s", (sql, query_id))
            notify(conn, query_id)

    def with_status(self, *statuses: QueryStatus) -> list[QueryRecord]:
        return self._select("status = ANY(%s)", ([s.value for s in statuses],))

    def expired(self, now: datetime) -> list[QueryRecord]:
        return self._select("expires_at IS NOT NULL AND expires_at <= %s", (now.timestamp(),))

    def delete(self, query_id: str) -> None:
        self._forget(query_id)
        with self._conn() as conn, conn.transaction():
            conn.execute("DELETE FROM queries WHERE query_id = %s", (query_id,))
            notify(conn, query_id)  # the other replicas forget it as this commits

    def directories(self) -> set[str]:
        with self._conn() as conn:
            return {row["directory"] for row in conn.execute("SELECT directory FROM queries")}

    def count_running(self, org: str) -> int:
        with self._conn() as conn:
            row = conn.execute(f"SELECT count(*) AS n FROM queries WHERE org = %s AND {_ACTIVE}", (org,)).fetchone()
        return int(row["n"])

    def _forget(self, query_id: str) -> None:
        with self._cache_lock:
            self._finished.pop(query_id, None)

    # -- leases and cancel requests ---------------------------------------------------------

    def heartbeat(self, query_ids: list[str]) -> list[str]:
        """Renew this replica's leases on ``query_ids``; returns those whose cancel was
        requested (on any replica)."""
        if not query_ids:
            return []
        with self._conn() as conn:
            rows = conn.execute(
                f"UPDATE queries SET lease_until = {_NOW} + %s "
                f"WHERE query_id = ANY(%s) AND lease_owner = %s AND {_ACTIVE} AND NOT lease_lost "
                "RETURNING query_id, cancel_requested",
                (self.lease_s, query_ids, self.owner),
            ).fetchall()
        return [row["query_id"] for row in rows if row["cancel_requested"]]

    def request_cancel(self, query_id: str) -> bool:
        """Ask the replica running ``query_id`` to cancel it; False if it is not running."""
        with self._conn() as conn:
            row = conn.execute(
                f"UPDATE queries SET cancel_requested = true WHERE query_id = %s AND {_ACTIVE} RETURNING 1",
                (query_id,),
            ).fetchone()
        return row is not None

    def stale(self) -> list[QueryRecord]:
        """Queued or running queries whose lease has run out."""
        return self._select(f"{_ACTIVE} AND (lease_until IS NULL OR lease_until < {_NOW})")

    def fail_stale(self, record: QueryRecord) -> bool:
        """Save ``record`` (failed by the caller) if its lease is still out; True if saved."""
        row = record.to_row()
        assignments = ", ".join(f"{name} = %({name})s" for name in _COLUMNS if name != "query_id")
        self._forget(record.query_id)
        with self._conn() as conn:
            saved = conn.execute(
                f"UPDATE queries SET {assignments}, lease_lost = true, lease_owner = NULL "
                f"WHERE query_id = %(query_id)s AND {_ACTIVE} AND (lease_until IS NULL OR lease_until < {_NOW}) "
                "RETURNING 1",
                row,
            ).fetchone()
        return saved is not None

    # -- shared state -----------------------------------------------------------------------

    def secret(self, name: str = "cursor") -> bytes:
        """A random secret shared by every replica (created by whichever asks first)."""
        with self._conn() as conn:
            conn.execute(
                "INSERT INTO folio_secrets (name, value) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                (name, secrets.token_bytes(32)),
            )
            row = conn.execute("SELECT value FROM folio_secrets WHERE name = %s", (name,)).fetchone()
        return bytes(row["value"])

    def usage(self) -> int:
        with self._conn() as conn:
            return int(conn.execute("SELECT bytes FROM folio_usage WHERE id = 1").fetchone()["bytes"])

    def add_usage(self, nbytes: int) -> None:
        if not nbytes:
            return
        with self._conn() as conn:
            conn.execute("UPDATE folio_usage SET bytes = GREATEST(0, bytes + %s) WHERE id = 1", (nbytes,))

    def publish_keys(self, keys: dict[str, tuple[str, str]]) -> list[str]:
        """Add the keys a replica was started with (digest → (org, user)), or update their org
        and user; a revoked key stays revoked. Returns the digests of those that are revoked."""
        if not keys:
            return []
        rows = [(d, org, user) for d, (org, user) in keys.items()]
        with self._conn() as conn, conn.transaction():
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO folio_keys (digest, org, username) VALUES (%s, %s, %s) "
                    "ON CONFLICT (digest) DO UPDATE SET org = EXCLUDED.org, username = EXCLUDED.username, "
                    f"changed_at = {_NOW} WHERE NOT folio_keys.revoked",
                    rows,
                )
            revoked = conn.execute(
                "SELECT digest FROM folio_keys WHERE revoked AND digest = ANY(%s)", (list(keys),)
            ).fetchall()
        return [row["digest"] for row in revoked]

    def add_key(self, digest: str, org: str, user: str) -> None:
        """Admit a key on every replica (again, if it was revoked)."""
        with self._conn() as conn:
            conn.execute(
                "INSERT INTO folio_keys (digest, org, username) VALUES (%s, %s, %s) "
                "ON CONFLICT (digest) DO UPDATE SET org = EXCLUDED.org, username = EXCLUDED.username, "
                f"revoked = false, changed_at = {_NOW}",
                (digest, org, user),
            )

    def revoke_key(self, digest: str) -> bool:
        """Stop admitting a key on every replica; False if the registry never had it."""
        with self._conn() as conn:
            row = conn.execute(
                f"UPDATE folio_keys SET revoked = true, changed_at = {_NOW} WHERE digest = %s RETURNING digest",
                (digest,),
            ).fetchone()
        return row is not None

    def keys(self, *, revoked: bool = False) -> dict[str, tuple[str, str, bool]]:
        """digest → (org, user, revoked): the admitted keys, and the revoked ones if asked."""
        where = "" if revoked else "WHERE NOT revoked"
        with self._conn() as conn:
            rows = conn.execute(f"SELECT digest, org, username, revoked FROM folio_keys {where}").fetchall()
        return {row["digest"]: (row["org"], row["username"], row["revoked"]) for row in rows}

    @contextlib.contextmanager
    def exclusive(self, name: str) -> Iterator[bool]:
        """Yields True on the one replica that holds the lock ``name`` (for as long as the
        block runs), False elsewhere: a transaction-level advisory lock, released when the
        block ends or the replica's connection dies with it."""
        with self._conn() as conn, conn.transaction():
            row = conn.execute("SELECT pg_try_advisory_xact_lock(%s) AS got", (_key(name),)).fetchone()
            yield bool(row["got"])


def _key(name: str) -> int:
    return (_LOCK_SPACE << 32) | zlib.crc32(name.encode())


def _copy(record: QueryRecord) -> QueryRecord:
    import copy

    return copy.copy(record)


def _safe(dsn: str) -> str:
    """The DSN without a password."""
    import re

    return re.sub(r"(://[^:/@]*):[^@]*@", r"\1:…@", dsn)
