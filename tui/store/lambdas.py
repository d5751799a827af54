"""Query lambdas: named, versioned, parameterised SQL, kept durably in the registry file.

A lambda is the set of its versions (it exists while it has one); each version is immutable.
Tags name versions; ``latest`` is not stored but always computed as the newest version, so it
can never point at a deleted one. Workspaces are namespaces: ``commons`` always exists, any
other comes into being with its first lambda and is remembered afterwards. Everything is keyed
by org, so one org's lambdas are invisible to another.

The tables live in the registry's SQLite file (``CREATE TABLE IF NOT EXISTS``: a registry made
before lambdas existed simply gains them). Unlike query rows, nothing here expires.
"""

from __future__ import annotations

import json
import re
import secrets
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from tui.wire_lambdas import DEFAULT_WORKSPACE, LATEST_TAG

_SCHEMA = """
CREATE TABLE IF NOT EXISTS lambda_workspaces (
    org        TEXT NOT NULL,
    workspace  TEXT NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (org, workspace)
);
CREATE TABLE IF NOT EXISTS lambda_versions (
    org                TEXT NOT NULL,
    workspace          TEXT NOT NULL,
    name               TEXT NOT NULL,
    version            TEXT NOT NULL,
    seq                INTEGER NOT NULL,
    sql                TEXT NOT NULL,
    default_parameters TEXT NOT NULL,
    description        TEXT,
    is_public          INTEGER NOT NULL DEFAULT 0,
    created_at         REAL NOT NULL,
    created_by         TEXT NOT NULL,
    last_executed      REAL,
    last_executed_by   TEXT,
    PRIMARY KEY (org, workspace, name, version)
);
CREATE INDEX IF NOT EXISTS lambda_versions_seq ON lambda_versions (org, workspace, name, seq);
CREATE TABLE IF NOT EXISTS lambda_tags (
    org       TEXT NOT NULL,
    workspace TEXT NOT NULL,
    name      TEXT NOT NULL,
    tag       TEXT NOT NULL,
    version   TEXT NOT NULL,
    PRIMARY KEY (org, workspace, name, tag)
);
"""

#: names of workspaces, lambdas and tags: what fits in a URL path segment without surprises
NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")

Clock = Callable[[], datetime]


class LambdaError(Exception):
    """Base of everything the lambda store refuses."""


class LambdaNotFound(LambdaError):
    pass


class LambdaExists(LambdaError):
    pass


class InvalidLambda(LambdaError):
    pass


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str
    value: str

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "type": self.type, "value": self.value}


@dataclass(frozen=True)
class LambdaVersion:
    workspace: str
    name: str
    version: str
    seq: int
    sql: str
    default_parameters: tuple[Parameter, ...]
    description: str | None
    is_public: bool
    created_at: datetime
    created_by: str
    last_executed: datetime | None = None
    last_executed_by: str | None = None

    @property
    def path(self) -> str:
        """Rockset's ``query_lambda_path``: ``workspace.lambda::version``."""
        return f"{self.workspace}.{self.name}::{self.version}"


@dataclass(frozen=True)
class QueryLambda:
    workspace: str
    name: str
    version_count: int
    latest: LambdaVersion


def check_name(kind: str, value: str) -> str:
    if not NAME.fullmatch(value):
        raise InvalidLambda(
            f"invalid {kind} name {value!r}: use 1 to 100 letters, digits, '_', '-' or '.', "
            "starting with a letter, digit or '_'"
        )
    return value


def new_version_id() -> str:
    """16 lowercase hex characters, as Rockset's are."""
    return secrets.token_hex(8)


