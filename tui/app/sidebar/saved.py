"""The sidebar's **Saved** tab: the org's query lambdas (saved, parameterised queries).

Each entry shows the lambda's name, its latest version (as a number: ``v3`` is the third) and its
parameters with their defaults. Enter asks for the parameter values (the ``:name`` form,
prefilled with the defaults) and executes the latest version; the execution is an ordinary
query, so the app opens it in the grid exactly like a query it ran (``QueryStarted``) and the
Queries tab lists it. ``r`` reloads the list, ``d`` deletes a lambda.

The list is loaded when the tab is shown and after a save; it needs no polling.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui.app.confirm import ConfirmScreen
from tui.app.editor.params import ParamsScreen, parse_value
from tui.app.editor.statements import parameters
from tui.app.grid.cells import cell_text, fit
from tui.app.messages import PaneCounted, QueryFailed, QueryStarted, RunRequested

#: how long an execution's POST waits for a quick result (as the editor's runs)
RUN_WAIT_MS = 1_000
DEFAULT_WORKSPACE = "commons"


@dataclass(frozen=True)
class SavedEntry:
    """One lambda as the tab shows it."""

    workspace: str
    name: str
    version_count: int
    sql: str
    #: the :names the SQL uses, in order, and the defaults some of them have (as text)
    names: tuple[str, ...]
    defaults: dict[str, str]

    @property
    def key(self) -> str:
        return f"{self.workspace}.{self.name}"

    @property
    def title(self) -> str:
        return self.name if self.workspace == DEFAULT_WORKSPACE else self.key

    @classmethod
    def from_lambda(cls, found: Any) -> SavedEntry:
        latest = found.latest_version
        sql_body = getattr(latest, "sql", None)
        sql = getattr(sql_body, "query", "") or ""
        defaults = {p.name: p.value for p in (getattr(sql_body, "default_parameters", None) or [])}
        return cls(
            workspace=found.workspace or DEFAULT_WORKSPACE,
            name=found.name or "?",
            version_count=found.version_count or 1,
            sql=sql,
            names=tuple(parameters(sql)),
            defaults=defaults,
        )

    def parameters_text(self) -> str:
        if not self.names:
            return "no parameters"
        return " ".join(f":{n}={self.defaults[n]}" if n in self.defaults else f":{n}" for n in self.names)


@dataclass
class LambdasListed(Message):
    lambdas: list[Any]


@dataclass
class LambdasListFailed(Message):
    error: BaseException


class SavedLambdas(Vertical):
    """The Saved tab's content."""

    BINDINGS = [
        Binding("r", "reload", "Reload"),
        Binding("d,delete", "delete", "Delete"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.entries: list[SavedEntry] = []
        self.loaded = False
        self.problem: str | None = None

    def compose(self) -> ComposeResult:
        yield OptionList(id="saved-list")
        yield Static("", id="saved-note")

    def on_mount(self) -> None:
        self._render_note()

    # --- data in

    @work(exclusive=True, group="list", exit_on_error=False)
    async def reload(self) -> None:
        source = getattr(self.app, "source", None)
        if source is None:
            return
        try:
            found = await source.lambdas.list()
        except Exception as error:
            self.post_message(LambdasListFailed(error))
        else:
            self.post_message(LambdasListed(found))

    def action_reload(self) -> None:
        self.reload()

    def on_lambdas_listed(self, message: LambdasListed) -> None:
        message.stop()
        self.show([SavedEntry.from_lambda(found) for found in message.lambdas])

    def on_lambdas_list_failed(self, message: LambdasListFailed) -> None:
        from tui.app.problems import describe

        message.stop()
        self.problem = describe(message.error).title
        self._render_note()

    def show(self, entries: list[SavedEntry]) -> None:
        self.entries = entries
        self.post_message(PaneCounted("saved-tab", len(entries)))
        self.loaded = True
        self.problem = None
        self._render_note()
        self._redraw()

    def on_resize(self) -> None:
        # entries are cut to the list's width, which is only known once the tab is shown
        if self.entries:
            self._redraw()

    def _redraw(self) -> None:
        option_list = self.query_one(OptionList)
        highlighted = option_list.highlighted_option.id if option_list.highlighted_option is not None else None
        width = option_list.scrollable_content_region.width - 2
        if width < 10:  # not laid out yet (a hidden tab): the sidebar's usual width
            width = 32
        entries = self.entries
        option_list.clear_options()
        option_list.add_options([Option(self._prompt(entry, width), id=entry.key) for entry in entries])
        keys = [entry.key for entry in entries]
        if keys:
            option_list.highlighted = keys.index(highlighted) if highlighted in keys else 0

    # --- drawing

    def _prompt(self, entry: SavedEntry, width: int) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append("◆ ", style="cyan")
        text.append(entry.title, style="bold")
        text.append(f" v{entry.version_count}", style="dim")
        text.append("\n")
        text.append("  " + fit(entry.parameters_text(), max(4, width - 2)).rstrip())
        text.append("\n")
        sql = cell_text(" ".join(entry.sql.split()))
        text.append("  " + fit(sql, max(4, width - 2)).rstrip(), style="dim")
        text.append("\n")
        return text

    def _render_note(self) -> None:
        if self.problem:
            note = Text(f"offline: {self.problem}", style="bold red")
        elif not self.loaded:
            note = Text("loading…", style="dim")
        elif not self.entries:
            note = Text("nothing saved yet: ctrl+s saves the editor's statement", style="dim")
        else:
            note = Text("enter run · d delete · r reload", style="dim")
        self.query_one("#saved-note", Static).update(note)

    # --- running

    def highlighted_entry(self) -> SavedEntry | None:
        option = self.query_one(OptionList).highlighted_option
        if option is None:
            return None
        return next((entry for entry in self.entries if entry.key == option.id), None)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        entry = next((e for e in self.entries if e.key == event.option.id), None)
        if entry is None:
            return
        if not entry.names:
            self.execute(entry, {})
            return

        def submitted(values: dict[str, str] | None) -> None:
            if values is not None:
                self.execute(entry, values)

        self.app.push_screen(ParamsScreen(list(entry.names), entry.defaults), submitted)

    @work(exclusive=True, group="query", exit_on_error=False)
    async def execute(self, entry: SavedEntry, values: dict[str, str]) -> None:
        app: Any = self.app
        started = app.clock()
        request = RunRequested(entry.sql)
        try:
            result = await app.source.lambdas.execute(
                entry.name,
                workspace=entry.workspace,
                parameters=execution_parameters(entry, values),
                initial_docs=app.page_size,
                async_=True,
                client_timeout_ms=RUN_WAIT_MS,
            )
        except Exception as error:
            # not the editor's statement: no position in the editor to point at
            self.post_message(QueryFailed(None, error))  # type: ignore[arg-type]
        else:
            self.post_message(QueryStarted(request, result, started))

    # --- deleting

    def action_delete(self) -> None:
        entry = self.highlighted_entry()
        if entry is None:
            return

        def answer(yes: bool | None) -> None:
            if yes:
                self.delete(entry)

        question = f"Delete the saved query {entry.key} and all its {entry.version_count} version(s)?"
        self.app.push_screen(ConfirmScreen("Delete saved query", question, yes="Delete"), answer)

    @work(group="drop", exit_on_error=False)
    async def delete(self, entry: SavedEntry) -> None:
        app: Any = self.app
        try:
            await app.source.lambdas.delete(entry.name, workspace=entry.workspace)
        except Exception as error:
            from tui.app.problems import describe

            problem = describe(error)
            app.notify(problem.message, title=problem.title, severity="error", timeout=8, markup=False)
        else:
            app.notify(f"Deleted {entry.key}", timeout=3)
        self.reload()


def execution_parameters(entry: SavedEntry, values: dict[str, str]) -> list[dict[str, Any]]:
    """The form's texts as QueryParameters. A parameter with a default is sent without a type,
    so the server reads it as the default's type; one without is typed from what was typed
    (``42`` an int, ``true`` a bool, as in the editor's form)."""
    from tui.client.params import parameter_type

    items: list[dict[str, Any]] = []
    for name in entry.names:
        text = values.get(name, "")
        if name in entry.defaults:
            items.append({"name": name, "value": text})
            continue
        value = parse_value(text)
        items.append({"name": name, "type": parameter_type(value), "value": None if value is None else str(value)})
    return items
