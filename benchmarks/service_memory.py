"""Issue 12: the memory of the app's service process, flat in the result size.

    uv run python benchmarks/service_memory.py [--rows 1000000 10000000] [--runs 3] [--jumps 200]
        [--before REV]

Runs the service the way the app runs it in a process of its own: ``create_app`` under uvicorn
on a Unix socket, over a DuckDBEngine on the cached demo database with the app's DuckDB settings
(64 MB, one thread). Then, as the app does, submits ``SELECT * FROM _events`` async with a
250-row first page, waits until it is COMPLETED, and reads the first, the middle and the last
250-row page, then ``--jumps`` pages at random offsets (as End, ctrl+g and scrolling do). The service's /proc status is sampled every 20 ms throughout: the peak of VmHWM
(what issue 12 counts), of RssAnon (heap: Python, Arrow, DuckDB) and of RssFile (mapped files:
libraries, memory-mapped chunks). Medians of ``--runs`` fresh services per size.

The service's settings come from the environment as the app's do (``FOLIO_<SETTING>``, e.g.
``FOLIO_MAPPED_CHUNK_BYTES``), DuckDB's from ``FOLIO_DUCKDB_MEMORY_LIMIT`` / ``FOLIO_DUCKDB_THREADS``.

``--before REV`` measures the service of git revision REV (e.g. ``main``) in the same run,
interleaved with this checkout's: a copy of REV's ``tui`` is put first on the child's path.

The demo databases are cached in ~/.cache/folio (``tui.demo_cache``); a missing one is built
first (the 10M one takes a while).
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._common import ROOT, machine, print_table

Q = "/v1/orgs/self/queries"
PAGE = 250  # the app's page (tui.app.grid.grid.PAGE_SIZE)
SAMPLE_S = 0.02
#: the app's DuckDB settings (tui.app.connect.APP_DUCKDB, with the same environment overrides;
#: not imported: tui.app imports Textual)
APP_DUCKDB = {
    "memory_limit": os.environ.get("FOLIO_DUCKDB_MEMORY_LIMIT") or "64MB",
    "threads": int(os.environ.get("FOLIO_DUCKDB_THREADS") or 1),
}


# ---------------------------------------------------------------------------------------------
# the service (child process)


#: run with ``python -c`` so that the ``tui`` imported is the one first on PYTHONPATH (this
#: checkout's, or ``--before``'s), not the one beside this script
SERVE = """
import sys
from pathlib import Path

import uvicorn

from tui.demo_cache import demo_path
from tui.engines.duckdb import DuckDBEngine
from tui.server import Keyring, ServiceSettings, create_app

rows, socket_path, api_key, store, memory_limit, threads = sys.argv[1:]
engine = DuckDBEngine(demo_path(int(rows)), memory_limit=memory_limit, threads=int(threads))
keyring = Keyring()
keyring.add(api_key)
app = create_app(ServiceSettings.from_env(store_dir=Path(store)), engine, keyring)
uvicorn.Server(uvicorn.Config(app, uds=socket_path, log_level="warning", access_log=False)).run()
"""


# ---------------------------------------------------------------------------------------------
# the driver


def status(pid: int) -> dict[str, int]:
    """VmHWM, VmRSS, RssAnon, RssFile of ``pid`` in kB."""
    out: dict[str, int] = {}
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS", "RssAnon", "RssFile"):
                out[key] = int(value.split()[0])
    return out


class Sampler(threading.Thread):
    """Samples ``pid``'s status every 20 ms; ``peak`` holds the largest value of each field."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid = pid
        self.peak: dict[str, int] = {}
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                for key, value in status(self.pid).items():
                    self.peak[key] = max(self.peak.get(key, 0), value)
            except (FileNotFoundError, ProcessLookupError):
                return
            time.sleep(SAMPLE_S)

    def stop(self) -> dict[str, int]:
        self.stopped.set()
        self.join()
        return self.peak


def measure(rows: int, code: Path, jumps: int) -> dict[str, float]:
    """One fresh service over the ``rows`` demo, running code from ``code``; figures in MiB / s."""
    api_key = secrets.token_urlsafe(16)
    with tempfile.TemporaryDirectory(prefix="folio-svcmem-") as tmp:
        sock = os.path.join(tmp, "folio.sock")
        env = {**os.environ, "PYTHONPATH": str(code)}
        duckdb = [str(APP_DUCKDB["memory_limit"]), str(APP_DUCKDB["threads"])]
        cmd = [sys.executable, "-c", SERVE, str(rows), sock, api_key, tmp + "/store", *duckdb]
        with open(Path(tmp) / "serve.log", "w+") as log:
            proc = subprocess.Popen(cmd, cwd=code, env=env, stderr=log)
            try:
                return _drive(proc, sock, api_key, rows, jumps, log)
            finally:
                proc.terminate()
                proc.wait(timeout=60)


