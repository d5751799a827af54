"""The results grid's own cost of End, Home and PageDown (issue 12), the service left out.

    uv run python benchmarks/grid.py --rows 1000000 10000000 --runs 5

The real :class:`~tui.app.views.grid.ExploreGrid` (the app's grid) in a Textual app, headless
(``run_test``), 160×48, over a result of N rows of the demo's shape (10 columns) that a source
*in memory* answers at once (``--page-ms`` makes each page take that long, as a service
would). What is timed is the app's side only:

* **key → painted**: Pilot's key press → the compositor has drawn the grid with the target row
  (End: the last row; PageDown: the new first row) *with its data*, not a placeholder, and
  handed the frame to the driver (headless: the terminal write itself is not included). It
  includes Textual's frame pacing (the screen updates at most every 1/60 s).
* **waited for a page**: how many of the keys drew a placeholder first (the page was not
  there: prefetch came too late), and the pages fetched *because of* an End (0 when the edge
  pages fetched at completion are used).
* **taking a page in**: a 250-row page as the service sends it (JSON bytes, with the
  service's ``column_widths``: every scalar column measured) → decoded rows
  (``orjson``, as the client does), → the grid's cache (``_take_page``: widths, pages,
  relayout); and **one screen drawn**: every line of the grid rendered from cached pages.

Figures are medians of ``--runs`` runs (each: a fresh app, End, Home, 20 PageDowns).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from typing import Any

os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")

import orjson
from textual.app import App, ComposeResult

from benchmarks._common import machine, print_table
from tui.app.collector import freeze_long_lived, thaw
from tui.app.grid.pages import RowPage
from tui.app.views.grid import ExploreGrid

WIDTH, HEIGHT = 160, 48
PAGE_SIZE = 250
COLUMNS = [
    ("event_id", "BIGINT"),
    ("ts", "TIMESTAMP"),
    ("user_id", "INTEGER"),
    ("kind", "VARCHAR"),
    ("country", "VARCHAR"),
    ("amount", "DOUBLE"),
    ("is_mobile", "BOOLEAN"),
    ("session", "STRUCT(id VARCHAR, depth INTEGER)"),
    ("tags", "VARCHAR[]"),
    ("note", "VARCHAR"),
]
KINDS = ["view", "click", "search", "signup", "purchase", "logout"]
COUNTRIES = ["US", "DE", "FR", "BR", "IN", "JP", "GB", "NG", "MX", "KR"]


def demo_row(i: int, columns: int) -> dict[str, Any]:
    """A row like the demo's ``_events`` row ``i`` (more columns: ``extra_N`` strings)."""
    row: dict[str, Any] = {
        "event_id": i,
        "ts": f"2026-01-{1 + i * 317 // 86_400_000 % 28:02d} 00:00:{i % 60:02d}.{i % 1000:03d}",
        "user_id": hash(i) % 100_000,
        "kind": KINDS[i % 6],
        "country": COUNTRIES[i % 10],
        "amount": round((i * 37 % 50_000) / 100, 2) if i % 6 == 4 else None,
        "is_mobile": i % 3 == 0,
        "session": {"id": f"sess-{i // 20}", "depth": i % 20},
        "tags": ["new"] if i % 4 == 0 else ["returning", "promo"] if i % 4 == 1 else [],
        "note": f"note for event {i}" if i % 97 == 0 else None,
    }
    for n in range(len(COLUMNS), columns):
        row[f"extra_{n}"] = f"value {i % 1000} of {n}"
    return row


def schema(columns: int) -> list[tuple[str, str]]:
    return COLUMNS[:columns] + [(f"extra_{n}", "VARCHAR") for n in range(len(COLUMNS), columns)]


