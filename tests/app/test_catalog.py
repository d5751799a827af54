"""The Catalog tab and the editor's completion popup, in the real app over the real service."""

from __future__ import annotations

from textual.widgets import Input

from tests.app.helpers import settle, until
from tui.app.sidebar.catalog import CatalogTree

SIZE = (120, 32)
SETUP = [
    "CREATE TABLE _events AS SELECT range AS id, 'click' AS kind, range * 1.5 AS amount FROM range(20)",
    "CREATE TABLE users (id INTEGER, name VARCHAR)",
    'CREATE TABLE "my table" ("a b" INTEGER)',
    "CREATE SCHEMA staging",
    "CREATE TABLE staging.imports (path VARCHAR)",
    "CREATE VIEW clicks AS SELECT id FROM _events",
]


async def setup(client) -> None:
    for sql in SETUP:
        await client.run(sql)


async def loaded(pilot) -> None:
    app = pilot.app
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


async def test_catalog_tree_filter_expand_insert_and_preview(service, make_app):
    async with service.client() as client:
        await setup(client)
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


async def test_completion_in_several_contexts(service, make_app):
    async with service.client() as client:
        await setup(client)
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


async def test_alias_and_quoted_names(service, make_app):
    async with service.client() as client:
        await setup(client)
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
