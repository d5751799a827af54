"""The sandbox per source, tried as a hostile key holder would: real engines, real HTTP, two orgs.

For every source kind (in-memory DuckDB, a DuckDB file, the demo database, a file view, SQLite,
PostgreSQL through a read-only role) each hostile statement is refused with a clear 400, by
statement kind (``INVALIDINPUT`` naming the kind and ``--allow-writes``) or by the engine's own
sandbox (a ``QUERY_ERROR`` saying permission is denied), and validating it gives the same
answer. What may run (``set_config``, an advisory lock) is shown to leave nothing behind for the
next query. A file in an allowed directory is still readable by path; one outside is not.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import httpx
import pytest

from tests.conftest import LiveService, wait_until
from tui.engines import SourceError, open_engine
from tui.engines.base import Engine
from tui.engines.demo import ensure_demo
from tui.engines.duckdb import DuckDBEngine
from tui.engines.postgres import PostgresEngine

Q = "/v1/orgs/self/queries"
V = "/v1/orgs/self/queries/validations"
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Source:
    kind: str
    service: LiveService
    allowed: Path  # an --allow-dir holding x.parquet
    outside: Path  # a directory not allowed, holding secret.csv

    @property
    def has_data(self) -> bool:
        """Does the source have ``data`` (one row, ``x = 1``)?"""
        return self.kind not in ("memory", "demo")

    def post(self, sql: str, *, other_org: bool = False, path: str = Q) -> httpx.Response:
        key = self.service.other_key if other_org else self.service.api_key
        with httpx.Client(base_url=self.service.base_url, headers={"Authorization": f"ApiKey {key}"}, timeout=60) as c:
            return c.post(path, json={"sql": {"query": sql}})


def refused_by_kind(response: httpx.Response, kind: str) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["type"] == "INVALIDINPUT", body
    assert body["message"].startswith(f"{kind} statements are not allowed"), body["message"]
    assert "--allow-writes" in body["message"]


def refused_by_engine(response: httpx.Response, *needles: str) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["type"] == "QUERY_ERROR", body
    assert any(n.lower() in body["message"].lower() for n in needles), body["message"]


def rows(response: httpx.Response) -> list[dict]:
    assert response.status_code == 200, response.text
    return response.json()["results"]


# -- sources ------------------------------------------------------------------------------------


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    allowed, outside = tmp_path / "allowed", tmp_path / "outside"
    allowed.mkdir()
    outside.mkdir()
    duckdb.sql(f"COPY (SELECT 7 AS x) TO '{allowed / 'x.parquet'}' (FORMAT parquet)")
    (outside / "secret.csv").write_text("secret\nhunter2\n")
    return allowed, outside


def _duckdb_file(tmp_path: Path) -> Path:
    path = tmp_path / "t.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE data AS SELECT 1 AS x")
    con.close()
    return path


def _sqlite_file(tmp_path: Path) -> Path:
    import sqlite3

    path = tmp_path / "t.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE data (x)")
        conn.execute("INSERT INTO data VALUES (1)")
    conn.close()
    return path


KINDS = ["memory", "duckdb-file", "demo", "file-view", "sqlite", "postgres"]
DUCKDB = ("memory", "duckdb-file", "demo", "file-view")


def _engine(kind: str, request, tmp_path: Path, allowed: Path) -> Engine:
    if kind == "memory":
        return DuckDBEngine(None, allow_dirs=[allowed])
    if kind == "duckdb-file":
        return open_engine(str(_duckdb_file(tmp_path)), allow_dirs=[allowed])
    if kind == "demo":
        return DuckDBEngine(ensure_demo(100, tmp_path / "demo"), allow_dirs=[allowed])
    if kind == "file-view":
        data = tmp_path / "data.csv"  # outside the allowed directory: a file source is allowed implicitly
        data.write_text("x\n1\n")
        return open_engine(str(data), allow_dirs=[allowed])
    if kind == "sqlite":
        return open_engine(str(_sqlite_file(tmp_path)))
    pg_dsn = request.getfixturevalue("pg_dsn")
    request.getfixturevalue("pg_admin").execute("CREATE TABLE IF NOT EXISTS data AS SELECT 1 AS x")
    # one connection: every query reuses the previous one's session, as pooling may do
    return PostgresEngine(pg_dsn, max_connections=1)


def _source(kind: str, request, tmp_path: Path, dirs: tuple[Path, Path], service_factory) -> Iterator[Source]:
    allowed, outside = dirs
    engine = _engine(kind, request, tmp_path, allowed)
    yield Source(kind, service_factory(engine=engine), allowed, outside)
    engine.close()


@pytest.fixture(params=KINDS)
def source(request, tmp_path, dirs, service_factory) -> Iterator[Source]:
    """Each source kind, served over real HTTP."""
    yield from _source(request.param, request, tmp_path, dirs, service_factory)


@pytest.fixture(params=DUCKDB)
def duck_source(request, tmp_path, dirs, service_factory) -> Iterator[Source]:
    yield from _source(request.param, request, tmp_path, dirs, service_factory)


@pytest.fixture
def pg_source(request, tmp_path, dirs, service_factory) -> Iterator[Source]:
    yield from _source("postgres", request, tmp_path, dirs, service_factory)


# -- refused by statement kind -----------------------------------------------------------------

# (statement kind named in the message, SQL) per engine family; {allowed} is an allowed directory
DUCKDB_REFUSED = [
    ("COPY", "COPY (SELECT 1) TO '{allowed}/out.csv'"),
    ("COPY", "EXPLAIN ANALYZE COPY (SELECT 1) TO '{allowed}/out.csv'"),
    ("EXPORT", "EXPORT DATABASE '{allowed}/dump'"),
    ("ATTACH", "ATTACH ':memory:' AS other"),
    ("ATTACH", "ATTACH '{allowed}/new.duckdb' AS other"),
    ("LOAD", "LOAD httpfs"),
    ("INSTALL", "INSTALL httpfs"),
    ("SET", "SET threads = 1"),
    ("SET", "SET enable_external_access = true"),
    ("SET", "SET lock_configuration = true"),
    ("RESET", "RESET allowed_directories"),
    ("PRAGMA", "PRAGMA threads = 1"),
    ("CREATE", "CREATE OR REPLACE VIEW data AS SELECT 'evil' AS x"),
    ("CREATE", "CREATE TABLE stash AS SELECT 1 AS x"),
    ("CREATE", "CREATE TEMP TABLE stash AS SELECT 1 AS x"),
    ("CREATE", "CREATE MACRO data(x) AS 'evil'"),
    ("DROP", "SELECT 1; DROP VIEW IF EXISTS data"),
    ("INSERT", "WITH a AS (SELECT 1) INSERT INTO data SELECT * FROM a"),
    ("CHECKPOINT", "CHECKPOINT"),
    ("USE", "USE memory"),
]
SQLITE_REFUSED = [
    ("VACUUM", "VACUUM INTO '{allowed}/copy.sqlite'"),
    ("ATTACH", "ATTACH '{allowed}/other.sqlite' AS other"),
    ("PRAGMA", "PRAGMA query_only = 0"),
    ("PRAGMA", "PRAGMA writable_schema = 1"),
    ("CREATE", "CREATE TEMP VIEW data AS SELECT 'evil' AS x"),
    ("CREATE", "CREATE TABLE stash (x)"),
    ("INSERT", "WITH a AS (SELECT 1) INSERT INTO data SELECT * FROM a"),
    ("DELETE", "DELETE FROM data"),
    ("BEGIN", "BEGIN"),
]
PG_REFUSED = [
    ("COPY", "COPY (SELECT 1) TO PROGRAM 'touch {allowed}/pwned'"),
    ("COPY", "COPY data TO '{allowed}/out.csv'"),
    ("SET", "SET default_transaction_read_only = off"),
    ("SET", "SET SESSION AUTHORIZATION DEFAULT"),
    ("RESET", "RESET ALL"),
    ("PREPARE", "PREPARE stash AS SELECT 1"),
    ("CREATE", "CREATE TEMP TABLE stash AS SELECT 1 AS x"),
    ("CREATE", "CREATE OR REPLACE VIEW data2 AS SELECT 'evil' AS x"),
    ("DO", "DO $$ BEGIN PERFORM pg_sleep(0); END $$"),
    ("LISTEN", "LISTEN stash"),
    ("LOCK", "LOCK TABLE data"),
    ("DELETE", "EXPLAIN ANALYZE DELETE FROM data"),
    ("CALL", "CALL nothing()"),
]


def refused_cases(kind: str) -> list[tuple[str, str]]:
    if kind in DUCKDB:
        return DUCKDB_REFUSED
    return SQLITE_REFUSED if kind == "sqlite" else PG_REFUSED


def test_every_writing_statement_is_refused_by_kind_and_validation_agrees(source: Source) -> None:
    for kind, template in refused_cases(source.kind):
        sql = template.format(allowed=source.allowed)
        refused_by_kind(source.post(sql), kind)
        refused_by_kind(source.post(sql, path=V), kind)
    assert sorted(p.name for p in source.allowed.iterdir()) == ["x.parquet"]  # nothing was written
    if source.has_data:
        assert rows(source.post("SELECT x FROM data", other_org=True)) == [{"x": 1}]


# -- refused by the engine's own sandbox ---------------------------------------------------------


def test_files_are_read_only_inside_allowed_directories(duck_source: Source) -> None:
    source = duck_source
    assert rows(source.post(f"SELECT * FROM '{source.allowed}/x.parquet'")) == [{"x": 7}]
    assert rows(source.post(f"SELECT count(*) AS n FROM glob('{source.allowed}/*')")) == [{"n": 1}]
    for sql in (
        f"SELECT * FROM '{source.outside}/secret.csv'",
        f"SELECT * FROM read_csv('{source.allowed}/../outside/secret.csv')",
        "SELECT * FROM read_text('/etc/passwd')",
        "SELECT * FROM read_blob('/proc/self/environ')",
        "SELECT * FROM glob('/etc/*')",
    ):
        refused_by_engine(source.post(sql), "Permission Error")


def test_the_sandbox_settings_are_locked(duck_source: Source) -> None:
    source = duck_source
    assert rows(source.post("SELECT current_setting('lock_configuration') AS locked")) == [{"locked": True}]
    assert rows(source.post("SELECT current_setting('enable_external_access') AS ext")) == [{"ext": False}]


def test_postgres_functions_beyond_sql_are_denied_by_the_role(pg_source: Source) -> None:
    source = pg_source
    for sql in (
        "SELECT pg_read_file('/etc/passwd')",
        "SELECT pg_ls_dir('/')",
        "SELECT lo_export(lo_import('/etc/passwd'), '/tmp/folio-pwned')",
        "SELECT * FROM pg_stat_file('/etc/passwd')",
    ):
        refused_by_engine(source.post(sql), "permission denied", "read-only transaction")
    refused_by_engine(
        source.post("WITH gone AS (DELETE FROM data RETURNING x) SELECT * FROM gone"), "read-only transaction"
    )


def test_postgres_session_state_never_reaches_the_next_query(pg_source: Source, pg_admin) -> None:
    """``max_connections=1``: the second query always gets the first one's connection."""
    source = pg_source
    assert rows(source.post("SELECT set_config('search_path', 'evil', false) AS s")) == [{"s": "evil"}]
    assert rows(source.post("SELECT current_setting('search_path') AS s", other_org=True)) == [{"s": '"$user", public'}]
    assert len(rows(source.post("SELECT pg_advisory_lock(4242) AS l"))) == 1
    held = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 4242"
    wait_until(lambda: pg_admin.execute(held).fetchone() == (0,))  # released when the query ended
    assert rows(source.post("SHOW default_transaction_read_only")) == [{"default_transaction_read_only": "on"}]


