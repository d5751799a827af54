"""The local service (tui.local): found or started per source, shared by launches, replaced when
it died, tidy when it exits; real service processes on real Unix sockets."""

from __future__ import annotations

import asyncio
import os
import signal
import stat
import threading
import time
from pathlib import Path

import httpx
import pytest

from tui.app.connect import LOCAL_URL, over_socket
from tui.local.launch import ServiceFailed, start
from tui.local.runtime import ServiceFiles, services
from tui.local.spec import ServiceSpec


def spec(**kwargs) -> ServiceSpec:
    kwargs.setdefault("duckdb", {"memory_limit": "64MB", "threads": 1})
    kwargs.setdefault("cwd", os.getcwd())
    return ServiceSpec(**kwargs)


def rows_of(service, sql: str) -> list[dict]:
    async def go() -> list[dict]:
        async with over_socket(service)() as client:
            return (await client.run(sql)).rows

    return asyncio.run(go())


def wait_until(condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_second_launch_finds_the_running_service(runtime):
    first = start(spec()).wait()
    assert not first.reused
    assert rows_of(first, "SELECT 41 + 1 AS answer") == [{"answer": 42}]
    second = start(spec()).wait()
    assert second.reused and second.pid == first.pid and second.socket == first.socket
    assert rows_of(second, "SELECT 'again' AS word") == [{"word": "again"}]


def test_each_source_gets_a_service_of_its_own(runtime, tmp_path):
    (tmp_path / "t.csv").write_text("a,b\n1,x\n2,y\n")
    memory = start(spec()).wait()
    csv = start(spec(source=str(tmp_path / "t.csv"))).wait()
    assert csv.pid != memory.pid
    assert rows_of(csv, "SELECT count(*) AS n FROM data") == [{"n": 2}]
    assert len(services(runtime)) == 2


def test_racing_launches_share_one_service(runtime):
    found, errors, launches = [], [], []

    def launch() -> None:
        try:
            launches.append(start(spec()))
            found.append(launches[-1].wait())
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=launch) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert len({service.pid for service in found}) == 1
    losers = [launch.process for launch in launches if launch.process and launch.process.pid != found[0].pid]
    wait_until(lambda: all(process.poll() is not None for process in losers))  # they gave way
    assert [info["pid"] for _files, info in services(runtime)] == [found[0].pid]


def test_a_killed_service_is_replaced_by_the_next_launch(runtime):
    first = start(spec()).wait()
    os.kill(first.pid, signal.SIGKILL)
    files = ServiceFiles(runtime, spec().key())
    wait_until(lambda: not files.alive())
    assert files.socket.exists()  # left behind by the killed one
    second = start(spec()).wait()
    assert second.pid != first.pid and not second.reused
    assert rows_of(second, "SELECT 1 AS one") == [{"one": 1}]


def test_a_service_that_cannot_start_says_why_at_once(runtime, tmp_path):
    broken = tmp_path / "broken.duckdb"
    broken.write_bytes(b"this is not a DuckDB database" * 100)
    with pytest.raises(ServiceFailed) as failure:
        start(spec(source=str(broken))).wait(timeout=60)
    message = str(failure.value)
    assert message.startswith("the local service did not start: ")
    assert "within" not in message  # its own word, not the launch's timeout
    assert "Traceback" not in message and len(message.splitlines()) == 1
    assert not services(runtime)


def test_an_idle_service_exits_and_leaves_no_socket(runtime, monkeypatch):
    monkeypatch.setenv("FOLIO_SERVICE_IDLE_S", "0.5")
    service = start(spec()).wait()
    files = ServiceFiles(runtime, spec().key())
    assert rows_of(service, "SELECT 1 AS one") == [{"one": 1}]
    wait_until(lambda: not files.alive())
    assert not files.socket.exists() and not files.info.exists()


