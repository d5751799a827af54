"""Slow and hostile clients against a real ``folio serve`` process (issue 10, defect 4): idle
connections are bounded, a request head must arrive in time and fit, and repeated bad keys from
one address are made to wait. No timing thresholds: only what the server answers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port, wait_until

KEY = "slow-clients-key"
ROOT = Path(__file__).resolve().parents[2]
MAX_CONNECTIONS = 64


@pytest.fixture
def start_serve(tmp_path) -> Iterator[Callable[..., str]]:
    """``start_serve(header_timeout_s=1) -> base URL`` of a ``folio serve`` with small limits."""
    processes: list[subprocess.Popen] = []

    def start(header_timeout_s: float = 1) -> str:
        port = free_port()
        env = {
            **os.environ,
            "FOLIO_MAX_CONNECTIONS": str(MAX_CONNECTIONS),
            "FOLIO_HEADER_TIMEOUT_S": str(header_timeout_s),
            "FOLIO_MAX_HEADER_BYTES": "8192",
        }
        cmd = [sys.executable, "-m", "tui", "serve", "--port", str(port), "--api-key", KEY]
        cmd += ["--store", str(tmp_path / f"store{len(processes)}"), "--log-level", "warning"]
        process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        processes.append(process)
        url = f"http://127.0.0.1:{port}"

        def up() -> bool:
            try:
                return httpx.get(url + "/health", timeout=5).status_code == 200
            except httpx.TransportError:
                assert process.poll() is None, "folio serve exited"
                return False

        wait_until(up, timeout=60, interval=0.05)
        return url

    yield start
    for process in processes:
        process.kill()
        process.wait(timeout=60)


@pytest.fixture
def serve(start_serve) -> str:
    return start_serve()


def connect(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=30)
    return sock


def read_until_closed(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def test_idle_connections_are_bounded_and_a_real_request_still_gets_in(start_serve):
    serve = start_serve(header_timeout_s=120)  # so only the bound, not the head timeout, closes them
    idle = [connect(serve) for _ in range(5 * MAX_CONNECTIONS)]
    try:
        ok = httpx.get(serve + "/v1/orgs/self/queries", headers={"Authorization": f"ApiKey {KEY}"}, timeout=30)
        assert ok.status_code == 200
        # the server closed the idle connections beyond its bound, the oldest first, silently
        for sock in idle[: 4 * MAX_CONNECTIONS + 1]:
            sock.settimeout(30)
            assert sock.recv(1) == b""
        # and kept the newest ones open
        for sock in idle[-(MAX_CONNECTIONS - 1) :]:
            sock.settimeout(0.05)
            with pytest.raises(TimeoutError):
                sock.recv(1)
    finally:
        for sock in idle:
            sock.close()


def test_a_request_head_sent_too_slowly_is_cut_off(serve):
    with connect(serve) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        sent_headers = 0
        sock.settimeout(0.2)
        answer = b""
        while sent_headers < 600:  # a slowloris would go on for ever; the server must stop it first
            try:
                sock.sendall(b"X-Slow-%d: y\r\n" % sent_headers)
            except OSError:
                break
            sent_headers += 1
            try:
                answer = sock.recv(65536)
                break
            except TimeoutError:
                continue
        sock.settimeout(30)
        answer += read_until_closed(sock) if answer else b""
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
    assert b'"type":"BADREQUEST"' in answer and b"did not arrive within 1 s" in answer


def test_a_connection_that_never_sends_a_head_is_closed(serve):
    with connect(serve) as sock:
        answer = read_until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 408 ")


def test_a_huge_header_gets_431(serve):
    response = httpx.get(serve + "/health", headers={"X-Huge": "h" * 20_000}, timeout=30)
    assert response.status_code == 431
    body = response.json()
    assert body["type"] == "BADREQUEST" and "larger than 8,192 bytes" in body["message"]
    assert httpx.get(serve + "/health", headers={"X-Fine": "f" * 4_000}, timeout=30).status_code == 200


def test_repeated_bad_keys_from_one_address_must_wait(service_factory):
    """After 5 failures in a row, 429 with Retry-After for any key that has not worked from this
    address before, valid or not (a guesser learns nothing); a key that already worked from it
    keeps working."""
    live = service_factory(auth_backoff_after=5)
    queries = live.base_url + "/v1/orgs/self/queries"
    good = {"Authorization": f"ApiKey {live.api_key}"}
    with httpx.Client(timeout=30) as http:
        assert http.get(queries, headers=good).status_code == 200  # this key has worked from here
        for n in range(5):
            bad = http.get(queries, headers={"Authorization": f"ApiKey wrong-{n}"})
            assert bad.status_code == 401
        refused = http.get(queries, headers={"Authorization": "ApiKey wrong-again"})
        assert refused.status_code == 429
        assert refused.json()["type"] == "RATELIMITEXCEEDED"
        assert int(refused.headers["retry-after"]) >= 1
        assert http.get(queries).status_code == 429  # no key at all: the same
        # the other org's key is valid but new from this address: refused like a guess
        other = http.get(queries, headers={"Authorization": f"ApiKey {live.other_key}"})
        assert other.status_code == 429
        assert http.get(queries, headers=good).status_code == 200