def test_orgs_see_the_same_data_but_not_each_others_changes(source: Source) -> None:
    """Org A's attempt to replace ``data`` (refused) leaves org B's view of it as it was."""
    # SQLite has no CREATE OR REPLACE; a temporary view would shadow `data`
    replace = "CREATE TEMP VIEW" if source.kind == "sqlite" else "CREATE OR REPLACE VIEW"
    refused_by_kind(source.post(f"{replace} data AS SELECT 'evil' AS x"), "CREATE")
    refused_by_kind(source.post("CREATE TABLE data_copy AS SELECT 'evil' AS x"), "CREATE")
    if source.has_data:
        assert rows(source.post("SELECT x FROM data", other_org=True)) == [{"x": 1}]
    assert source.post("SELECT * FROM data_copy", other_org=True).status_code == 400


# -- with --allow-writes: the engine's rights, but still nothing shared between queries -------------


def test_duckdb_temp_objects_live_only_for_their_query(service_factory) -> None:
    engine = DuckDBEngine(None, allow_writes=True)
    live = service_factory(engine=engine)
    a = Source("memory", live, Path("."), Path("."))
    assert rows(a.post("CREATE TEMP TABLE stash AS SELECT 'org a' AS secret")) == [{"Count": 1}]
    assert rows(a.post("CREATE TEMP MACRO stashed() AS 'org a'")) == []
    for sql in ("SELECT * FROM stash", "SELECT * FROM temp.stash", "SELECT stashed()"):
        assert a.post(sql, other_org=True).status_code == 400
        assert a.post(sql).status_code == 400  # not even the same org's next query
    # the configuration stays locked even with writes allowed
    assert "locked" in a.post("SET threads = 1").json()["message"]
    engine.close()


