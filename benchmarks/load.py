"""Issue 6's load test: many concurrent clients paging stored results on loopback.

    uv run python benchmarks/load.py [--clients 50] [--seconds 60] [--rows 1000000]

Starts ``folio serve --demo`` as a subprocess, stores a few results of the demo table, then
runs ``--clients`` concurrent clients (one asyncio process, a minimal keep-alive HTTP client)
for ``--seconds``: each fetches 1,000-doc pages at random offsets of random stored results
and, one request in fifty (``--query-share``), runs a small query. Reports pages/s and p50/p99
latency per ``--window`` seconds, errors, and the service's RSS sampled every second. Only
loopback addresses are used; the loop stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import sys
import time
from pathlib import Path
from urllib.parse import quote

import httpx
import orjson
import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._common import API_KEY, folio_serve, machine, median, percentile, print_table, rss_mib

Q = "/v1/orgs/self/queries"
SMALL = "SELECT kind, count(*) AS n FROM _events WHERE event_id < 5000 GROUP BY kind"
PAGE_DOCS = 1000
#: one response in this many is parsed in full and its rows counted (the others are checked
#: by status and shape only, so the load generator's own JSON parsing stays off the measurement)
CHECK_EVERY = 20


class Connection:
    """A keep-alive HTTP/1.1 connection that reads whole responses and nothing more.

    The load generator shares the machine's two cores with the service, so it has to be
    cheap: httpx spends ~1.6 ms of CPU per 200 kB page, more than the service does, and with
    it the generator, not the service, was what the run measured.
    """

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, target: str, body: bytes = b"") -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port, limit=1 << 20)
        head = f"{method} {target} HTTP/1.1\r\nHost: {self.host}\r\nAuthorization: ApiKey {API_KEY}\r\n"
        if body:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        self.writer.write(head.encode() + b"\r\n" + body)
        try:
            header = await self.reader.readuntil(b"\r\n\r\n")
            status = int(header[9:12])
            lowered = header.lower()
            at = lowered.find(b"content-length:")
            if at < 0:
                raise ValueError("response without Content-Length")
            length = int(lowered[at + 15 : lowered.index(b"\r\n", at)])
            payload = await self.reader.readexactly(length)
        except BaseException:
            self.close()
            raise
        if b"connection: close" in lowered:
            self.close()
        return status, payload

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def client(
    host: str, port: int, results: list[tuple[str, int]], deadline: float, seed: int, out: dict, query_share: float
) -> None:
    rng = random.Random(seed)
    connection = Connection(host, port)
    n = 0
    while time.monotonic() < deadline:
        n += 1
        started = time.perf_counter()
        try:
            if rng.random() < query_share:
                status, payload = await connection.request("POST", Q, orjson.dumps({"sql": {"query": SMALL}}))
                kind, expected = "query", None
            else:
                query_id, total = rng.choice(results)
                offset = rng.randrange(0, max(1, total - PAGE_DOCS))
                target = f"{Q}/{quote(query_id, safe='')}/pages?offset={offset}&docs={PAGE_DOCS}"
                status, payload = await connection.request("GET", target)
                kind, expected = "page", min(PAGE_DOCS, total - offset)
            elapsed = (time.perf_counter() - started) * 1000
            if status != 200 or not payload.startswith(b'{"results":['):
                out["errors"].append(f"{status} {payload[:120]!r}")
                continue
            if expected is not None and n % CHECK_EVERY == 0:
                page = orjson.loads(payload)
                if len(page["results"]) != expected or page["pagination"]["current_page_doc_count"] != expected:
                    out["errors"].append(f"wrong page: {len(page['results'])} rows, expected {expected}")
                    continue
            out[kind].append((time.monotonic(), elapsed))
        except (OSError, ValueError, asyncio.IncompleteReadError) as exc:
            out["errors"].append(repr(exc))
    connection.close()


async def run(url: str, args: argparse.Namespace, proc_pid: int) -> dict:
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"ApiKey {API_KEY}"}, timeout=60) as http:
        results = []
        for _ in range(args.results):
            body = (
                await http.post(Q, json={"sql": {"query": "SELECT * FROM _events"}, "max_initial_results": 0})
            ).json()
            results.append((body["query_id"], body["results_total_doc_count"]))
    host, port = url.removeprefix("http://").split(":")
    out: dict = {"page": [], "query": [], "errors": [], "rss_start": rss_mib(proc_pid)}
    # The generator's own pauses would count as the service's latency: a full collection
    # here took up to 135 ms, stalling every request in flight. It makes few cycles; let the
    # reference counts free its garbage.
    gc.collect()
    gc.freeze()
    gc.disable()
    started = time.monotonic()
    deadline = started + args.seconds
    out["rss"] = []

    async def sample_rss() -> None:
        while time.monotonic() < deadline:
            out["rss"].append((time.monotonic(), rss_mib(proc_pid)))
            await asyncio.sleep(1)

    sampler = asyncio.ensure_future(sample_rss())
    await asyncio.gather(
        *(client(host, int(port), results, deadline, seed, out, args.query_share) for seed in range(args.clients))
    )
    await sampler
    out["started"] = started
    out["wall"] = time.monotonic() - started
    out["rss_end"] = rss_mib(proc_pid)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--results", type=int, default=3)
    parser.add_argument("--query-share", type=float, default=0.02, help="share of requests that run a query")
    parser.add_argument("--window", type=int, default=10, help="seconds per row of the table")
    args = parser.parse_args()
    with folio_serve("--demo", "--demo-rows", str(args.rows)) as (url, proc):
        out = uvloop.run(run(url, args, proc.pid))
    print(
        f"{args.clients} clients for {args.seconds:.0f} s on loopback; {args.results} stored results of "
        f"{args.rows:,} rows; {PAGE_DOCS:,}-doc pages at random offsets; {machine()}\n"
    )
    rows = []
    window = args.window
    for first in [*range(0, int(args.seconds), window), None]:
        if first is None:
            label, span = "whole run", (0.0, out["wall"])
        else:
            label, span = (
                f"{first}-{min(first + window, int(args.seconds))} s",
                (first, min(first + window, out["wall"])),
            )
        pages = [ms for t, ms in out["page"] if span[0] <= t - out["started"] < span[1]]
        queries = [ms for t, ms in out["query"] if span[0] <= t - out["started"] < span[1]]
        rss = [mib for t, mib in out["rss"] if span[0] <= t - out["started"] < span[1]]
        if not pages:
            continue
        rows.append(
            [
                label,
                f"{len(pages) / (span[1] - span[0]):,.0f}",
                f"{median(pages):.1f}",
                f"{percentile(pages, 99):.1f}",
                f"{median(queries):.1f}" if queries else "-",
                f"{max(rss):,.0f}" if rss else "-",
            ]
        )
    print_table(["window", "pages/s", "page p50 ms", "page p99 ms", "query p50 ms", "service RSS MiB (max)"], rows)
    print(
        f"\n{len(out['page']) + len(out['query']):,} requests, {len(out['errors'])} errors; service RSS "
        f"{out['rss_start']:,.0f} MiB at the start, {out['rss_end']:,.0f} MiB at the end"
    )
    for error in out["errors"][:5]:
        print("error:", error)


if __name__ == "__main__":
    main()
