"""The SQL editor: Textual's code editor with SQL highlighting and a run key.

Highlighting comes from a scanner (``tui.app.editor.highlight``), not from tree-sitter, whose
SQL grammar would be the app's largest single cost in memory.
"""

from __future__ import annotations

from textual import events
from textual.binding import Binding
from textual.widgets import TextArea

from tui.app.editor.completion_popup import CompletionPopup
from tui.app.editor.highlight import SqlHighlighter
from tui.app.editor.statements import Statement, selection_statement, statement_at
from tui.app.messages import RunRequested


class QueryEditor(TextArea):
    """Runs the selection, or the statement under the cursor, with ctrl+enter / ctrl+j / F5."""

    BINDINGS = [
        # ctrl+enter needs a terminal that reports it; ctrl+j (a plain LF) and F5 work everywhere
        Binding("ctrl+enter,ctrl+j,f5", "run", "Run"),
        Binding("f8", "app.history", "History"),
        Binding("ctrl+space,ctrl+@", "complete", "Complete", show=False),
    ]

    def __init__(self, text: str = "", *, id: str | None = None) -> None:
        super().__init__(
            text,
            language=None,
            theme="monokai",
            soft_wrap=False,
            tab_behavior="indent",
            show_line_numbers=True,
            id=id,
        )
        self.completion = CompletionPopup(self)

    def on_mount(self) -> None:
        if self.app.is_headless:
            # a blinking cursor makes every screenshot different
            self.cursor_blink = False
        self.screen.mount(self.completion)

    def _build_highlight_map(self) -> None:
        # TextArea calls this after every edit (and once from its own __init__, before ours has
        # run) to rebuild its highlights from tree-sitter's tree; the scanner rescans the lines
        # that changed (benchmarks/highlight.py)
        highlighter = self.__dict__.get("_sql_highlighter")
        if highlighter is None:
            highlighter = self.__dict__["_sql_highlighter"] = SqlHighlighter()
        self._line_cache.clear()
        self._highlights.clear()
        self._highlights.update(highlighter.highlights(self.text))

    # --- completion: the popup does the work (tui.app.editor.completion_popup)

    async def _on_key(self, event: events.Key) -> None:
        if self.completion.handle_key(event):
            return
        await super()._on_key(event)
        self.completion.after_key(event)

    def action_complete(self) -> None:
        """Offer completions at the cursor even with nothing typed (typing asks by itself)."""
        self.completion.request_at_cursor(explicit=True)

    def on_blur(self) -> None:
        self.completion.hide()

    def insert_name(self, name: str) -> None:
        """Put a table's name at the cursor, or ``SELECT * FROM name`` into an empty editor."""
        if not self.text.strip():
            self.load_text(f"SELECT * FROM {name}")
            self.move_cursor(self.document.end)
        else:
            self.insert(name)
        self.focus()

    def current_statement(self) -> Statement | None:
        start, end = self.selection
        text = self.text
        if start != end:
            return selection_statement(text, self._offset(start), self._offset(end))
        return statement_at(text, self._offset(self.cursor_location))

    def _offset(self, location: tuple[int, int]) -> int:
        row, column = location
        lines = self.text.split("\n")
        return sum(len(line) + 1 for line in lines[:row]) + column

    def action_run(self) -> None:
        statement = self.current_statement()
        if statement is None:
            self.notify("Nothing to run: type a SQL statement first.", severity="warning", timeout=3)
            return
        self.post_message(RunRequested(statement.sql, statement.line, statement.column))

    def move_to(self, line: int, column: int) -> None:
        """Put the cursor at a buffer position (where the server said an error is)."""
        line = max(0, min(line, self.document.line_count - 1))
        column = max(0, min(column, len(self.document.get_line(line))))
        self.move_cursor((line, column), center=True)
        self.focus()

    def append_statement(self, sql: str) -> None:
        """Add ``sql`` as a new statement at the end of the buffer and put the cursor in it."""
        text = self.text.rstrip()
        separator = "" if not text else (";\n\n" if not text.endswith(";") else "\n\n")
        start_line = (text + separator).count("\n") if text else 0
        self.load_text(text + separator + sql.strip())
        self.move_cursor((start_line, 0))
        self.focus()