class MemoryRows:
    """A result of ``total`` rows answered from memory: each page's rows are made once (JSON
    bytes, decoded per fetch as the client does), so a fetch costs what decoding does, plus
    ``delay`` seconds when asked to stand in for a service."""

    def __init__(self, total: int, columns: int, delay: float = 0.0) -> None:
        self.total = total
        self.columns = schema(columns)
        self.width_count = columns
        self.delay = delay
        self.fetches: list[int] = []
        self._bodies: dict[int, bytes] = {}
        # as the service's ``column_widths``: each scalar column's longest value as text, 0 for
        # nested ones (the app measures those itself); from the first page, as all pages look alike
        sample = [demo_row(i, columns) for i in range(min(total, PAGE_SIZE))]
        self.widths = [
            0 if any(isinstance(row[name], (dict, list)) for row in sample)
            else max((len(str(row[name])) for row in sample if row[name] is not None), default=0)
            for name, _ in self.columns
        ]  # fmt: skip

    def body(self, offset: int, docs: int) -> bytes:
        key = offset
        if key not in self._bodies:
            rows = [demo_row(i, self.width_count) for i in range(offset, min(offset + docs, self.total))]
            self._bodies[key] = orjson.dumps(rows)
        return self._bodies[key]

    def prepare(self, offsets: list[int]) -> None:
        for offset in offsets:
            self.body(offset, PAGE_SIZE)

    async def fetch(self, offset: int, docs: int) -> RowPage:
        self.fetches.append(offset)
        if self.delay:
            await asyncio.sleep(self.delay)
        rows = orjson.loads(self.body(offset, docs))
        return RowPage(offset, rows, self.columns, total=self.total, column_widths=self.widths)


class GridApp(App[None]):
    CSS = "ExploreGrid { border: round $accent; height: 1fr; }"
    #: keep what is alive at start out of full collections, as FolioApp does once its source
    #: is ready (``--no-freeze``: as it did before)
    freeze = True

    def compose(self) -> ComposeResult:
        yield ExploreGrid(id="grid", page_size=PAGE_SIZE)

    def on_mount(self) -> None:
        if self.freeze:
            freeze_long_lived()

    def on_unmount(self) -> None:
        thaw()


class Probe:
    """Records when a frame reaches the driver, and whether it drew row ``target`` at the top
    of the grid's body with its data."""

    def __init__(self, app: GridApp, grid: ExploreGrid) -> None:
        self.grid = grid
        self.target = -1
        self.painted_at: float | None = None
        self.placeholder = False
        self._drawn = False
        original_render_line = grid.render_line
        original_display = app._display

        def render_line(y: int):  # type: ignore[no-untyped-def]
            strip = original_render_line(y)
            row = int(grid.scroll_offset.y) + y - grid.HEADER_HEIGHT
            if row == self.target:
                if grid.cache.row(row) is not None:
                    self._drawn = True
                else:
                    self.placeholder = True
            return strip

        def display(screen, renderable):  # type: ignore[no-untyped-def]
            original_display(screen, renderable)
            if self._drawn and self.painted_at is None:
                self.painted_at = time.perf_counter()

        grid.render_line = render_line  # type: ignore[method-assign]
        app._display = display  # type: ignore[method-assign]

    def expect(self, row: int) -> None:
        self.target = row
        self.painted_at = None
        self.placeholder = False
        self._drawn = False


