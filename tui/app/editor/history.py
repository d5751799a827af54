"""F8: pick an earlier statement; it is added to the buffer (nothing typed is lost)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList
from textual.widgets.option_list import Option


class HistoryScreen(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, history: list[str]) -> None:
        super().__init__()
        self.history = list(reversed(history))  # newest first

    def compose(self) -> ComposeResult:
        with Vertical(id="history-dialog", classes="dialog") as dialog:
            dialog.border_title = "History"
            dialog.border_subtitle = "enter recall · esc cancel"
            options = [
                Option(Text(" ".join(sql.split()), no_wrap=True, overflow="ellipsis"), id=str(i))
                for i, sql in enumerate(self.history)
            ]
            yield OptionList(*options, id="history-list")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()
        if not self.history:
            self.notify("No statements run yet.", timeout=2)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.history[int(event.option.id or 0)])

    def action_cancel(self) -> None:
        self.dismiss(None)
