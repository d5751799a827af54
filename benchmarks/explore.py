"""Exploring a stored result on the service (issue 11): find, filter, sort, frequency.

    uv run python benchmarks/explore.py --rows 10000000 --runs 3
    uv run python benchmarks/explore.py --rows 1000000 --runs 3

Against ``folio serve --demo`` in a child process, over loopback HTTP, on the stored result of
``SELECT * FROM _events`` (10 columns: integers, a timestamp, strings, a double, a boolean, a
struct and a list). Each figure is the median of ``--runs`` runs:

* **find, once near the end, from the top**: ``GET …/find`` for a text that occurs in exactly
  one row, 99% of the way down, starting at row 0, following ``scanned_to`` until the match
  (the total of every request, as the app pays it);
* **find next, nearby**: from a row, the next one whose note contains "note for event" (one
  row in 97 has a note);
* **filter, first page**: ``SELECT * FROM result_rows(id) WHERE country = 'US'`` posted async,
  until its first 100 rows are served;
* **sort by a double, first page**: ``… ORDER BY amount DESC NULLS LAST, folio_row``, posted
  async, until its first 100 rows are served; against DuckDB's own
  ``COPY (SELECT * FROM _events ORDER BY amount DESC NULLS LAST) TO … (FORMAT parquet)`` over the
  demo database in this process, in the same run;
* **frequency of a string column**: ``POST …/frequency {"column": "kind"}`` until it completes;
* **profile**: ``POST …/profile`` until it completes;
* the service's peak RSS (``VmHWM``) over the whole run.

VisiData is not compared here (see benchmarks/README.md).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import duckdb
import httpx

from benchmarks._common import API_KEY, folio_serve, machine, median, peak_rss_mib, print_table
from tui.engines.demo import DEMO_SQL, ensure_demo

Q = "/v1/orgs/self/queries"


def q(query_id: str) -> str:
    return f"{Q}/{quote(query_id, safe='')}"


def materialise(http: httpx.Client) -> str:
    r = http.post(Q, json={"sql": {"query": DEMO_SQL}, "max_initial_results": 0}, timeout=600)
    r.raise_for_status()
    return r.json()["query_id"]


def find_from_top(http: httpx.Client, query_id: str, text: str) -> tuple[float, int, int]:
    """Seconds to find ``text`` from row 0 following continuations; the row; requests made."""
    started = time.perf_counter()
    start, requests = 0, 0
    while True:
        body = http.get(q(query_id) + "/find", params={"text": text, "from": start}).json()["data"]
        requests += 1
        if body["match"] is not None or body["done"]:
            return time.perf_counter() - started, body["match"], requests
        start = body["scanned_to"]


def find_next(http: httpx.Client, query_id: str, start: int) -> tuple[float, int]:
    started = time.perf_counter()
    body = http.get(q(query_id) + "/find", params={"text": "note for event", "from": start}).json()["data"]
    return time.perf_counter() - started, body["match"]


def first_page(http: httpx.Client, sql: str) -> tuple[float, str]:
    """Seconds from posting ``sql`` (async) until its first 100 rows are served."""
    started = time.perf_counter()
    r = http.post(Q, json={"sql": {"query": sql}, "async": True})
    r.raise_for_status()
    query_id = r.json()["query_id"]
    while True:
        page = http.get(q(query_id) + "/pages", params={"offset": 0, "docs": 100})
        if page.status_code == 200 and len(page.json()["results"]) == 100:
            return time.perf_counter() - started, query_id
        if page.status_code not in (200, 503):
            raise RuntimeError(page.text)


def until_done(http: httpx.Client, query_id: str) -> None:
    while True:
        status = http.get(q(query_id)).json()["data"]["status"]
        if status == "COMPLETED":
            return
        if status in ("ERROR", "CANCELLED"):
            raise RuntimeError(http.get(q(query_id)).text)
        time.sleep(0.01)


def drop(http: httpx.Client, query_id: str) -> None:
    """Cancel or drop a derived result: the next run must not share its disk or its CPU."""
    http.delete(q(query_id))
    until_final(http, query_id)


def until_final(http: httpx.Client, query_id: str) -> None:
    while True:
        r = http.get(q(query_id))
        if r.status_code != 200 or r.json()["data"]["status"] not in ("QUEUED", "RUNNING"):
            return
        time.sleep(0.05)


def frequency(http: httpx.Client, query_id: str, column: str) -> tuple[float, str]:
    started = time.perf_counter()
    r = http.post(q(query_id) + "/frequency", json={"column": column})
    r.raise_for_status()
    derived = r.json()["query_id"]
    until_done(http, derived)
    return time.perf_counter() - started, derived


def profile(http: httpx.Client, query_id: str) -> tuple[float, str]:
    started = time.perf_counter()
    r = http.post(q(query_id) + "/profile", json={})
    r.raise_for_status()
    derived = r.json()["query_id"]
    until_done(http, derived)
    return time.perf_counter() - started, derived


def duckdb_sort_copy(db: Path, out: Path) -> float:
    con = duckdb.connect(str(db), read_only=True)
    try:
        started = time.perf_counter()
        con.execute(f"COPY ({DEMO_SQL} ORDER BY amount DESC NULLS LAST) TO '{out}' (FORMAT parquet)")
        return time.perf_counter() - started
    finally:
        con.close()
        out.unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--memory-limit", help="the service's FOLIO_DERIVED_MEMORY_LIMIT (DuckDB's memory_limit for derived queries)"
    )
    args = parser.parse_args()
    if args.memory_limit:
        os.environ["FOLIO_DERIVED_MEMORY_LIMIT"] = args.memory_limit  # the child service reads it
    limit = os.environ.get("FOLIO_DERIVED_MEMORY_LIMIT", "1GB (default)")
    db = ensure_demo(args.rows)
    print(f"demo: {args.rows:,} rows ({db.stat().st_size / 2**20:,.0f} MiB DuckDB file); {machine()}\n")
    # the one note 99% of the way down: every 97th event has one, and its number is unique
    target = (args.rows * 99 // 100) // 97 * 97
    needle = f"note for event {target}"
    times: dict[str, list[float]] = {k: [] for k in ("find", "next", "filter", "sort", "copy", "frequency", "profile")}
    requests = 0
    with folio_serve("--demo", "--demo-rows", str(args.rows)) as (url, proc):
        with httpx.Client(base_url=url, headers={"Authorization": f"ApiKey {API_KEY}"}, timeout=600) as http:
            parent = materialise(http)
            with tempfile.TemporaryDirectory() as tmp:
                for run in range(args.runs):
                    seconds, match, requests = find_from_top(http, parent, needle)
                    assert match == target, (match, target)
                    times["find"].append(seconds)
                    seconds, match = find_next(http, parent, target + 1)
                    assert match == target + 97, match
                    times["next"].append(seconds)
                    seconds, derived = first_page(http, f"SELECT * FROM result_rows('{parent}') WHERE country = 'US'")
                    times["filter"].append(seconds)
                    drop(http, derived)
                    sql = f"SELECT * FROM result_rows('{parent}') ORDER BY amount DESC NULLS LAST, folio_row"
                    seconds, derived = first_page(http, sql)
                    times["sort"].append(seconds)
                    drop(http, derived)
                    times["copy"].append(duckdb_sort_copy(db, Path(tmp) / f"sorted{run}.parquet"))
                    seconds, derived = frequency(http, parent, "kind")
                    times["frequency"].append(seconds)
                    drop(http, derived)
                    seconds, derived = profile(http, parent)
                    times["profile"].append(seconds)
                    drop(http, derived)
        peak = peak_rss_mib(proc.pid)

    m = {k: median(v) for k, v in times.items()}
    print(f"Exploring the stored {args.rows:,}-row result (median of {args.runs} runs, loopback HTTP)\n")
    print_table(
        ["operation", "seconds", "note"],
        [
            ["find once near the end, from the top", f"{m['find']:.3f}", f"{requests} requests (row {target:,})"],
            ["find next, nearby", f"{m['next']:.3f}", "97 rows on"],
            ["filter country = 'US', first 100 rows", f"{m['filter']:.3f}", ""],
            [
                "sort by amount (double), first 100 rows",
                f"{m['sort']:.3f}",
                f"{m['sort'] / m['copy']:.2f}x DuckDB COPY",
            ],
            ["DuckDB COPY (… ORDER BY amount) TO parquet", f"{m['copy']:.3f}", "same run, in-process"],
            ["frequency of kind (string)", f"{m['frequency']:.3f}", ""],
            ["profile (every column)", f"{m['profile']:.3f}", ""],
        ],
    )
    print(f"\nfolio serve peak RSS: {peak:,.0f} MiB (derived queries' memory limit: {limit})")


if __name__ == "__main__":
    main()
