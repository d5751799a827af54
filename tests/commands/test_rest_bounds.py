"""``folio rest`` against endpoints that misbehave (issue 10, defect 9): a page too large, a
server that sends one byte a second, JSON nested too deeply, a listing that never ends. Each is
one line and an exit code; none leaves a file."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.client.httpserver import Reply, serve
from tests.commands.cli_helpers import assert_one_line_error
from tests.conftest import wait_until
from tui.client.rest_pager import DEFAULT_MAX_PAGES, RestPager


@contextmanager
def raw_server(head: bytes, body: bytes, byte_delay: float) -> Iterator[str]:
    """A server that answers every connection with ``head`` then ``body`` one byte at a time,
    ``byte_delay`` seconds apart (a real socket; the stdlib server cannot be made this slow)."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def answer(conn: socket.socket) -> None:
        with conn:
            try:
                conn.recv(65536)
                conn.sendall(head)
                for i in range(len(body)):
                    if stop.wait(byte_delay):
                        return
                    conn.sendall(body[i : i + 1])
            except OSError:
                return

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=answer, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


PAGE = {"data": [{"id": 1, "pad": "x" * 5000}], "pagination": {"hasMore": False}}


def test_a_page_over_the_byte_cap_is_refused(cli, tmp_path):
    body = json.dumps(PAGE).encode()
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
    # a raw server: the client hangs up after the head, which the stdlib server would report on stderr
    with raw_server(head, body, byte_delay=0) as url:
        outcome = cli("rest", url + "/x", "-o", "x.jsonl", "--max-page-bytes", "4k")
    assert_one_line_error(outcome, 1, "page 1 is larger than 4,096 bytes")
    assert list(tmp_path.glob("*x.jsonl*")) == []


def test_a_page_of_unknown_length_over_the_cap_is_cut_while_it_streams(cli, tmp_path):
    body = json.dumps(PAGE).encode()
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
    with raw_server(head, body + b" " * 100_000, byte_delay=0) as url:
        outcome = cli("rest", url + "/x", "-o", "x.jsonl", "--max-page-bytes", "4k")
    assert_one_line_error(outcome, 1, "larger than 4,096 bytes")


def test_a_server_sending_one_byte_a_second_is_given_up_on(cli, tmp_path):
    body = json.dumps(PAGE).encode()
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
    with raw_server(head, body, byte_delay=1.0) as url:
        page = cli("rest", url + "/x", "-o", "x.jsonl", "--page-timeout", "1.5")
        total = cli("rest", url + "/x", "-o", "x.jsonl", "--max-time", "1.5")
    assert_one_line_error(page, 3, "page 1 did not arrive whole within 1.5 s")
    assert_one_line_error(total, 3, "longer than its 1.5 s deadline")
    assert list(tmp_path.glob("*x.jsonl*")) == []


def test_json_nested_too_deeply_is_a_clear_error(cli, tmp_path):
    deep = b'{"data": [' + b"[" * 200_000 + b"]" * 200_000 + b'], "pagination": {"hasMore": false}}'
    with serve(lambda request: Reply(200, deep, {"Content-Type": "application/json"})) as server:
        outcome = cli("rest", server.base_url + "/x", "-o", "x.jsonl")
    assert_one_line_error(outcome, 1, "nested too deeply")


def test_json_too_deep_to_write_is_a_clear_error(cli, tmp_path):
    deep = b'{"data": [' + b"[" * 400 + b"]" * 400 + b'], "pagination": {"hasMore": false}}'
    with serve(lambda request: Reply(200, deep, {"Content-Type": "application/json"})) as server:
        outcome = cli("rest", server.base_url + "/x", "-o", "x.jsonl")
    assert_one_line_error(outcome, 1, "cannot be written as JSON")
    assert list(tmp_path.glob("*x.jsonl*")) == []


def test_a_listing_that_never_ends_stops_at_the_page_limit_with_a_warning(cli, tmp_path):
    def endless(request):
        n = int(request.query.get("pageToken", "0"))
        return Reply.json({"data": [{"n": n}], "pagination": {"hasMore": True, "nextPageToken": str(n + 1)}})

    with serve(endless) as server:
        outcome = cli("rest", server.base_url + "/x", "-o", "x.jsonl", "--max-pages", "5")
    assert outcome.code == 0
    assert "stopped after 5 pages (--max-pages); the endpoint has more" in outcome.err
    assert [json.loads(line)["n"] for line in (tmp_path / "x.jsonl").read_text().splitlines()] == [0, 1, 2, 3, 4]
    assert RestPager("http://h/x").max_pages == DEFAULT_MAX_PAGES  # a limit by default


@pytest.mark.parametrize(
    ("argv", "contains"),
    [
        (["--max-pages", "-1"], "--max-pages"),
        (["--page-timeout", "0"], "--page-timeout"),
        (["--max-time", "-3"], "--max-time"),
    ],
)
def test_bad_bounds_are_one_line(cli, argv, contains):
    assert_one_line_error(cli("rest", "http://h/x", "-o", "x.jsonl", *argv), 2, contains)


def test_a_size_that_is_not_one_is_a_usage_error(cli, capsys):
    with pytest.raises(SystemExit) as exit_info:  # argparse's usage error
        cli("rest", "http://h/x", "-o", "x.jsonl", "--max-page-bytes", "lots")
    assert exit_info.value.code == 2
    assert "not a size: 'lots'" in capsys.readouterr().err


def slow_endless(request):
    time.sleep(0.05)
    n = int(request.query.get("pageToken", "0"))
    return Reply.json({"data": [{"n": n}], "pagination": {"hasMore": True, "nextPageToken": str(n + 1)}})


def test_rest_writes_to_standard_output(tmp_path):
    with serve(slow_endless) as server:
        done = subprocess.run(
            [sys.executable, "-m", "tui", "rest", server.base_url + "/x", "-o", "-", "-q", "--max-pages", "3"],
            capture_output=True,
            timeout=60,
            cwd=tmp_path,
        )
    assert done.returncode == 0, done.stderr
    assert [json.loads(line)["n"] for line in done.stdout.splitlines()] == [0, 1, 2]


def test_sigterm_removes_the_partial_listing(tmp_path):
    with serve(slow_endless) as server:
        listing = subprocess.Popen(
            [sys.executable, "-m", "tui", "rest", server.base_url + "/x", "-o", "out.jsonl", "--max-pages", "0"],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        wait_until(lambda: len(server.requests) >= 3, timeout=60)
        listing.send_signal(signal.SIGTERM)
        _, err = listing.communicate(timeout=60)
    assert listing.returncode == 143
    assert err.decode().strip().splitlines()[-1] == "folio: terminated (SIGTERM); nothing was kept"
    assert list(tmp_path.iterdir()) == []