def _drive(proc: subprocess.Popen, sock: str, api_key: str, rows: int, jumps: int, log) -> dict[str, float]:
    transport = httpx.HTTPTransport(uds=sock)
    headers = {"Authorization": f"ApiKey {api_key}"}
    with httpx.Client(transport=transport, base_url="http://folio", headers=headers, timeout=120) as http:
        deadline = time.monotonic() + 120
        while True:
            try:
                http.get("/health")
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"the service did not start: {log.read()}") from None
                time.sleep(0.05)
        idle = status(proc.pid)
        sampler = Sampler(proc.pid)
        sampler.start()
        started = time.monotonic()
        body = {
            "sql": {"query": "SELECT * FROM _events"},
            "async": True,
            "async_options": {"client_timeout_ms": 50},
            "max_initial_results": PAGE,
        }
        answer = http.post(Q, json=body).json()
        query_id = answer["query_id"]
        while True:
            info = http.get(f"{Q}/{query_id}").json()["data"]
            if info["status"] not in ("QUEUED", "RUNNING"):
                break
            time.sleep(0.1)
        if info["status"] != "COMPLETED":
            raise RuntimeError(f"the query ended {info['status']}: {info.get('query_errors')}")
        completed = time.monotonic() - started
        total = info["stats"]["result_set_document_count"]
        if total != rows:
            raise RuntimeError(f"{total:,} rows stored, not {rows:,}")
        rng = random.Random(rows)
        for offset in [0, total // 2, total - PAGE] + [rng.randrange(total - PAGE) for _ in range(jumps)]:
            page = http.get(f"{Q}/{query_id}/pages", params={"offset": offset, "docs": PAGE})
            page.raise_for_status()
            if len(page.json()["results"]) != PAGE:
                raise RuntimeError(f"page at {offset:,} is short")
        time.sleep(3 * SAMPLE_S)
        peak = sampler.stop()
        end = status(proc.pid)
    mib = 1024.0
    return {
        "idle": idle["VmRSS"] / mib,
        "hwm": max(peak.get("VmHWM", 0), end["VmHWM"]) / mib,
        "anon": peak.get("RssAnon", 0) / mib,
        "file": peak.get("RssFile", 0) / mib,
        "end": end["VmRSS"] / mib,
        "seconds": completed,
    }


def checkout(revision: str, into: Path) -> Path:
    """A copy of ``revision``'s tree (its ``tui`` package is what the child imports)."""
    archive = subprocess.run(["git", "archive", revision], cwd=ROOT, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jumps", type=int, default=200, help="pages read at random offsets after the first three")
    parser.add_argument("--before", metavar="REV", help="also measure git revision REV (e.g. main)")
    args = parser.parse_args()

    from tui.engines.demo import ensure_demo

    for rows in args.rows:
        ensure_demo(rows)
    with tempfile.TemporaryDirectory(prefix="folio-before-") as before_dir:
        variants = [("after", ROOT)]
        if args.before:
            variants.insert(0, (f"before ({args.before})", checkout(args.before, Path(before_dir))))
        results: dict[tuple[str, int], list[dict[str, float]]] = {}
        for run in range(args.runs):
            for rows in args.rows:
                for name, code in variants:  # interleaved, so a noisy minute hits both alike
                    figures = measure(rows, code, args.jumps)
                    results.setdefault((name, rows), []).append(figures)
                    print(f"run {run + 1} {name} {rows:,}: " + ", ".join(f"{k} {v:.1f}" for k, v in figures.items()),
                          file=sys.stderr)  # fmt: skip

    def med(name: str, rows: int, key: str) -> float:
        return statistics.median(r[key] for r in results[(name, rows)])

    print(f"\nservice process, SELECT * FROM _events then first/middle/last {PAGE}-row page; "
          f"then {args.jumps} at random; DuckDB memory_limit {APP_DUCKDB['memory_limit']}, {APP_DUCKDB['threads']} thread(s); "
          f"median of {args.runs}; {machine()}\n")  # fmt: skip
    table = []
    for name, _ in variants:
        for rows in args.rows:
            table.append(
                [name, f"{rows:,}"]
                + [f"{med(name, rows, k):,.0f}" for k in ("idle", "hwm", "anon", "file", "end")]
                + [f"{med(name, rows, 'seconds'):.1f}"]
            )
    print_table(
        ["code", "rows", "idle RSS", "peak (VmHWM)", "peak RssAnon", "peak RssFile", "RSS after", "query s"], table
    )
    if len(args.rows) > 1:
        low, high = min(args.rows), max(args.rows)
        print()
        print_table(
            ["code", f"VmHWM {high:,} / {low:,}", f"RssAnon {high:,} / {low:,}"],
            [
                [name, *(f"{med(name, high, key) / med(name, low, key):.2f}" for key in ("hwm", "anon"))]
                for name, _ in variants
            ],
        )


if __name__ == "__main__":
    main()
