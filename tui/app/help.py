"""F1 (or ? outside the editor): every key folio knows, grouped by where it works."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

SECTIONS: list[tuple[str, list[tuple[str, str]]]] = [
    (
        "Editor",
        [
            ("ctrl+enter  ctrl+j  F5", "run the selection, or the statement under the cursor"),
            ("F8", "history: recall an earlier statement"),
            ("ctrl+s", "save the statement as a query lambda (again: a new version)"),
            ("F7", "select all (while no query runs)"),
            ("esc", "leave the editor (to the results)"),
            ("tab  enter  esc", "completion popup: accept / accept / dismiss"),
            ("ctrl+space", "completions with nothing typed yet"),
        ],
    ),
    (
        "Results",
        [
            ("↑ ↓  PgUp PgDn", "move by row / by screen"),
            ("Home  End", "first / last row: one page fetched, none in between"),
            ("← →", "across columns; the frozen columns (the first, or z) stay in view"),
            ("ctrl+g", "go to row N"),
            ("enter  v", "the row / the cell in full (JSON)"),
            ("c  y", "copy the cell / the row as JSON (OSC 52, works over SSH)"),
            ("e", "export the view: CSV, JSON Lines, Parquet (all columns, or the shown ones)"),
        ],
    ),
    (
        "Columns (saved per result, restored when it is re-opened)",
        [
            ("g", "go to a column by name (fuzzy); picking a hidden one shows it"),
            ("-  +", "hide the current column / show all hidden ones"),
            ("<  >", "the current column narrower / wider"),
            ("H  L", "move the current column left / right"),
            ("z", "freeze the columns up to the current one (again: only the first)"),
            ("shift+arrows", "select a range of cells; c copies it as TSV"),
            ("C  Y", "copy the selection as TSV, CSV or Markdown / the column's values on screen"),
        ],
    ),
    (
        "Exploring a result (each view a stored result, computed by the service)",
        [
            ("/  n  N", "find text (any column, or the current one; regex) / next / previous match"),
            ("s  S", "sort the whole result by the current column, ascending / descending"),
            ("f", "filter: rows where the current column equals the current cell"),
            ("\\", "filter by an SQL condition (checked as you enter it)"),
            ("F", "frequency table of the current column (enter: filter to that value)"),
            ("i", "profile: count, nulls, distinct, min, max, mean, quantiles"),
            ("o", "show this row in the original result"),
            ("backspace", "back to the previous view, where you left it"),
        ],
    ),
    (
        "Queries",
        [
            ("ctrl+b  F9", "show / hide the queries sidebar"),
            ("enter", "re-open a stored result (it is not run again)"),
            ("d", "cancel a running query / drop a stored result"),
            ("r", "run the query's SQL again"),
        ],
    ),
    (
        "Saved (the sidebar's second tab)",
        [
            ("enter", "run a saved query lambda: its parameters, prefilled with defaults"),
            ("d", "delete a saved query lambda"),
            ("r", "reload the list"),
        ],
    ),
    (
        "Catalog (the sidebar's third tab)",
        [
            ("F6", "the Catalog tab: schemas, tables and views, columns"),
            ("/  space", "filter / expand a table to its columns"),
            ("enter", "insert the name (SELECT * FROM … into an empty editor)"),
            ("p", "show the table's rows (SELECT * FROM t)"),
        ],
    ),
    (
        "Everywhere",
        [
            ("F2 F3 F4", "focus the editor / the results / the queries"),
            ("F7", "cancel the running query"),
            ("ctrl+p", "command palette (themes too)"),
            ("F1  ?", "this help (F1 in the editor, where ? is typed)"),
            ("ctrl+q", "quit"),
        ],
    ),
]

PARAMETERS = (
    ":name in a statement asks for its value, remembered per name: 42 is a number, "
    "true/false a boolean, null NULL, anything else (or '42' in quotes) text."
)


def help_renderable() -> Group:
    parts: list = []
    for title, rows in SECTIONS:
        table = Table(box=None, show_header=False, padding=(0, 2, 0, 0), expand=False)
        table.add_column(style="bold", no_wrap=True, min_width=24)
        table.add_column()
        for keys, does in rows:
            table.add_row(keys, does)
        parts += [Text(title, style="bold underline"), table, Text("")]
        if title == "Editor":
            parts += [Text(PARAMETERS, style="dim"), Text("")]
    return Group(*parts)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,f1,question_mark", "close", "Close")]

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog", classes="dialog") as dialog:
            dialog.border_title = "folio · keys"
            dialog.border_subtitle = "esc close"
            with VerticalScroll(id="help-body"):
                yield Static(help_renderable())

    def on_mount(self) -> None:
        self.query_one("#help-body").focus()

    def action_close(self) -> None:
        self.dismiss(None)
