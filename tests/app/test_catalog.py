"""The Catalog tab and the editor's completion popup, in the real app over the real service."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from textual.widgets import Input

from tests.app.conftest import RunningService
from tests.app.helpers import run_sql, settle, until
from tests.conftest import make_keyring, make_settings
from tests.engines.conftest import pg_admin, pg_dsn, pg_reader, pg_superuser_dsn  # noqa: F401 - fixtures
from tui.app.editor import completion_popup
from tui.app.sidebar.catalog import CatalogTree
from tui.engines.duckdb import DuckDBEngine
from tui.engines.sqlite import SQLiteEngine
from tui.server import create_app

SIZE = (120, 32)
SETUP = [
    "CREATE TABLE _events AS SELECT range AS id, 'click' AS kind, range * 1.5 AS amount FROM range(20)",
    "CREATE TABLE users (id INTEGER, name VARCHAR)",
    'CREATE TABLE "my table" ("a b" INTEGER)',
    "CREATE SCHEMA staging",
    "CREATE TABLE staging.imports (path VARCHAR)",
    "CREATE VIEW clicks AS SELECT id FROM _events",
]


def shop_engine() -> DuckDBEngine:
    """An in-memory DuckDB with SETUP's tables (made on the engine's own connection: the service
    runs only reading statements)."""
    engine = DuckDBEngine()
    for sql in SETUP:
        engine._con.execute(sql)
    return engine


@asynccontextmanager
async def shop_service(tmp_path: Path) -> AsyncIterator[RunningService]:
    async with service_over(shop_engine(), tmp_path / "store") as service:
        yield service


async def loaded(pilot) -> None:
    app = pilot.app
    app.sidebar.catalog.want()  # what the Catalog tab or the first key typed does
    await until(
        pilot, lambda: app.sidebar.catalog.catalog is not None and app.editor.completion.index.catalog.relations
    )
    await settle(pilot)


def tree_labels(app) -> list[str]:
    tree = app.sidebar.query_one(CatalogTree)
    labels = []

    def walk(node, depth):
        for child in node.children:
            labels.append("  " * depth + child.label.plain)
            if child.is_expanded:
                walk(child, depth + 1)

    walk(tree.root, 0)
    return labels


async def type_text(pilot, text: str) -> None:
    for char in text:
        await pilot.press("space" if char == " " else char)


async def popup_settled(pilot) -> None:
    """Wait until the popup answered the newest request (or was closed)."""
    popup = pilot.app.editor.completion
    await until(pilot, lambda: not any(w.group == "completion" and w.is_running for w in pilot.app.editor.workers))
    await settle(pilot)
    assert popup.generation >= 0


def popup_items(app) -> list[str]:
    popup = app.editor.completion
    if not popup.shown or popup.completion is None:
        return []
    return [c.text for c in popup.completion.candidates]


def catalog_requests(service) -> list[str]:
    return [path for _, path, _ in service.requests if path.endswith(("/ws", "/collections", "/functions"))]


async def test_the_catalog_is_read_when_first_wanted(tmp_path, make_app):
    async with shop_service(tmp_path) as service, service.client() as client:
        app = make_app(client, sidebar=True)
        async with app.run_test(size=SIZE) as pilot:
            await run_sql(pilot, "SELECT 1")
            assert catalog_requests(service) == []  # not at start-up, not for a query
            # typing asks for it; the popup then offers names from it without another key
            app.editor.load_text("SELECT * FROM us")
            app.editor.move_cursor((0, 16))
            await pilot.press("e")
            await until(pilot, lambda: app.sidebar.catalog.catalog is not None)
            await popup_settled(pilot)
            assert popup_items(app) == ["users"]
            assert len(catalog_requests(service)) == 3
            await pilot.press("escape", "f6")
            await settle(pilot)
            assert len(catalog_requests(service)) == 3  # read once


async def test_showing_the_catalog_tab_reads_the_catalog(tmp_path, make_app):
    async with shop_service(tmp_path) as service, service.client() as client:
        app = make_app(client, sidebar=True)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert app.sidebar.catalog.catalog is None
            await pilot.press("f6")
            await until(pilot, lambda: app.sidebar.catalog.catalog is not None)
            assert tree_labels(app)[0] == "main 4"


async def test_catalog_tree_filter_expand_insert_and_preview(tmp_path, make_app):
    async with shop_service(tmp_path) as service, service.client() as client:
        app = make_app(client, sidebar=True)
        async with app.run_test(size=SIZE) as pilot:
            await loaded(pilot)
            await pilot.press("f6")
            await settle(pilot)
            assert tree_labels(app) == [
                "main 4",
                "  t _events  ~20",
                "  v clicks",
                "  t my table  ~0",
                "  t users  ~0",
                "staging 1",
            ]
            tree = app.sidebar.query_one(CatalogTree)
            assert tree.has_focus
            # expand users (space) to see its columns with their types
            await pilot.press("down", "down", "down", "down", "space")
            assert tree_labels(app)[5:7] == ["    id  INTEGER", "    name  VARCHAR"]
            # enter on a table into an empty editor: a whole statement
            await pilot.press("enter")
            assert app.editor.text == "SELECT * FROM users"
            assert app.editor.has_focus
            # into a non-empty editor: the name, quoted as SQL needs it
            await pilot.press("f6")
            await settle(pilot)
            await pilot.press("up", "enter")
            assert app.editor.text == 'SELECT * FROM users"my table"'
            # the filter narrows every schema
            await pilot.press("f6")
            await settle(pilot)
            await pilot.press("slash")
            await type_text(pilot, "imp")
            assert app.sidebar.query_one("#catalog-filter", Input).has_focus
            assert tree_labels(app) == ["staging 1", "  t imports  ~0"]
            # p on a table shows its rows without typing SQL
            await pilot.press("enter", "down", "p")
            await until(pilot, lambda: app.current is not None and app.current.status == "COMPLETED")
            assert app.current.sql == "SELECT * FROM staging.imports"


async def test_completion_in_several_contexts(tmp_path, make_app):
    async with shop_service(tmp_path) as service, service.client() as client:
        app = make_app(client)
        async with app.run_test(size=SIZE) as pilot:
            await loaded(pilot)
            editor = app.editor
            editor.focus()
            await type_text(pilot, "SELECT * FROM us")
            await popup_settled(pilot)
            assert popup_items(app) == ["users"]
            await pilot.press("tab")
            assert editor.text == "SELECT * FROM users"
            assert not editor.completion.shown
            # a keyword, accepted with enter (which does not insert a newline)
            await type_text(pilot, " wher")
            await popup_settled(pilot)
            assert popup_items(app) == ["where"]
            await pilot.press("enter")
            assert editor.text == "SELECT * FROM users where"
            # columns of the statement's table, moving down the list
            await type_text(pilot, " n")
            await popup_settled(pilot)
            assert popup_items(app)[:2] == ["name", "nanosecond"]
            await pilot.press("down", "tab")
            assert editor.text == "SELECT * FROM users where nanosecond"
            # escape dismisses, and typing goes on as usual
            await type_text(pilot, " m")
            await popup_settled(pilot)
            assert editor.completion.shown
            await pilot.press("escape")
            assert not editor.completion.shown
            assert editor.has_focus
            await type_text(pilot, "y")
            await popup_settled(pilot)
            assert popup_items(app) == ['"my table"']


async def test_alias_and_quoted_names(tmp_path, make_app):
    async with shop_service(tmp_path) as service, service.client() as client:
        app = make_app(client, sql='SELECT  FROM _events e JOIN "my table" m ON true')
        async with app.run_test(size=SIZE) as pilot:
            await loaded(pilot)
            editor = app.editor
            editor.focus()
            editor.move_cursor((0, 7))
            await type_text(pilot, "e.")
            await popup_settled(pilot)
            assert popup_items(app) == ["id", "kind", "amount"]
            await pilot.press("down", "enter")
            assert editor.text.startswith("SELECT e.kind FROM")
            await type_text(pilot, ", m.")
            await popup_settled(pilot)
            assert popup_items(app) == ['"a b"']
            await pilot.press("tab")
            assert editor.text.startswith('SELECT e.kind, m."a b" FROM')
            # ctrl+space offers what fits with nothing typed
            await type_text(pilot, ", ")
            await pilot.press("ctrl+space")
            await popup_settled(pilot)
            assert popup_items(app)[:4] == ["id", "kind", "amount", '"a b"']


# --- other engines, and a big catalog -------------------------------------------------------


@asynccontextmanager
async def service_over(engine, store: Path) -> AsyncIterator[RunningService]:
    app = create_app(make_settings(store), engine, make_keyring())
    async with app.router.lifespan_context(app):
        yield RunningService(app, httpx.ASGITransport(app=app))


async def browse_and_complete(pilot, table: str, typed: str, expected: list[str]) -> None:
    app = pilot.app
    await loaded(pilot)
    assert any(label.strip().endswith(table) or f" {table} " in label for label in tree_labels(app))
    app.editor.focus()
    await type_text(pilot, typed)
    await popup_settled(pilot)
    assert popup_items(app) == expected


async def test_sqlite_source(tmp_path, make_app):
    path = tmp_path / "app.sqlite"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE people (id INTEGER, full_name TEXT)")
    async with service_over(SQLiteEngine(path), tmp_path / "store") as service, service.client() as client:
        app = make_app(client, sidebar=True, sql="")
        async with app.run_test(size=SIZE) as pilot:
            await browse_and_complete(pilot, "t people", "SELECT * FROM peo", ["people"])
            await pilot.press("tab")
            await type_text(pilot, " p WHERE p.fu")
            await popup_settled(pilot)
            assert popup_items(app) == ["full_name"]
            await pilot.press("enter")
            assert app.editor.text == "SELECT * FROM people p WHERE p.full_name"


async def test_postgres_source(tmp_path, make_app, pg_admin, pg_dsn):  # noqa: F811
    from tui.engines.postgres import PostgresEngine

    pg_admin.execute('CREATE TABLE IF NOT EXISTS public.accounts (id int4, "Owner Name" text)')
    pg_admin.execute("CREATE SCHEMA IF NOT EXISTS billing")
    pg_admin.execute("CREATE TABLE IF NOT EXISTS billing.invoices (total numeric(10,2))")
    async with service_over(PostgresEngine(pg_dsn), tmp_path / "store") as service, service.client() as client:
        app = make_app(client, sidebar=True, sql="")
        async with app.run_test(size=SIZE) as pilot:
            await browse_and_complete(pilot, "t accounts", "SELECT * FROM inv", ["billing.invoices"])
            await pilot.press("tab")
            await type_text(pilot, " i JOIN accounts a ON a.")
            await popup_settled(pilot)
            assert popup_items(app) == ["id", '"Owner Name"']
            assert {"count", "lower"} <= set(app.editor.completion.index.catalog.functions)


async def test_a_five_thousand_table_catalog_never_blocks_typing(tmp_path, make_app, monkeypatch):
    """Completion runs on worker threads only; keys typed while answers are pending land in
    the editor at once, and only the answer to the newest text is shown."""
    engine = DuckDBEngine()
    for start in range(0, 5000, 500):
        engine._con.execute(
            ";".join(
                f"CREATE TABLE t_{i:04d} (id INTEGER, name VARCHAR, amount DOUBLE)" for i in range(start, start + 500)
            )
        )
    main = threading.main_thread()
    threads: list[threading.Thread] = []
    gate = threading.Event()
    real_complete = completion_popup.complete

    def gated_complete(*args, **kwargs):
        threads.append(threading.current_thread())
        gate.wait(30)
        return real_complete(*args, **kwargs)

    monkeypatch.setattr(completion_popup, "complete", gated_complete)
    async with service_over(engine, tmp_path / "store") as service, service.client() as client:
        app = make_app(client, sidebar=True, sql="")
        async with app.run_test(size=SIZE) as pilot:
            await loaded(pilot)
            assert len(app.sidebar.catalog.catalog.relations) == 5000
            assert "… 4,500 more: type to filter" in tree_labels(app)[-1]
            app.editor.focus()
            await type_text(pilot, "SELECT * FROM t_499")
            # every key is in the editor while all the completions are still held back
            assert app.editor.text == "SELECT * FROM t_499"
            assert not app.editor.completion.shown and app.editor.completion.answered == 0
            gate.set()
            await popup_settled(pilot)
            assert popup_items(app) == [f"t_{4990 + i}" for i in range(10)]
            assert app.editor.completion.answered == 1  # the stale answers were dropped
    assert threads and main not in threads


async def test_a_popup_left_behind_by_a_click_never_replaces_text_elsewhere(tmp_path, make_app):
    async with shop_service(tmp_path) as service, service.client() as client:
        app = make_app(client, sql="SELECT 1;\n")
        async with app.run_test(size=SIZE) as pilot:
            await loaded(pilot)
            editor = app.editor
            editor.focus()
            editor.move_cursor((1, 0))
            await type_text(pilot, "SELECT * FROM us")
            await popup_settled(pilot)
            assert editor.completion.shown
            editor.move_cursor((0, 0))  # as a mouse click does: no key through the editor
            await pilot.press("enter")
            assert not editor.completion.shown
            assert editor.text == "\nSELECT 1;\nSELECT * FROM us"  # enter was a newline, nothing replaced
