"""Fixtures for the app's tests: the real service in-process, a client over it, and the app.

Pilot tests (``async def``) run the service in pytest-asyncio's loop and hand the app a ready
client. Snapshot tests (plain ``def``) cannot share a loop with the app, so they give the app a
``connect`` factory and the app starts the service inside its own loop, as ``folio`` does.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from tests.conftest import API_KEY, FakeClock, make_keyring, make_settings
from tui.app import FolioApp
from tui.client import QueryClient
from tui.engines.duckdb import DuckDBEngine
from tui.server import create_app


# Small queries over DuckDB's range(): cheap to run, predictable to check.
def range_sql(rows: int) -> str:
    return f"SELECT range AS i, 'row ' || range AS label FROM range({rows})"


@dataclass
class RunningService:
    app: Any
    transport: httpx.AsyncBaseTransport

    @property
    def requests(self) -> list[tuple[str, str, str]]:
        return list(self.app.state.request_log)

    def client(self, transport: httpx.AsyncBaseTransport | None = None, **kwargs: Any) -> QueryClient:
        kwargs.setdefault("retries", 1)
        return QueryClient("http://folio.embedded", API_KEY, transport=transport or self.transport, **kwargs)


def page_requests(requests: list[tuple[str, str, str]]) -> list[tuple[int, int]]:
    """(offset, docs) of every page request, in order."""
    pages = []
    for method, path, query in requests:
        if method == "GET" and path.endswith("/pages"):
            args = parse_qs(query)
            pages.append((int(args.get("offset", ["0"])[0]), int(args.get("docs", ["0"])[0])))
    return pages


def posts(requests: list[tuple[str, str, str]]) -> int:
    return sum(1 for method, path, _ in requests if method == "POST" and path.endswith("/queries"))


@asynccontextmanager
async def running_service(store: Path, clock: Callable | None = None, **settings: Any) -> AsyncIterator[RunningService]:
    settings.setdefault("page_wait_s", 0.5)
    app = create_app(make_settings(store, **settings), DuckDBEngine(), make_keyring(), clock=clock)
    async with app.router.lifespan_context(app):
        yield RunningService(app, httpx.ASGITransport(app=app))


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def service(tmp_path, fake_clock) -> AsyncIterator[RunningService]:
    async with running_service(tmp_path / "store", clock=fake_clock) as running:
        yield running


@pytest.fixture
def make_app(tmp_path, fake_clock) -> Callable[..., FolioApp]:
    def make(source: Any = None, *, patient_runs: bool = True, **kwargs: Any) -> FolioApp:
        """``patient_runs=False``: the app's own 50 ms run wait, for a test whose query must
        still be running when its run answers (see :class:`PatientRuns`)."""
        kwargs.setdefault("clock", fake_clock)
        kwargs.setdefault("state_dir", tmp_path / "state")
        kwargs.setdefault("poll", False)
        kwargs.setdefault("sidebar", False)
        kwargs.setdefault("sql", "")
        if patient_runs and isinstance(source, QueryClient):
            source = PatientRuns(source)
        return FolioApp(source, **kwargs)

    return make


# --- determinism for snapshots ---------------------------------------------------------------


@pytest.fixture
def stable_ids(monkeypatch) -> None:
    """Query ids the server makes are random; snapshots need them fixed."""
    counter = itertools.count(1)
    monkeypatch.setattr(
        "tui.server.service.new_query_id",
        lambda: f"{next(counter):08x}-5eed-4000-8000-000000000000:folioQ{0}:0",
    )


class PatientRuns:
    """The real client, with a run waiting up to ``RUN_WAIT_MS`` for its query to finish.

    The app's runs wait 50 ms (``tui.app.app.RUN_WAIT_MS``) and a query still running then is
    shown another way (``1+ (running)``, a wider row-number column, pages fetched on their
    own); tests run with polling off, so a small query that lost that race on a busy machine
    would stay "running" on screen. Here it arrives complete, however busy the machine; a query
    that runs for minutes still answers "running", after this wait."""

    RUN_WAIT_MS = 2_000

    def __init__(self, client: QueryClient) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    async def run(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("client_timeout_ms") is not None:
            kwargs["client_timeout_ms"] = max(kwargs["client_timeout_ms"], self.RUN_WAIT_MS)
        return await self._client.run(*args, **kwargs)


class StableTimes(PatientRuns):
    """The real client (with patient runs), with the server's measured run times replaced by
    fixed ones: a snapshot must not show how fast this machine happened to be."""

    ELAPSED_MS = 1234

    def _fix(self, info: Any) -> Any:
        if getattr(info, "stats", None) is not None and info.stats.elapsed_time_ms is not None:
            info = info.model_copy(update={"stats": info.stats.model_copy(update={"elapsed_time_ms": self.ELAPSED_MS})})
        return info

    async def run(self, *args: Any, **kwargs: Any) -> Any:
        return replace(await super().run(*args, **kwargs), elapsed_ms=float(self.ELAPSED_MS))

    async def profile(self, query_id: str) -> Any:
        return replace(await self._client.profile(query_id), elapsed_ms=float(self.ELAPSED_MS))

    async def frequency(self, query_id: str, column: str) -> Any:
        return replace(await self._client.frequency(query_id, column), elapsed_ms=float(self.ELAPSED_MS))

    async def info(self, query_id: str) -> Any:
        return self._fix(await self._client.info(query_id))

    async def list(self) -> list[Any]:
        return [self._fix(info) for info in await self._client.list()]

    async def cancel(self, query_id: str) -> Any:
        return self._fix(await self._client.cancel(query_id))


def snapshot_connect(store: Path, clock: FakeClock, setup_sql: list[str] | None = None):
    """A ``connect`` factory for FolioApp: the real service, started in the app's own loop."""

    @asynccontextmanager
    async def connect() -> AsyncIterator[Any]:
        async with running_service(store, clock=clock) as running:
            async with running.client() as client:
                for sql in setup_sql or []:
                    await client.run(sql)
                yield StableTimes(client)

    return connect
