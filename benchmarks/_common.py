"""Helpers shared by the benchmark scripts: a ``folio serve`` subprocess and table printing."""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
API_KEY = "bench-key"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def folio_serve(*args: str, store: Path | None = None) -> Iterator[tuple[str, subprocess.Popen]]:
    """``folio serve ARGS`` on a free loopback port; yields (base URL, process)."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="folio-bench-") as tmp, open(Path(tmp) / "serve.log", "w+") as log:
        cmd = [sys.executable, "-m", "tui", "serve", *args, "--port", str(port), "--api-key", API_KEY,
               "--store", str(store or Path(tmp) / "store"), "--log-level", "warning"]  # fmt: skip
        proc = subprocess.Popen(cmd, cwd=ROOT, stderr=log, text=True)  # a file, not a pipe nobody drains
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 600
        while True:
            try:
                httpx.get(url + "/health", timeout=1)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"folio serve did not start: {log.read()}") from None
                time.sleep(0.1)
        try:
            yield url, proc
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(cells[0], widths)) + " |"
    print(line)
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in cells[1:]:
        print("| " + " | ".join(c.rjust(w) for c, w in zip(row, widths)) + " |")


def machine() -> str:
    return f"{os.cpu_count()} cores, Python {sys.version.split()[0]}"