def _ts(moment: datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()


def _dt(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, tz=UTC)


def _version(row: sqlite3.Row) -> LambdaVersion:
    params = tuple(Parameter(**p) for p in json.loads(row["default_parameters"]))
    created = _dt(row["created_at"])
    assert created is not None
    return LambdaVersion(
        workspace=row["workspace"],
        name=row["name"],
        version=row["version"],
        seq=row["seq"],
        sql=row["sql"],
        default_parameters=params,
        description=row["description"],
        is_public=bool(row["is_public"]),
        created_at=created,
        created_by=row["created_by"],
        last_executed=_dt(row["last_executed"]),
        last_executed_by=row["last_executed_by"],
    )


class LambdaStore:
    """The org's lambdas, versions and tags. Thread-safe; every call is one short transaction
    (writes wait for an fsync, so callers on an event loop run them in a thread)."""

    def __init__(self, path: Path, *, clock: Clock):
        self.clock = clock
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- reading ----------------------------------------------------------------------------

    def workspace_exists(self, org: str, workspace: str) -> bool:
        if workspace == DEFAULT_WORKSPACE:
            return True
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM lambda_workspaces WHERE org = ? AND workspace = ?", (org, workspace)
            ).fetchone()
        return row is not None

    def versions(self, org: str, workspace: str, name: str) -> list[LambdaVersion]:
        """Newest first; empty if there is no such lambda."""
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM lambda_versions WHERE org = ? AND workspace = ? AND name = ? ORDER BY seq DESC",
                (org, workspace, name),
            ).fetchall()
        return [_version(row) for row in rows]

    def version(self, org: str, workspace: str, name: str, version: str) -> LambdaVersion:
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM lambda_versions WHERE org = ? AND workspace = ? AND name = ? AND version = ?",
                (org, workspace, name, version),
            ).fetchone()
        if row is None:
            self.get(org, workspace, name)  # an unknown lambda says so, rather than "version"
            raise LambdaNotFound(f"query lambda {workspace}.{name} has no version {version!r}")
        return _version(row)

    def get(self, org: str, workspace: str, name: str) -> QueryLambda:
        versions = self.versions(org, workspace, name)
        if not versions:
            raise LambdaNotFound(f"query lambda {name!r} not found in workspace {workspace!r}")
        return QueryLambda(workspace, name, len(versions), versions[0])

    def list(self, org: str, workspace: str | None = None) -> list[QueryLambda]:
        """Every lambda of ``org`` (in ``workspace``), by workspace and name, with its newest version."""
        where, args = ("org = ?", [org]) if workspace is None else ("org = ? AND workspace = ?", [org, workspace])
        with self._lock:
            rows = self._db.execute(
                f"""SELECT v.*, c.n AS version_count FROM lambda_versions v
                    JOIN (SELECT workspace AS w, name AS l, max(seq) AS top, count(*) AS n
                          FROM lambda_versions WHERE {where} GROUP BY workspace, name) c
                      ON v.workspace = c.w AND v.name = c.l AND v.seq = c.top
                    WHERE v.org = ? ORDER BY v.workspace, v.name""",
                [*args, org],
            ).fetchall()
        return [QueryLambda(row["workspace"], row["name"], row["version_count"], _version(row)) for row in rows]

    def resolve_tag(self, org: str, workspace: str, name: str, tag: str) -> LambdaVersion:
        if tag == LATEST_TAG:
            return self.get(org, workspace, name).latest
        with self._lock:
            row = self._db.execute(
                "SELECT version FROM lambda_tags WHERE org = ? AND workspace = ? AND name = ? AND tag = ?",
                (org, workspace, name, tag),
            ).fetchone()
        if row is None:
            self.get(org, workspace, name)
            raise LambdaNotFound(f"query lambda {workspace}.{name} has no tag {tag!r}")
        return self.version(org, workspace, name, row["version"])

    def tags(self, org: str, workspace: str, name: str) -> list[tuple[str, LambdaVersion]]:
        """``latest`` first, then the stored tags by name."""
        latest = self.get(org, workspace, name).latest
        with self._lock:
            rows = self._db.execute(
                "SELECT tag, version FROM lambda_tags WHERE org = ? AND workspace = ? AND name = ? ORDER BY tag",
                (org, workspace, name),
            ).fetchall()
        by_id = {v.version: v for v in self.versions(org, workspace, name)}
        return [(LATEST_TAG, latest)] + [(r["tag"], by_id[r["version"]]) for r in rows if r["version"] in by_id]

    # -- writing ----------------------------------------------------------------------------

    def create(
        self,
        org: str,
        workspace: str,
        name: str,
        *,
        sql: str,
        parameters: list[Parameter],
        description: str | None,
        is_public: bool,
        user: str,
    ) -> LambdaVersion:
        check_name("workspace", workspace)
        check_name("query lambda", name)
        with self._lock, self._transaction():
            if self._exists(org, workspace, name):
                raise LambdaExists(f"query lambda {name!r} already exists in workspace {workspace!r}")
            return self._insert_version(org, workspace, name, sql, parameters, description, is_public, user)

    def update(
        self,
        org: str,
        workspace: str,
        name: str,
        *,
        sql: str | None,
        parameters: list[Parameter] | None,
        description: str | None,
        is_public: bool,
        user: str,
        create: bool,
    ) -> LambdaVersion:
        """A new version, which ``latest`` now names. Without ``sql`` the previous version's
        SQL and default parameters are kept; nothing else is inherited (as Rockset)."""
        check_name("workspace", workspace)
        check_name("query lambda", name)
        with self._lock, self._transaction():
            previous = self._db.execute(
                "SELECT sql, default_parameters FROM lambda_versions"
                " WHERE org = ? AND workspace = ? AND name = ? ORDER BY seq DESC LIMIT 1",
                (org, workspace, name),
            ).fetchone()
            if previous is None and not create:
                raise LambdaNotFound(f"query lambda {name!r} not found in workspace {workspace!r}")
            if sql is None:
                if previous is None:
                    raise InvalidLambda("sql is required to create a query lambda")
                sql = previous["sql"]
                if parameters is None:
                    parameters = [Parameter(**p) for p in json.loads(previous["default_parameters"])]
            return self._insert_version(org, workspace, name, sql, parameters or [], description, is_public, user)

    def set_tag(self, org: str, workspace: str, name: str, tag: str, version: str) -> LambdaVersion:
        check_name("tag", tag)
        if tag == LATEST_TAG:
            raise InvalidLambda(f"the tag {LATEST_TAG!r} always names the newest version; it cannot be set")
        target = self.version(org, workspace, name, version)
        with self._lock:
            self._db.execute(
                "INSERT INTO lambda_tags (org, workspace, name, tag, version) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (org, workspace, name, tag) DO UPDATE SET version = excluded.version",
                (org, workspace, name, tag, version),
            )
        return target

    def delete_tag(self, org: str, workspace: str, name: str, tag: str) -> LambdaVersion:
        if tag == LATEST_TAG:
            raise InvalidLambda(f"the tag {LATEST_TAG!r} always names the newest version; it cannot be deleted")
        target = self.resolve_tag(org, workspace, name, tag)
        with self._lock:
            self._db.execute(
                "DELETE FROM lambda_tags WHERE org = ? AND workspace = ? AND name = ? AND tag = ?",
                (org, workspace, name, tag),
            )
        return target

    def delete_version(self, org: str, workspace: str, name: str, version: str) -> LambdaVersion:
        """Removes the version and the tags on it; ``latest`` moves to the newest remaining
        version, and deleting the only version deletes the lambda."""
        target = self.version(org, workspace, name, version)
        with self._lock, self._transaction():
            key = (org, workspace, name, version)
            self._db.execute(
                "DELETE FROM lambda_versions WHERE org = ? AND workspace = ? AND name = ? AND version = ?", key
            )
            self._db.execute(
                "DELETE FROM lambda_tags WHERE org = ? AND workspace = ? AND name = ? AND version = ?", key
            )
        return target

    def delete(self, org: str, workspace: str, name: str) -> QueryLambda:
        found = self.get(org, workspace, name)
        with self._lock, self._transaction():
            key = (org, workspace, name)
            self._db.execute("DELETE FROM lambda_versions WHERE org = ? AND workspace = ? AND name = ?", key)
            self._db.execute("DELETE FROM lambda_tags WHERE org = ? AND workspace = ? AND name = ?", key)
        return found

    def record_execution(self, org: str, version: LambdaVersion, user: str) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE lambda_versions SET last_executed = ?, last_executed_by = ?"
                " WHERE org = ? AND workspace = ? AND name = ? AND version = ?",
                (_ts(self.clock()), user, org, version.workspace, version.name, version.version),
            )

    # -- plumbing ---------------------------------------------------------------------------

    def _exists(self, org: str, workspace: str, name: str) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM lambda_versions WHERE org = ? AND workspace = ? AND name = ? LIMIT 1",
            (org, workspace, name),
        ).fetchone()
        return row is not None

    def _insert_version(
        self,
        org: str,
        workspace: str,
        name: str,
        sql: str,
        parameters: list[Parameter],
        description: str | None,
        is_public: bool,
        user: str,
    ) -> LambdaVersion:
        now = self.clock()
        top = self._db.execute(
            "SELECT max(seq) FROM lambda_versions WHERE org = ? AND workspace = ? AND name = ?",
            (org, workspace, name),
        ).fetchone()[0]
        version = LambdaVersion(
            workspace=workspace,
            name=name,
            version=new_version_id(),
            seq=(top or 0) + 1,
            sql=sql,
            default_parameters=tuple(parameters),
            description=description,
            is_public=is_public,
            created_at=now,
            created_by=user,
        )
        self._db.execute(
            "INSERT OR IGNORE INTO lambda_workspaces (org, workspace, created_at) VALUES (?, ?, ?)",
            (org, workspace, _ts(now)),
        )
        self._db.execute(
            "INSERT INTO lambda_versions (org, workspace, name, version, seq, sql, default_parameters,"
            " description, is_public, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                org,
                workspace,
                name,
                version.version,
                version.seq,
                sql,
                json.dumps([p.to_json() for p in parameters]),
                description,
                int(is_public),
                _ts(now),
                user,
            ),
        )
        return version

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


class _Transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` (or ``ROLLBACK`` on an exception) on an autocommit connection."""

    def __init__(self, db: sqlite3.Connection):
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, *rest: object) -> None:
        self._db.execute("ROLLBACK" if kind is not None else "COMMIT")