def test_postgres_with_writes_still_resets_every_session(service_factory, pg_superuser_dsn, pg_admin) -> None:
    engine = PostgresEngine(pg_superuser_dsn, allow_writes=True, max_connections=1)
    a = Source("postgres", service_factory(engine=engine), Path("."), Path("."))
    try:
        assert a.post("PREPARE stash AS SELECT 'org a' AS secret").status_code == 200
        assert a.post("CREATE TEMP TABLE stash AS SELECT 'org a' AS secret").status_code == 200
        assert a.post("SET search_path = evil").status_code == 200
        assert a.post("SELECT pg_advisory_lock(4243)").status_code == 200
        refused_by_engine(a.post("EXECUTE stash", other_org=True), "does not exist")
        refused_by_engine(a.post("SELECT * FROM pg_temp.stash", other_org=True), "does not exist")
        assert rows(a.post("SHOW search_path", other_org=True)) == [{"search_path": '"$user", public'}]
        held = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 4243"
        wait_until(lambda: pg_admin.execute(held).fetchone() == (0,))
    finally:
        engine.close()


# -- PostgreSQL roles ------------------------------------------------------------------------------


def test_a_superuser_is_refused_unless_writes_are_allowed(pg_superuser_dsn: str) -> None:
    with pytest.raises(SourceError, match="superuser") as err:
        PostgresEngine(pg_superuser_dsn)
    assert "CREATE ROLE" in str(err.value) and "--allow-writes" in str(err.value)
    PostgresEngine(pg_superuser_dsn, allow_writes=True).close()


