"""The small dialogs of exploring: what to find (``/``), and a filter expression (``\\``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, Label, Static

from tui.app.problems import describe


@dataclass(frozen=True)
class Search:
    """What ``/`` looks for; ``n`` and ``N`` look for it again."""

    text: str
    column: str | None = None
    regex: bool = False
    case: bool = False

    def describe(self) -> str:
        where = f" in {self.column}" if self.column else ""
        kind = "regex " if self.regex else ""
        return f"{kind}{self.text!r}{where}"


class FindScreen(ModalScreen[Search | None]):
    """Text to find, in every column or only the one under the cursor."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, column: str | None, last: Search | None = None) -> None:
        super().__init__()
        self.column = column
        self.last = last

    def compose(self) -> ComposeResult:
        with Vertical(id="find-dialog", classes="dialog") as dialog:
            dialog.border_title = "Find"
            dialog.border_subtitle = "enter find · n / N next / previous · esc cancel"
            yield Input(value=self.last.text if self.last else "", placeholder="text to find", id="find-text")
            with Horizontal(id="find-options"):
                if self.column is not None:
                    only = bool(self.last and self.last.column == self.column)
                    yield Checkbox(f"only in {self.column}", only, id="find-column")
                yield Checkbox("regex", bool(self.last and self.last.regex), id="find-regex")
                yield Checkbox("match case", bool(self.last and self.last.case), id="find-case")

    def on_mount(self) -> None:
        input_ = self.query_one(Input)
        if self.app.is_headless:
            input_.cursor_blink = False
        input_.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value
        if not text:
            self.notify("Type the text to find.", severity="warning", timeout=2)
            return
        only = self.query("#find-column")
        column = self.column if only and only.first(Checkbox).value else None
        self.dismiss(
            Search(
                text,
                column=column,
                regex=self.query_one("#find-regex", Checkbox).value,
                case=self.query_one("#find-case", Checkbox).value,
            )
        )

    def action_cancel(self) -> None:
        self.dismiss(None)


#: runs the filter for an expression: its answer on success; raises the query's error
Runner = Callable[[str], Awaitable[Any]]


class ExpressionScreen(ModalScreen[Any]):
    """A filter expression, run as it is typed in: the view opens if it runs, and the SQL error
    is shown here, under the expression, if it does not (nothing opens, nothing is lost)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, columns: list[str], run: Runner, last: str = "") -> None:
        super().__init__()
        self.columns = columns
        self.run = run
        self.last = last

    def compose(self) -> ComposeResult:
        with Vertical(id="expression-dialog", classes="dialog") as dialog:
            dialog.border_title = "Filter by expression"
            dialog.border_subtitle = "enter filter · esc cancel"
            yield Label("Keep the rows where (SQL, e.g. amount > 100 AND kind = 'view'):")
            yield Input(value=self.last, placeholder="an SQL condition on the columns", id="expression")
            names = ", ".join(self.columns[:12]) + (", …" if len(self.columns) > 12 else "")
            yield Static(f"columns: {names}", id="expression-columns", markup=False)
            yield Static("", id="expression-error", markup=False)

    def on_mount(self) -> None:
        input_ = self.query_one(Input)
        if self.app.is_headless:
            input_.cursor_blink = False
        input_.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        expression = event.value.strip()
        if not expression:
            self.notify("Type a condition, or esc.", severity="warning", timeout=2)
            return
        self.query_one("#expression-error", Static).update("checking…")
        self.run_worker(self._try(expression), group="expression", exclusive=True, exit_on_error=False)

    async def _try(self, expression: str) -> None:
        try:
            answer = await self.run(expression)
        except Exception as error:
            problem = describe(error)
            self.query_one("#expression-error", Static).update(f"✗ {problem.title}: {problem.message}")
            self.query_one(Input).focus()
        else:
            self.dismiss(answer)

    def action_cancel(self) -> None:
        self.dismiss(None)
