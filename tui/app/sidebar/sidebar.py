"""The queries sidebar: the server's stored and running queries, newest first.

The app feeds it the result of ``client.list()`` (polled every few seconds) and ticks it with
the injected clock, so the "expires in" countdown is live in use and fixed in tests.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import OptionList, Static, TabbedContent, TabPane
from textual.widgets.option_list import Option

from tui.app.clock import Clock, system_clock
from tui.app.confirm import ConfirmScreen
from tui.app.grid.cells import cell_text, fit
from tui.app.messages import DropRequested, PaneCounted, ReopenRequested, RerunRequested
from tui.app.sidebar.catalog import CatalogPane
from tui.app.sidebar.entries import STATUS_MARKS, STATUS_STYLES, QueryEntry, arrange, short_id
from tui.app.sidebar.saved import SavedLambdas
from tui.humanize import format_bytes

_TAB_NAMES = {"queries-tab": "Queries", "saved-tab": "Saved", "catalog-tab": "Catalog"}


class QueriesSidebar(Vertical):
    """Stored and running queries; enter re-opens one, d cancels or drops it."""

    BINDINGS = [
        Binding("d,delete", "drop", "Cancel/drop"),
        Binding("r", "rerun", "Re-run"),
    ]

    def __init__(self, *, clock: Clock = system_clock, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._clock = clock
        self.entries: list[QueryEntry] = []
        #: how deep each entry is drawn (a derived result under the one it came from)
        self._depth: dict[str, int] = {}
        #: queries seen before that the server no longer lists because they expired
        self._gone: dict[str, QueryEntry] = {}
        self.offline: str | None = None
        self.loaded = False
        self._note: Text | None = None
        self.catalog = CatalogPane(id="catalog")
        #: what each tab holds, as far as counted, and the tab in view: the title says its count
        self._counts: dict[str, int] = {}
        self._tab = "queries-tab"

    def compose(self) -> ComposeResult:
        with TabbedContent(id="sidebar-tabs"):
            with TabPane("Queries", id="queries-tab"):
                yield OptionList(id="queries-list")
                yield Static("", id="queries-note")
            with TabPane("Saved", id="saved-tab"):
                yield SavedLambdas(id="saved")
            with TabPane("Catalog", id="catalog-tab"):
                yield self.catalog

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        self._tab = event.pane.id or "queries-tab"
        self._update_title()
        if event.pane.id == "saved-tab":
            self.query_one(SavedLambdas).reload()

    def on_pane_counted(self, message: PaneCounted) -> None:
        message.stop()
        self._counts[message.tab] = message.count
        self._update_title()

    def _update_title(self) -> None:
        name = _TAB_NAMES.get(self._tab, "Queries")
        count = self._counts.get(self._tab)
        title = f"{name} ({count:,})" if count else name
        if self.border_title != title:
            self.border_title = title

    def on_mount(self) -> None:
        self.border_title = "Queries"
        self._render_note()

    # --- data in

    def show(self, queries: list[Any]) -> None:
        now = self._clock()
        fresh = {entry.query_id: entry for entry in map(QueryEntry.from_info, queries) if entry.query_id}
        for entry in self.entries:
            # The server stops listing a result once it expired; keep saying so, with its SQL,
            # rather than letting it vanish silently.
            if entry.query_id not in fresh and entry.expires_at is not None and entry.expired(now):
                self._gone[entry.query_id] = entry
        for query_id in list(self._gone):
            if query_id in fresh:
                del self._gone[query_id]
        arranged = arrange(sorted([*fresh.values(), *self._gone.values()], key=QueryEntry.sort_key))
        self.entries = [entry for entry, _ in arranged]
        self._depth = {entry.query_id: depth for entry, depth in arranged}
        self.offline = None
        self.loaded = True
        self.refresh_entries()

    def mark_expired(self, query_id: str) -> None:
        """The server said this result expired: show it so now, whatever this machine's clock
        says about its expiry time."""
        now = self._clock()
        for index, entry in enumerate(self.entries):
            if entry.query_id == query_id and not entry.expired(now):
                self.entries[index] = replace(entry, expires_at=now)
        self.refresh_entries()

    def show_offline(self, message: str) -> None:
        self.offline = message
        self._render_note()

    def tick(self) -> None:
        """Re-draw countdowns and elapsed times for the clock's new time."""
        if self.entries:
            self.refresh_entries()

    # --- drawing

    def refresh_entries(self) -> None:
        if not self.query("#queries-list"):
            # the tabs mount their panes after the sidebar: draw once they are there
            self.call_after_refresh(self.refresh_entries)
            return
        option_list = self.query_one("#queries-list", OptionList)
        now = self._clock()
        width = max(10, option_list.scrollable_content_region.width - 2 or 30)
        prompts = [self._prompt(entry, now, width, self._depth.get(entry.query_id, 0)) for entry in self.entries]
        ids = [entry.query_id for entry in self.entries]
        shown = [option_list.get_option_at_index(i).id for i in range(option_list.option_count)]
        if ids == shown:
            # Same queries in the same order (the countdown ticked, a status changed): replace
            # the prompts in place, which repaints the list without a screen layout.
            for index, prompt in enumerate(prompts):
                if str(option_list.get_option_at_index(index).prompt) != str(prompt):
                    option_list.replace_option_prompt_at_index(index, prompt)
        else:
            highlighted = option_list.highlighted_option.id if option_list.highlighted_option is not None else None
            option_list.clear_options()
            option_list.add_options(
                [Option(prompt, id=query_id) for prompt, query_id in zip(prompts, ids, strict=True)]
            )
            if ids:
                option_list.highlighted = ids.index(highlighted) if highlighted in ids else 0
        self._counts["queries-tab"] = len(self.entries)
        self._update_title()
        self._render_note()

    def _prompt(self, entry: QueryEntry, now, width: int, depth: int = 0) -> Text:
        state = entry.state(now)
        # a derived result is drawn under its parent, indented, with a mark joining them
        indent = "  " * depth
        lead = f"{indent[:-2]}└ " if depth else ""
        width = max(10, width - len(indent))
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(lead, style="dim")
        text.append(f"{STATUS_MARKS.get(state, '?')} ", style=STATUS_STYLES.get(state, ""))
        text.append(short_id(entry.query_id), style="bold")
        text.append(" ")
        text.append(state, style=STATUS_STYLES.get(state, ""))
        text.append("\n")
        if entry.error:
            text.append(indent + "  " + fit(cell_text(entry.error), max(4, width - 2)).rstrip(), style="red")
        else:
            text.append(f"{indent}  {entry.rows_text()} · {format_bytes(entry.bytes)}")
        text.append("\n")
        elapsed, expiry = entry.times(now, width - 2)
        text.append(f"{indent}  {elapsed}")
        if expiry:
            text.append(" · ")
            text.append(expiry, style="red" if state == "EXPIRED" else "")
        text.append("\n")
        sql = cell_text(" ".join(entry.sql.split()))
        text.append(indent + "  " + fit(sql, max(4, width - 2)).rstrip(), style="dim")
        text.append("\n")  # a blank line between queries
        return text

    def _render_note(self) -> None:
        if self.offline:
            note = Text(f"offline: {self.offline}", style="bold red")
        elif not self.loaded:
            note = Text("loading…", style="dim")
        elif not self.entries:
            note = Text("no stored queries yet", style="dim")
        else:
            note = Text("enter open · d cancel/drop", style="dim")
        if note != self._note:
            for static in self.query("#queries-note").results(Static):
                self._note = note
                static.update(note)

    # --- actions

    def highlighted_entry(self) -> QueryEntry | None:
        option_list = self.query_one("#queries-list", OptionList)
        option = option_list.highlighted_option
        if option is None:
            return None
        return next((entry for entry in self.entries if entry.query_id == option.id), None)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        entry = next((e for e in self.entries if e.query_id == event.option.id), None)
        if entry is None:
            return
        if entry.expired(self._clock()):
            self._offer_rerun(entry)
        else:
            self.post_message(ReopenRequested(entry.query_id))

    def _offer_rerun(self, entry: QueryEntry) -> None:
        def answer(yes: bool | None) -> None:
            if yes:
                self.post_message(RerunRequested(entry.sql))

        self.app.push_screen(
            ConfirmScreen(
                "Result expired",
                f"The result of {short_id(entry.query_id)} expired; it cannot be re-opened.\nRun its SQL again?",
                yes="Re-run",
            ),
            answer,
        )

    def action_rerun(self) -> None:
        entry = self.highlighted_entry()
        if entry is not None and entry.sql:
            self.post_message(RerunRequested(entry.sql))

    def action_drop(self) -> None:
        entry = self.highlighted_entry()
        if entry is None or entry.expired(self._clock()):
            return
        running = entry.status in ("QUEUED", "RUNNING")
        verb = "Cancel" if running else "Drop"
        question = (
            f"Cancel the running query {short_id(entry.query_id)}?"
            if running
            else f"Drop the stored result of {short_id(entry.query_id)} ({entry.rows_text()})?\n"
            "It cannot be re-opened afterwards."
        )

        def answer(yes: bool | None) -> None:
            if yes:
                self.post_message(DropRequested(entry.query_id))

        self.app.push_screen(ConfirmScreen(f"{verb} query", question, yes=verb), answer)