async def wait(predicate, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.perf_counter() + timeout
    while not predicate():
        if time.perf_counter() > deadline:
            raise TimeoutError("the grid never got there")
        await asyncio.sleep(0.0005)


async def one_run(rows: int, columns: int, page_ms: float, pagedowns: int = 20) -> dict[str, float]:
    source = MemoryRows(rows, columns, page_ms / 1000)
    last_offset = (rows - 1) // PAGE_SIZE * PAGE_SIZE
    source.prepare([0, last_offset, *range(PAGE_SIZE, PAGE_SIZE * 12, PAGE_SIZE)])
    app = GridApp()
    async with app.run_test(size=(WIDTH, HEIGHT)) as pilot:
        grid = app.query_one(ExploreGrid)
        probe = Probe(app, grid)
        first = await source.fetch(0, PAGE_SIZE)
        source.fetches.clear()
        # as the app does: the query's initial rows, then completion (edge pages fetched)
        grid.open(source, key="bench", columns=source.columns, running=True, first=first)
        grid.finish(rows)
        grid.focus()
        await wait(lambda: last_offset // PAGE_SIZE in grid.cache and not grid.cache.in_flight)
        await pilot.pause()

        async def key(name: str, target: int) -> tuple[float, bool]:
            probe.expect(target)
            started = time.perf_counter()
            await pilot.press(name)
            await wait(lambda: probe.painted_at is not None)
            assert probe.painted_at is not None
            took = probe.painted_at - started
            await wait(lambda: not grid.cache.in_flight)  # prefetches done: the next key is alone
            await pilot.pause()
            return took * 1000, probe.placeholder

        fetched = len(source.fetches)
        body = grid.body_height
        end_ms, end_waited = await key("end", rows - body)
        end_fetches = len(source.fetches) - fetched
        home_ms, _ = await key("home", 0)
        latencies, waited = [], 0
        for step in range(1, pagedowns + 1):
            took, placeholder = await key("pagedown", step * body)
            latencies.append(took)
            waited += placeholder
        return {
            "end": end_ms,
            "end_waited": float(end_waited),
            "end_fetches": float(end_fetches),
            "home": home_ms,
            "pagedown": statistics.median(latencies),
            "pagedown_max10": max(latencies[:10]),
            "pagedown_max": max(latencies),
            "waited": float(waited),
        }


async def page_costs(rows: int, columns: int, runs: int) -> dict[str, float]:
    """A page taken in, and a screen drawn, timed on their own (medians over ``runs`` × 20)."""
    source = MemoryRows(rows, columns)
    offsets = [PAGE_SIZE * (1000 + n) for n in range(20)]
    source.prepare(offsets)
    decode, take, draw = [], [], []
    app = GridApp()
    async with app.run_test(size=(WIDTH, HEIGHT)) as pilot:
        grid = app.query_one(ExploreGrid)
        first = await source.fetch(0, PAGE_SIZE)
        grid.open(source, key="bench", columns=source.columns, total=rows, first=first)
        grid.focus()
        await pilot.pause()
        for _ in range(runs):
            for offset in offsets:
                body = source.body(offset, PAGE_SIZE)
                started = time.perf_counter()
                page_rows = orjson.loads(body)
                decoded = time.perf_counter()
                grid._take_page(
                    RowPage(offset, page_rows, source.columns, total=rows, column_widths=source.widths), elapsed_ms=1.0
                )
                taken = time.perf_counter()
                grid.go_to_row(offset)
                grid._strips.clear()
                drawn_from = time.perf_counter()
                for y in range(grid.size.height):
                    grid.render_line(y)
                done = time.perf_counter()
                decode.append((decoded - started) * 1000)
                take.append((taken - decoded) * 1000)
                draw.append((done - drawn_from) * 1000)
                await pilot.pause()
    return {"decode": statistics.median(decode), "take": statistics.median(take), "draw": statistics.median(draw)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--columns", type=int, nargs="+", default=[10], help="columns of the result (10: the demo's)")
    parser.add_argument("--page-ms", type=float, default=0.0, help="how long each page takes to arrive")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-freeze", action="store_true", help="leave the start's objects to the collector")
    args = parser.parse_args()
    GridApp.freeze = not args.no_freeze
    print(machine())
    print(f"grid {WIDTH}×{HEIGHT}, pages of {PAGE_SIZE} rows, each page arrives after {args.page_ms:g} ms;"
          f" medians of {args.runs} runs; start's objects frozen: {GridApp.freeze}")  # fmt: skip
    table = []
    for columns in args.columns:
        for rows in args.rows:
            runs = [asyncio.run(one_run(rows, columns, args.page_ms)) for _ in range(args.runs)]
            med = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
            costs = asyncio.run(page_costs(rows, columns, max(1, args.runs // 2)))
            table.append([
                f"{rows:,}", str(columns),
                f"{med['end']:.1f}", f"{med['end_fetches']:.0f}", f"{med['home']:.1f}",
                f"{med['pagedown']:.1f} / {med['pagedown_max10']:.1f} / {med['pagedown_max']:.1f}",
                f"{max(run['waited'] for run in runs):.0f} / 20",
                f"{costs['decode']:.2f}", f"{costs['take']:.2f}", f"{costs['draw']:.2f}",
            ])  # fmt: skip
    print_table(
        ["rows", "columns", "End ms", "End fetches", "Home ms", "PageDown ms (median / max of 10 / max of 20)",
         "PageDowns that waited (worst run)", "decode page ms", "take page ms", "draw screen ms"],
        table,
    )  # fmt: skip


if __name__ == "__main__":
    main()
