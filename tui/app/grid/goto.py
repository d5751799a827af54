"""ctrl+g: ask for a row number and jump there (one page fetch at that offset)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.validation import Integer
from textual.widgets import Input, Label


class GoToRowScreen(ModalScreen[int | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, rows: int, *, running: bool = False) -> None:
        super().__init__()
        self.rows = rows
        self.running = running

    def compose(self) -> ComposeResult:
        more = "+" if self.running else ""
        with Vertical(id="goto-dialog", classes="dialog") as dialog:
            dialog.border_title = "Go to row"
            yield Label(f"Row number (1 – {self.rows:,}{more})")
            yield Input(
                placeholder="e.g. 5000000",
                validators=[Integer(minimum=1)],
                id="goto-row",
            )

    def on_mount(self) -> None:
        input_ = self.query_one(Input)
        if self.app.is_headless:
            input_.cursor_blink = False
        input_.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        text = event.value.replace(",", "").replace("_", "").strip()
        if not text.isdigit() or int(text) < 1:
            self.notify("Type a row number, 1 or more.", severity="warning", timeout=2)
            return
        self.dismiss(min(int(text), max(self.rows, 1)))

    def action_cancel(self) -> None:
        self.dismiss(None)
