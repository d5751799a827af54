"""`e`: where and how to export the view on screen: all its columns, or the shown ones."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select

FORMATS = (("CSV", "csv"), ("JSON Lines", "jsonl"), ("Parquet", "parquet"))
_SUFFIX = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}


@dataclass(frozen=True)
class ExportChoice:
    path: Path
    format: str
    #: only these columns, in this order (what the grid shows); ``None`` for all of them
    columns: list[str] | None = None


def format_for(path: str, chosen: str) -> str:
    """The format the path's extension says, else the chosen one."""
    return _SUFFIX.get(Path(path).suffix.lower(), chosen)


class ExportScreen(ModalScreen[ExportChoice | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, default_path: str, rows: str, shown: list[str] | None = None, count: int = 0) -> None:
        super().__init__()
        self.default_path = default_path
        self.rows = rows
        #: the grid's shown columns in their order, when they differ from all ``count`` columns
        self.shown = shown
        self.count = count

    def compose(self) -> ComposeResult:
        with Vertical(id="export-dialog", classes="dialog") as dialog:
            dialog.border_title = "Export result"
            dialog.border_subtitle = "enter export · esc cancel"
            yield Label(f"All {self.rows}, streamed page by page in the background.")
            yield Label("Format")
            yield Select(FORMATS, value=format_for(self.default_path, "csv"), allow_blank=False, id="export-format")
            yield Label("File")
            yield Input(self.default_path, id="export-path")
            if self.shown is not None:
                label = f"Only the {len(self.shown)} shown columns of {self.count}, in their order"
                yield Checkbox(label, value=True, id="export-shown")
            with Horizontal(id="export-buttons"):
                yield Button("Export", variant="primary", id="export-go")
                yield Button("Cancel", id="export-cancel")

    def on_mount(self) -> None:
        path = self.query_one("#export-path", Input)
        if self.app.is_headless:
            path.cursor_blink = False
        path.focus()

    def on_select_changed(self, event: Select.Changed) -> None:
        path = self.query_one("#export-path", Input)
        current = Path(path.value)
        if current.suffix.lower() in _SUFFIX and event.value in ("csv", "jsonl", "parquet"):
            path.value = str(current.with_suffix(f".{event.value}"))

    def _choice(self) -> ExportChoice | None:
        text = self.query_one("#export-path", Input).value.strip()
        if not text:
            self.notify("Type a file name.", severity="warning", timeout=2)
            return None
        chosen = str(self.query_one("#export-format", Select).value)
        shown = self.shown if self.shown is not None and self.query_one("#export-shown", Checkbox).value else None
        return ExportChoice(Path(text).expanduser(), format_for(text, chosen), shown)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        choice = self._choice()
        if choice:
            self.dismiss(choice)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "export-cancel":
            self.dismiss(None)
            return
        choice = self._choice()
        if choice:
            self.dismiss(choice)

    def action_cancel(self) -> None:
        self.dismiss(None)
