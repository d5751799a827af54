"""Saving the editor's statement as a query lambda (ctrl+s, or "Save as lambda" in the palette).

:class:`LambdaActions` is a base class of :class:`~tui.app.app.FolioApp` holding only these
actions, so the app module does not grow with them. The statement under the cursor (or the
selection) is saved under a name and a workspace, with the current values of its ``:name``
parameters as defaults; saving a name that exists makes a new version of it. Running a saved
one lives in the sidebar's Saved tab (:mod:`tui.app.sidebar.saved`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from textual import work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Input, Label

from tui.app.editor.params import parse_value
from tui.app.editor.statements import parameters

_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")
NAME_RULE = "letters, digits, '_', '-' or '.'"


@dataclass(frozen=True)
class SaveChoice:
    name: str
    workspace: str


class SaveLambdaScreen(ModalScreen[SaveChoice | None]):
    """Ask for the lambda's name and workspace; shows what will be saved."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, sql: str, defaults: dict[str, str], names: list[str], workspace: str = "commons") -> None:
        super().__init__()
        self.sql = sql
        self.defaults = defaults
        self.names = names
        self.workspace = workspace

    def compose(self) -> ComposeResult:
        with Vertical(id="save-dialog", classes="dialog") as dialog:
            dialog.border_title = "Save as query lambda"
            dialog.border_subtitle = "enter save · esc cancel"
            first = " ".join(self.sql.split())
            yield Label(first if len(first) <= 64 else first[:63] + "…", id="save-sql", markup=False)
            if self.names:
                shown = " ".join(
                    f":{n}={self.defaults[n]}" if n in self.defaults else f":{n} (no default)" for n in self.names
                )
                yield Label(f"Defaults: {shown}", id="save-defaults", markup=False)
            yield Label("Name (an existing name gets a new version)")
            yield Input(placeholder="top_orders", id="save-name")
            yield Label("Workspace")
            yield Input(self.workspace, id="save-workspace")
            yield Label("", id="save-problem")
            with Horizontal(id="save-buttons"):
                yield Button("Save", variant="primary", id="save-go")
                yield Button("Cancel", id="save-cancel")

    def on_mount(self) -> None:
        for input_ in self.query(Input):
            if self.app.is_headless:
                input_.cursor_blink = False
        self.query_one("#save-name", Input).focus()

    def _choice(self) -> SaveChoice | None:
        name = self.query_one("#save-name", Input).value.strip()
        workspace = self.query_one("#save-workspace", Input).value.strip() or "commons"
        for what, value in (("name", name), ("workspace", workspace)):
            if not _NAME.fullmatch(value):
                self.query_one("#save-problem", Label).update(f"The {what} needs {NAME_RULE}.")
                return None
        return SaveChoice(name, workspace)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "save-name":
            self.query_one("#save-workspace", Input).focus()
            return
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save-go":
            self._submit()
        else:
            self.dismiss(None)

    def _submit(self) -> None:
        choice = self._choice()
        if choice is not None:
            self.dismiss(choice)

    def action_cancel(self) -> None:
        self.dismiss(None)


class LambdaActions(App[None]):
    """The query-lambda actions of the app (a base class of ``FolioApp``)."""

    BINDINGS = [Binding("ctrl+s", "save_lambda", "Save as lambda", show=False)]

    # provided by FolioApp
    editor: Any
    source: Any
    sidebar: Any
    parameter_values: dict[str, str]

    def action_save_lambda(self) -> None:
        statement = self.editor.current_statement()
        sql = statement.sql.strip() if statement is not None else ""
        if not sql:
            self.notify("Nothing to save: the editor has no statement here.", severity="warning", timeout=4)
            return
        if self.source is None:
            self.notify("Not connected.", severity="warning", timeout=3)
            return
        names = parameters(sql)
        defaults = {name: self.parameter_values[name] for name in names if name in self.parameter_values}

        def chosen(choice: SaveChoice | None) -> None:
            if choice is not None:
                self.save_lambda(sql, choice, defaults)

        self.push_screen(SaveLambdaScreen(sql, defaults, names), chosen)

    @work(group="query", exit_on_error=False)
    async def save_lambda(self, sql: str, choice: SaveChoice, defaults: dict[str, str]) -> None:
        from tui.app.problems import describe

        try:
            saved = await self.source.lambdas.save(
                choice.name,
                sql,
                workspace=choice.workspace,
                default_parameters={name: parse_value(text) for name, text in defaults.items()},
            )
        except Exception as error:
            problem = describe(error)
            self.notify(problem.message, title="Not saved", severity="error", timeout=8, markup=False)
            return
        self.notify(f"Saved {saved.workspace}.{saved.name} (version {saved.version})", timeout=4, markup=False)
        for saved_tab in self.sidebar.query("#saved"):
            saved_tab.reload()

    def get_system_commands(self, screen: Screen):  # type: ignore[no-untyped-def]
        yield from super().get_system_commands(screen)
        yield SystemCommand(
            "Save as lambda",
            "Save the statement under the cursor as a query lambda (ctrl+s)",
            self.action_save_lambda,
        )
