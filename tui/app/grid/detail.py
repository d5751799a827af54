"""A row or a cell in full: JSON pretty-printed, scrollable, dismissed with escape."""

from __future__ import annotations

from typing import Any

from rich.json import JSON
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from tui.app.grid.cells import compact_json, pretty_json


class DetailScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q,enter", "dismiss", "Close"),
        Binding("c", "copy", "Copy"),
    ]

    def __init__(self, title: str, value: Any) -> None:
        super().__init__()
        self.title_text = title
        self.value = value

    def compose(self) -> ComposeResult:
        text = self.value if isinstance(self.value, str) else pretty_json(self.value)
        body = (
            Static(text, markup=False)
            if isinstance(self.value, str)
            else Static(JSON(text))
        )
        with Vertical(id="detail-dialog", classes="dialog") as dialog:
            dialog.border_title = self.title_text
            dialog.border_subtitle = "esc close · c copy"
            with VerticalScroll(id="detail-body"):
                yield body
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#detail-body").focus()

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)

    def action_copy(self) -> None:
        value = self.value
        self.app.copy_to_clipboard(value if isinstance(value, str) else compact_json(value))
        self.notify("Copied", timeout=2)
