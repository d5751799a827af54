"""A PostgreSQL password kept out of ``ps`` (issue 10, defect 10): folio takes a DSN without a
password and libpq finds it in ``PGPASSWORD`` or a password file (``PGPASSFILE`` /
``~/.pgpass``), as the README shows. A real server, with password authentication required for
one role only (a ``pg_hba.conf`` line added for the module and removed after)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from tui.engines import SourceError
from tui.engines.postgres import PostgresEngine

ROLE, SECRET = "folio_pw_reader", "s3cret-pass"


@pytest.fixture(scope="module")
def dsn_without_password(pg_admin: psycopg.Connection, pg_dsn: str) -> Iterator[str]:
    hba = Path(pg_admin.execute("SHOW hba_file").fetchone()[0])
    original = hba.read_text()
    pg_admin.execute(f"CREATE ROLE {ROLE} LOGIN PASSWORD '{SECRET}'")
    hba.write_text(f"local all {ROLE} scram-sha-256\nhost all {ROLE} all scram-sha-256\n" + original)
    pg_admin.execute("SELECT pg_reload_conf()")
    parts = urlsplit(pg_dsn)
    host = parts.netloc.rsplit("@", 1)[-1]
    try:
        yield urlunsplit((parts.scheme, f"{ROLE}@{host}", parts.path, parts.query, ""))
    finally:
        hba.write_text(original)
        pg_admin.execute("SELECT pg_reload_conf()")
        pg_admin.execute(f"DROP ROLE IF EXISTS {ROLE}")


def first_value(engine: PostgresEngine) -> object:
    execution = engine.start("SELECT current_user AS who", {})
    try:
        return next(iter(execution.batches())).to_pylist()[0]["who"]
    finally:
        execution.close()


def test_without_a_password_the_role_is_refused(dsn_without_password, monkeypatch, tmp_path):
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "none"))
    with pytest.raises(SourceError, match="password"):
        PostgresEngine(dsn_without_password).close()


def test_pgpassword_in_the_environment(dsn_without_password, monkeypatch):
    monkeypatch.setenv("PGPASSWORD", SECRET)
    engine = PostgresEngine(dsn_without_password)
    try:
        assert first_value(engine) == ROLE
        assert SECRET not in engine.describe()
    finally:
        engine.close()


def test_a_password_file(dsn_without_password, monkeypatch, tmp_path):
    monkeypatch.delenv("PGPASSWORD", raising=False)
    passfile = tmp_path / "pgpass"
    passfile.write_text(f"*:*:*:{ROLE}:{SECRET}\n")
    passfile.chmod(0o600)  # libpq ignores a password file others can read
    monkeypatch.setenv("PGPASSFILE", str(passfile))
    engine = PostgresEngine(dsn_without_password)
    try:
        assert first_value(engine) == ROLE
    finally:
        engine.close()