def test_the_socket_and_the_key_are_the_users_alone(runtime):
    service = start(spec()).wait()
    files = ServiceFiles(runtime, spec().key())
    assert stat.S_IMODE(runtime.stat().st_mode) == 0o700
    assert stat.S_IMODE(files.info.stat().st_mode) == 0o600
    assert stat.S_IMODE(files.socket.stat().st_mode) & 0o077 == 0
    transport = httpx.HTTPTransport(uds=service.socket)
    with httpx.Client(transport=transport, base_url=LOCAL_URL) as client:
        assert client.get("/v1/orgs/self/queries").status_code == 401  # no key, no SQL
        ok = client.get("/v1/orgs/self/queries", headers={"Authorization": f"ApiKey {service.api_key}"})
        assert ok.status_code == 200


def test_the_spec_travels_by_pipe_not_by_argv(runtime):
    dsn = "postgresql://reader:s3cret@127.0.0.1:1/nowhere"
    with pytest.raises(ServiceFailed):
        launch = start(spec(source=dsn))
        assert launch.process is not None and "s3cret" not in " ".join(launch.process.args)
        launch.wait(timeout=60)


def test_the_key_names_source_sandbox_and_service_settings():
    base = spec(cwd="/a")
    assert base.key() == spec(cwd="/a").key()
    assert base.key() != spec(cwd="/b").key()  # relative paths mean something else there
    assert base.key() != spec(cwd="/a", allow_writes=True).key()
    assert base.key() != spec(cwd="/a", allow_dirs=("/data",)).key()
    assert base.key({"FOLIO_PAGE_MAX_BYTES": "1000"}) != base.key({})
    assert base.key({"FOLIO_STATE_DIR": "/elsewhere"}) == base.key({})  # the app's own setting
    assert base.key({"FOLIO_SERVICE_IDLE_S": "60"}) != base.key({})  # the service reads it
    assert ServiceSpec.from_json(base.to_json()) == base


def test_a_client_finds_a_stopped_service_started_again(runtime):
    """The app's transport: the service stops under it; the next request starts it again, with a
    new key, and the results it had stored are still there."""
    from tui.client import QueryClient
    from tui.local.transport import LocalTransport

    first = start(spec()).wait()

    async def go() -> tuple[list[dict], int]:
        transport = LocalTransport(spec(), first)
        async with QueryClient(LOCAL_URL, first.api_key, transport=transport, retries=0) as client:
            stored = await client.run("SELECT range AS n FROM range(1000)", initial_docs=10)
            os.kill(first.pid, signal.SIGTERM)
            await asyncio.to_thread(wait_until, lambda: not ServiceFiles(runtime, spec().key()).alive())
            page = await client.page(stored.query_id, offset=999, docs=1)
            return page.rows, transport.service.pid

    rows, pid = asyncio.run(go())
    assert rows == [{"n": 999}]
    assert pid != first.pid


def test_the_service_explores_a_result_without_numpy_or_pandas(runtime):
    """numpy and pandas are installed (for Spark), but a service over another source never loads
    them, not even for a derived result (pyarrow would import them for one)."""
    service = start(spec()).wait()

    async def go() -> list[dict]:
        async with over_socket(service)() as client:
            stored = await client.run("SELECT range AS n, range % 7 AS k FROM range(5000)", initial_docs=10)
            profile = await client.profile(stored.query_id)
            await client.wait(profile.query_id, timeout=60)
            return (await client.page(profile.query_id, offset=0, docs=10)).rows

    rows = asyncio.run(go())
    assert {row["column"] for row in rows} == {"n", "k"}
    maps = Path(f"/proc/{service.pid}/maps").read_text()
    assert "pyarrow" in maps and "/pandas/" not in maps and "/numpy/" not in maps


def test_a_service_whose_socket_was_removed_exits(runtime, monkeypatch):
    monkeypatch.setenv("FOLIO_SERVICE_IDLE_S", "60")  # not idle long enough: checked every 5 s
    start(spec()).wait()
    files = ServiceFiles(runtime, spec().key())
    files.socket.unlink()
    wait_until(lambda: not files.alive())