def test_a_member_of_a_server_file_role_is_refused(pg_dsn: str, pg_admin) -> None:
    pg_admin.execute("DROP ROLE IF EXISTS folio_files")
    pg_admin.execute("CREATE ROLE folio_files LOGIN")
    pg_admin.execute("GRANT pg_read_server_files TO folio_files")
    try:
        with pytest.raises(SourceError, match="pg_read_server_files"):
            PostgresEngine(pg_dsn.replace("folio_reader", "folio_files"))
    finally:
        pg_admin.execute("DROP ROLE folio_files")


def test_folio_serve_refuses_a_superuser_dsn(pg_superuser_dsn: str, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tui", "serve", pg_superuser_dsn, "--store", str(tmp_path / "store")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "refusing to serve PostgreSQL" in done.stderr and "superuser" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_allowed_directory_must_exist(tmp_path: Path) -> None:
    """A typo in ``--allow-dir`` must not start a service that silently allows nothing."""
    for command in (["serve", "--store", str(tmp_path / "store")], []):
        done = subprocess.run(
            [sys.executable, "-m", "tui", *command, "--allow-dir", str(tmp_path / "no-such-dir")],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 2, done.stderr
        assert "--allow-dir" in done.stderr and "no such directory" in done.stderr


def test_postgres_validation_uses_the_servers_parser_and_runs_nothing(pg_source: Source) -> None:
    source = pg_source
    ok = source.post("SELECT x, :a::int + :b AS s, '50%' AS pct FROM data WHERE x = :a", path=V)
    assert ok.status_code == 200, ok.text
    assert ok.json() == {"collections": [], "parameters": ["a", "b"]}
    syntax = source.post("SELECT :a,\n  1 FROM WHERE", path=V)
    refused_by_engine(syntax, "syntax error")
    assert (syntax.json()["line"], syntax.json()["column"]) == (2, 10)
    refused_by_engine(source.post("SELECT nosuch FROM data", path=V), 'column "nosuch" does not exist')
    refused_by_engine(source.post("SELECT * FROM nosuch", path=V), 'relation "nosuch" does not exist')
    # parsed and analysed, never run (it would sleep for ten minutes)
    assert source.post("SELECT pg_sleep(600) AS slept", path=V).status_code == 200


READING = {
    "duckdb": [
        "SELECT 1 AS x",
        "WITH a AS (SELECT 1 AS x) SELECT * FROM a",
        "VALUES (1)",
        "FROM range(3)",
        "EXPLAIN SELECT 1",
        "DESCRIBE SELECT 1 AS x",
        "SUMMARIZE SELECT 1 AS x",
        "SHOW TABLES",
        "PRAGMA version",
        "SELECT current_setting('threads') AS t",
    ],
    "sqlite": [
        "SELECT 1 AS x",
        "WITH a AS (SELECT 1 AS x) SELECT * FROM a",
        "VALUES (1)",
        "EXPLAIN QUERY PLAN SELECT * FROM data",
        "PRAGMA table_info(data)",
        "PRAGMA user_version",
        "SELECT * FROM pragma_table_info('data')",
    ],
    "postgres": [
        "SELECT 1 AS x",
        "WITH a AS (SELECT 1 AS x) SELECT * FROM a",
        "VALUES (1)",
        "TABLE data",
        "EXPLAIN SELECT * FROM data",
        "SHOW search_path",
        "SELECT current_setting('search_path') AS s",
    ],
}


def test_reading_statements_still_run_and_validate(source: Source) -> None:
    family = "duckdb" if source.kind in DUCKDB else source.kind
    for sql in READING[family]:
        assert source.post(sql).status_code == 200, (sql, source.post(sql).text)
        assert source.post(sql, path=V).status_code == 200, (sql, source.post(sql, path=V).text)
    refused_by_engine(source.post("SELEC 1", path=V), "syntax error")
