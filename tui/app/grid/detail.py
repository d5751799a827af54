"""A row or a cell in full: JSON pretty-printed, scrollable, dismissed with escape.

"In full" within bounds: a string of megabytes is shown up to its first
:data:`~tui.app.grid.cells.DETAIL_CHARS` characters, and the view says so; laying out all of it
would freeze the UI. Copying takes the whole value, or says it is too large for the terminal.
"""

from __future__ import annotations

from typing import Any

from rich.json import JSON
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.app.footer import KeysFooter
from tui.app.grid.cells import (
    COPY_LIMIT,
    DETAIL_CHARS,
    DETAIL_TOTAL_CHARS,
    compact_json,
    pretty_json,
    safe_text,
    shorten_strings,
)


def copy_text(value: Any) -> str:
    """What copying ``value`` puts on the clipboard."""
    return "" if value is None else value if isinstance(value, str) else compact_json(value)


def shown_text(value: Any) -> tuple[str, str]:
    """The text the detail view shows for ``value``, and a note saying what was cut ("" if
    nothing was)."""
    shortened, longest = shorten_strings(value, DETAIL_CHARS)
    text = safe_text(shortened if isinstance(shortened, str) else pretty_json(shortened))
    note = ""
    if longest:
        note = f"truncated: a value of {longest:,} characters is shown up to its first {DETAIL_CHARS:,}"
    if len(text) > DETAIL_TOTAL_CHARS:
        note = f"truncated: the first {DETAIL_TOTAL_CHARS:,} of {len(text):,} characters are shown"
        text = text[:DETAIL_TOTAL_CHARS]
    return text, note


class DetailScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q,enter", "dismiss", "Close"),
        Binding("c", "copy", "Copy"),
    ]

    def __init__(self, title: str, value: Any) -> None:
        super().__init__()
        self.title_text = title
        self.value = value
        self.text, self.note = shown_text(value)

    def compose(self) -> ComposeResult:
        plain = isinstance(self.value, str) or bool(self.note)
        body = Static(self.text, markup=False) if plain else Static(JSON(self.text))
        with Vertical(id="detail-dialog", classes="dialog") as dialog:
            dialog.border_title = self.title_text
            dialog.border_subtitle = "esc close · c copy"
            if self.note:
                whole = " · c copies it whole" if len(copy_text(self.value)) <= COPY_LIMIT else ""
                yield Static(self.note + whole, id="detail-note", markup=False)
            with VerticalScroll(id="detail-body"):
                yield body
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#detail-body").focus()

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)

    def action_copy(self) -> None:
        from tui.app.grid.clipboard import copy_or_refuse

        if copy_or_refuse(self, copy_text(self.value)):
            self.notify("Copied", timeout=2)
