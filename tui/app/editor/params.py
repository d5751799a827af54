"""The ``:name`` parameters form: one input per parameter, remembered per name."""

from __future__ import annotations

import re
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label

_INT = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?")


def parse_value(text: str) -> Any:
    """What a typed value means: ``42`` an int, ``4.2`` a float, ``true``/``false`` a bool,
    ``null`` NULL, anything else (or anything in quotes, ``'42'``) a string."""
    stripped = text.strip()
    if len(stripped) >= 2 and stripped[0] == stripped[-1] and stripped[0] in "'\"":
        return stripped[1:-1]
    lowered = stripped.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "null":
        return None
    if _INT.fullmatch(stripped):
        return int(stripped)
    if _FLOAT.fullmatch(stripped):
        return float(stripped)
    return text


class ParamsScreen(ModalScreen[dict[str, str] | None]):
    """Ask for each parameter's value; dismisses with the typed texts, or ``None``."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, names: list[str], remembered: dict[str, str]) -> None:
        super().__init__()
        self.names = names
        self.remembered = remembered

    def compose(self) -> ComposeResult:
        with Vertical(id="params-dialog", classes="dialog") as dialog:
            dialog.border_title = "Query parameters"
            dialog.border_subtitle = "enter next/run · esc cancel"
            for name in self.names:
                yield Label(f":{name}", classes="param-label")
                hint = "42, 4.2, true, null, text or 'quoted'"
                yield Input(self.remembered.get(name, ""), placeholder=hint, id=f"param-{name}")
            with Horizontal(id="params-buttons"):
                yield Button("Run", variant="primary", id="params-run")
                yield Button("Cancel", id="params-cancel")

    def on_mount(self) -> None:
        inputs = list(self.query(Input))
        for input_ in inputs:
            if self.app.is_headless:
                input_.cursor_blink = False
        if inputs:
            inputs[0].focus()

    def values(self) -> dict[str, str]:
        return {name: self.query_one(f"#param-{name}", Input).value for name in self.names}

    def on_input_submitted(self, event: Input.Submitted) -> None:
        inputs = list(self.query(Input))
        position = inputs.index(event.input)
        if position + 1 < len(inputs):
            inputs[position + 1].focus()
        else:
            self.dismiss(self.values())

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(self.values() if event.button.id == "params-run" else None)

    def action_cancel(self) -> None:
        self.dismiss(None)
