"""The sidebar's Catalog tab: the source's schemas → tables and views → columns with types.

The catalog comes from the service (``QueryClient.catalog``, the Rockset workspace and
collection endpoints) on a worker, the first time it is wanted (this tab shown, or the editor
asking for completions; ctrl+r reads it again); the completion index is built from it off the event loop
too, and both travel to the app in one :class:`CatalogLoaded` message (the editor completes
from the index). A schema shows at most :data:`MAX_SHOWN` tables until the filter narrows it,
and a table's columns are added when it is expanded, so a 5,000-table catalog stays light.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Static, TabbedContent, TabPane, Tree

from tui.app.collector import freeze_long_lived, thaw
from tui.app.editor.completion import CompletionIndex
from tui.app.messages import PaneCounted, RunRequested
from tui.catalog import Catalog, Relation

#: tables listed per schema before "type to filter"
MAX_SHOWN = 500
#: catalogs with this many tables or more are kept out of the garbage collector's full passes
FREEZE_ABOVE = 1000


@dataclass
class CatalogLoaded(Message):
    """The source's catalog and its completion index arrived."""

    catalog: Catalog
    index: CompletionIndex


@dataclass
class NameInsertRequested(Message):
    """Put ``text`` (a table's SQL name) into the editor."""

    text: str


class CatalogTree(Tree[Any]):
    BINDINGS = [
        Binding("p", "preview", "First rows"),
        Binding("slash", "filter", "Filter", show=False),
    ]

    def action_preview(self) -> None:
        self.parent_pane.preview(self.cursor_node.data if self.cursor_node else None)

    def action_filter(self) -> None:
        self.parent_pane.query_one("#catalog-filter", Input).focus()

    @property
    def parent_pane(self) -> CatalogPane:
        return self.query_ancestor(CatalogPane)


class CatalogPane(Vertical):
    """Filter box, tree and a hint line. ``load(source)`` (re)reads the catalog."""

    BINDINGS = [Binding("ctrl+r", "reload", "Reload catalog", show=False)]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.catalog: Catalog | None = None
        self.index = CompletionIndex(None)
        self._source: Any = None
        self._wanted = False
        self._frozen = False
        self._problem: str | None = None

    def compose(self) -> ComposeResult:
        yield Input(placeholder="filter tables…", id="catalog-filter")
        tree: CatalogTree = CatalogTree("catalog", id="catalog-tree")
        tree.show_root = False
        tree.auto_expand = False
        yield tree
        yield Static(Text("loading…", style="dim"), id="catalog-note")

    # --- data in

    def load(self, source: Any) -> None:
        """Read the catalog from ``source`` when it is first wanted (:meth:`want`), not now: a
        query run at start-up should not share the machine with a catalog it may never need."""
        self._source = source
        if self._wanted:
            self._fetch()

    def want(self) -> None:
        """The catalog is needed (the tab is shown, or the user types in the editor): read it
        once, if it has not been read yet."""
        if not self._wanted:
            self._wanted = True
            if self._source is not None:
                self._fetch()

    def on_show(self) -> None:
        self.want()

    def action_reload(self) -> None:
        if self._source is not None:
            self._fetch()

    @work(exclusive=True, group="catalog", exit_on_error=False)
    async def _fetch(self) -> None:
        try:
            catalog = await self._source.catalog()
            index = await asyncio.to_thread(CompletionIndex, catalog)
        except Exception as error:
            self._problem = str(error) or type(error).__name__
            self._note(Text(f"catalog unavailable: {self._problem}", style="red"))
            return
        self.post_message(CatalogLoaded(catalog, index))

    def on_catalog_loaded(self, message: CatalogLoaded) -> None:
        # not stopped: the app hands the index to the editor
        self.catalog, self.index, self._problem = message.catalog, message.index, None
        self.post_message(PaneCounted("catalog-tab", len(message.catalog.relations)))
        self._rebuild()
        if len(message.catalog.relations) >= FREEZE_ABOVE:
            # A big catalog is hundreds of thousands of long-lived objects; each full collection
            # of the garbage collector would walk them all on the event loop (0.25-0.4 s with
            # 5,000 tables, benchmarks/catalog.py) while the user types. Collect once now, then
            # move everything alive out of its reach (plain data is still freed by reference
            # counting when it is dropped).
            freeze_long_lived(full=True)
            self._frozen = True

    def on_unmount(self) -> None:
        if self._frozen:  # hand everything back to the collector (an app run in a longer process)
            thaw()

    # --- drawing

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._rebuild()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one(CatalogTree).focus()

    def _rebuild(self) -> None:
        catalog = self.catalog
        tree = self.query_one(CatalogTree)
        tree.clear()
        if catalog is None:
            return
        needle = self.query_one("#catalog-filter", Input).value.strip().lower()
        by_schema: dict[str, list[Relation]] = {schema: [] for schema in catalog.schemas}
        for relation in catalog.relations:
            if needle in relation.name.lower():
                by_schema.setdefault(relation.schema, []).append(relation)
        shown = 0
        for schema, relations in by_schema.items():
            if needle and not relations:
                continue
            label = Text.assemble((schema, "bold"), (f" {len(relations)}", "dim"))
            expand = bool(needle) or schema == self.index.default_schema or len(by_schema) == 1
            node = tree.root.add(label, data=schema, expand=expand)
            for relation in relations[:MAX_SHOWN]:
                node.add(_relation_label(relation), data=relation, allow_expand=bool(relation.columns))
            if len(relations) > MAX_SHOWN:
                node.add_leaf(Text(f"… {len(relations) - MAX_SHOWN:,} more: type to filter", style="dim"))
            shown += len(relations)
        tree.cursor_line = 0
        total = len(catalog.relations)
        if not total:
            self._note(Text("no tables or views", style="dim"))
        else:
            count = f"{shown:,} of {total:,}" if needle else f"{total:,} tables"
            self._note(Text(f"{count} · enter insert · p rows", style="dim"))

    def _note(self, text: Text) -> None:
        self.query_one("#catalog-note", Static).update(text)

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[Any]) -> None:
        event.stop()
        node, relation = event.node, event.node.data
        if isinstance(relation, Relation) and not node.children:
            for column in relation.columns:
                node.add_leaf(Text.assemble(column.name, (f"  {column.type}", "dim")), data=column)

    # --- actions

    def reveal(self) -> None:
        """Bring the Catalog tab forward and focus the tree."""
        pane = self.query_ancestor(TabPane)
        self.query_ancestor(TabbedContent).active = pane.id or ""
        # the pane shows from the next refresh on; a hidden widget cannot take focus
        self.call_after_refresh(self.query_one(CatalogTree).focus)

    def on_tree_node_selected(self, event: Tree.NodeSelected[Any]) -> None:
        event.stop()
        relation = event.node.data
        if isinstance(relation, Relation):
            self.post_message(NameInsertRequested(self.index.reference(relation)))

    def preview(self, relation: Any) -> None:
        """Show a table's rows without typing SQL: ``SELECT * FROM t`` as an ordinary query."""
        if isinstance(relation, Relation):
            self.post_message(RunRequested(f"SELECT * FROM {self.index.reference(relation)}"))


def _relation_label(relation: Relation) -> Text:
    mark = ("v ", "green") if relation.kind == "VIEW" else ("t ", "cyan")
    text = Text.assemble(mark, relation.name)
    if relation.row_estimate is not None:
        text.append(f"  ~{relation.row_estimate:,}", style="dim")
    return text
