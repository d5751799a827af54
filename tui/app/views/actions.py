"""What the exploring keys do: the app's side of the stack of views.

:class:`ExploreActions` is mixed into :class:`~tui.app.app.FolioApp`. It turns the grid's
requests (find, sort, filter, frequency, profile, back) into derived queries on the service,
runs them the way the app runs any query (async, first rows shown while it runs, RUNNING in
the status line, F7 cancels), and moves between the views of :class:`ViewStack`.

Its handlers for the app's own messages (a query started, re-opened, failed, progressed) run
after the app's, as Textual calls every class's handler along the MRO: a new query from the
editor starts a new stack, with no hook in ``app.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import SystemCommand
from textual.screen import Screen

from tui.app.current import CurrentQuery
from tui.app.grid.column_actions import column_commands
from tui.app.grid.pages import RowSource
from tui.app.messages import QueryFailed, QueryProgress, QueryStarted, Reopened
from tui.app.problems import describe
from tui.app.source import RUNNING_STATES, QueryRows, status_name, to_row_page
from tui.app.views.messages import (
    BackRequested,
    ExpressionRequested,
    FilterRequested,
    FindAnswered,
    FindFailed,
    FindRequested,
    FrequencyPicked,
    FrequencyRequested,
    OriginalRequested,
    ProfileRequested,
    SortRequested,
    ViewFailed,
    ViewStarted,
)
from tui.app.views.prompts import ExpressionScreen, FindScreen, Search
from tui.app.views.reopen import reopened_views
from tui.app.views.rows import BAR_COLUMN, FrequencyRows, NumberedRows, frequency_columns
from tui.app.views.sql import (
    LiteralError,
    equals,
    filter_sql,
    in_range,
    label_value,
    sort_sql,
    text_equals,
)
from tui.app.views.stack import View, ViewKind, ViewStack, root_label

if TYPE_CHECKING:
    from tui.app.views.grid import ExploreGrid

#: How long starting a derived query waits for it to finish (as a run from the editor does).
RUN_WAIT_MS = 50


class ExploreActions:
    """The exploring half of the app (see the module's docstring)."""

    if TYPE_CHECKING:  # what this mixin uses of FolioApp
        grid: ExploreGrid
        source: Any
        current: CurrentQuery | None
        page_size: int

        def clock(self) -> datetime: ...
        def post_message(self, message: Any) -> bool: ...
        def notify(self, *args: Any, **kwargs: Any) -> None: ...
        def push_screen(self, *args: Any, **kwargs: Any) -> Any: ...
        def watch_query(self, query_id: str) -> Any: ...
        def drop_query(self, query_id: str) -> Any: ...
        def refresh_queries(self) -> Any: ...
        def _update_status(self, text: str | None = None) -> None: ...
        @property
        def workers(self) -> Any: ...

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.views = ViewStack()
        #: what ``/`` last looked for (``n``/``N`` look for it again)
        self.search: Search | None = None
        self._last_expression = ""

    # ------------------------------------------------------------------------------------------
    # A new query (run, re-opened, failed) starts a new stack

    def on_query_started(self, message: QueryStarted) -> None:
        result = message.result
        columns = [(str(c[0]), str(c[1])) for c in result.columns]
        self._new_root(result.query_id, message.request.sql, columns)

    def _reopen_views(self, message: Reopened) -> View:
        """The stack of a re-opened result (its grid is opened by the caller): a filter or sort
        comes back over the views it was derived from. The top view is the re-opened one."""
        self.workers.cancel_group(self, "find")
        chain = [*reversed(message.ancestors), message.info]
        self.views.views = reopened_views(chain, self.clock())
        self._show_path()
        top = self.views.top
        assert top is not None
        return top

    def on_query_failed(self, message: QueryFailed) -> None:
        self.views.reset(None)
        self._show_path()

    def _new_root(self, query_id: str, sql: str, columns: list[tuple[str, str]]) -> None:
        self.workers.cancel_group(self, "find")
        root = View(ViewKind.QUERY, root_label(sql, query_id), query_id=query_id, sql=sql, columns=columns)
        root.record = self.current
        self.views.reset(root)
        self._show_path()

    def on_query_progress(self, message: QueryProgress) -> None:
        # a profile opened while it ran: put the cursor on the column it was asked for, now
        # that its rows exist
        top = self.views.top
        if top is None or top.query_id != message.query_id or top.kind != ViewKind.PROFILE:
            return
        if status_name(message.info.status) == "COMPLETED" and top.place.cursor_row:
            self.grid.move_cursor(top.place.cursor_row)

    # ------------------------------------------------------------------------------------------
    # Deriving a view

    def _derivable(self) -> View | None:
        """The view on screen, if a view can be derived from it (its result is complete)."""
        top = self.views.top
        current = self.current
        if top is None or current is None or current.query_id != top.query_id:
            self.notify("Run a query first.", timeout=3)
            return None
        if current.status != "COMPLETED":
            if current.status in RUNNING_STATES:
                self.notify("The query is still running: wait for it (or F7 to cancel).", timeout=4)
            else:
                self.notify("Only a completed result can be filtered, sorted or profiled.", timeout=4)
            return None
        return top

    def _derive(self, view: View, parent: View) -> None:
        view.parent = parent
        self._update_status(f"▶ {view.label}…")
        self._run_view(view)

    @work(exclusive=True, group="query", exit_on_error=False)
    async def _run_view(self, view: View) -> None:
        started = self.clock()
        try:
            result = await self._submit(view)
        except Exception as error:
            self.post_message(ViewFailed(view, error))
        else:
            self.post_message(ViewStarted(view, result, started))

    async def _submit(self, view: View) -> Any:
        parent = view.parent
        assert parent is not None and self.source is not None
        if view.kind == ViewKind.FREQUENCY:
            return await self.source.frequency(parent.query_id, view.column)
        if view.kind == ViewKind.PROFILE:
            return await self.source.profile(parent.query_id)
        return await self.source.run(view.sql, initial_docs=self.page_size, async_=True, client_timeout_ms=RUN_WAIT_MS)

    def on_view_started(self, message: ViewStarted) -> None:
        view, result = message.view, message.result
        status = status_name(result.status) or "COMPLETED"
        if view.parent is not None and view.parent not in self.views.views:
            # the user went back past the view it was derived from while it started
            if status in RUNNING_STATES:
                self.drop_query(result.query_id)
            self._update_status()
            return
        grid = self.grid
        column = grid.columns[grid.cursor_col][0] if grid.columns else None
        self._leave_top()
        if view.replaces:
            self._stop(self.views.pop())
        view.query_id = result.query_id
        view.record = CurrentQuery(
            query_id=result.query_id, sql=view.sql, started_at=message.started_at, status=status, rows=result.total
        )
        self.workers.cancel_group(self, "watch")
        self.workers.cancel_group(self, "find")
        self.current = view.record
        self.views.push(view)
        rows = self._rows(view)
        first = to_row_page(result) if (result.rows or result.total is not None) else None
        shape = getattr(rows, "shape", None)
        columns = [(str(c[0]), str(c[1])) for c in result.columns]
        self.grid.open(
            rows,
            key=result.query_id,
            columns=self._shown_columns(view, columns),
            total=result.total,
            running=status in RUNNING_STATES,
            first=shape(first) if first is not None and shape is not None else first,
        )
        if status in RUNNING_STATES or result.total is None:
            self.watch_query(result.query_id)
        else:
            view.record.elapsed_ms = int(result.elapsed_ms) if result.elapsed_ms else None
        if view.kind == ViewKind.PROFILE and view.place.cursor_row and result.total is not None:
            self.grid.move_cursor(view.place.cursor_row)
        names = [name for name, _ in grid.columns]
        if view.data and column in names:
            # the same rows, fewer or in another order: stay on the column the user was on
            grid.move_cursor(column=names.index(column))
        self._show_path()
        self._update_status()
        self.refresh_queries()
        self.grid.focus()

    def on_view_failed(self, message: ViewFailed) -> None:
        problem = describe(message.error)
        self._update_status()
        self.notify(
            problem.message, title=f"{problem.title}: {message.view.label}", severity="error", timeout=8, markup=False
        )

    def _rows(self, view: View) -> RowSource:
        if view.kind == ViewKind.FREQUENCY:
            return FrequencyRows(self.source, view.query_id)
        if view.numbered:
            return NumberedRows(self.source, view.query_id)
        return QueryRows(self.source, view.query_id)

    def _shown_columns(self, view: View, columns: list[tuple[str, str]]) -> list[tuple[str, str]]:
        if not columns:
            return []
        if view.kind == ViewKind.FREQUENCY:
            return frequency_columns(columns)
        return view.visible_columns(columns)

    def _leave_top(self) -> None:
        """Remember where the user is in the view on screen, to come back to it."""
        top = self.views.top
        if top is None or top.query_id != self.grid.key:
            return
        top.place = self.grid.place()
        top.columns = list(self.grid.columns)
        top.total = self.grid.total
        top.record = self.current

    def _stop(self, view: View | None) -> None:
        """A view left while its query runs: nobody will look at it, cancel it."""
        if view is not None and view.record is not None and view.record.status in RUNNING_STATES:
            self.drop_query(view.query_id)

    def _show(self, view: View) -> None:
        """Show a view the user left, as they left it: no query runs."""
        self.workers.cancel_group(self, "watch")
        self.workers.cancel_group(self, "find")
        self.current = view.record
        rows = self._rows(view) if view.kind != ViewKind.QUERY else QueryRows(self.source, view.query_id)
        self.grid.restore(rows, key=view.query_id, columns=view.columns, total=view.total, place=view.place)
        if view.record is not None and view.record.status in RUNNING_STATES:
            self.grid.running = view.total is None
            self.watch_query(view.query_id)
        self._show_path()
        self._update_status()
        self.grid.focus()

    def _show_path(self) -> None:
        top = self.views.top
        path = self.views.path() if len(self.views) > 1 else ""
        self.grid.show_path(path, frequency=top is not None and top.kind == ViewKind.FREQUENCY)

    # ------------------------------------------------------------------------------------------
    # The keys

    def on_sort_requested(self, message: SortRequested) -> None:
        top = self._derivable()
        if top is None:
            return
        # sorting a sorted view sorts what it sorted (one sort at a time, as in a spreadsheet)
        parent = self.views.parent if top.kind == ViewKind.SORT and self.views.parent is not None else top
        arrow = "↓" if message.descending else "↑"
        # a frequency table's bars are drawn from its counts: sorting by them sorts by count
        column = "count" if top.kind == ViewKind.FREQUENCY and message.column == BAR_COLUMN else message.column
        view = View(
            ViewKind.SORT,
            f"sorted by {column} {arrow}",
            sql=sort_sql(parent.query_id, column, descending=message.descending, numbered=parent.numbered),
            numbered=True,
            rows_of=parent.rows_for_derived,
            replaces=parent is not top,
        )
        self._derive(view, parent)

    def on_filter_requested(self, message: FilterRequested) -> None:
        parent = self._derivable()
        if parent is None:
            return
        if parent.kind == ViewKind.FREQUENCY and message.column == BAR_COLUMN:
            self.notify("The bars are drawn, not stored: filter on count instead.", timeout=3)
            return
        try:
            predicate = equals(message.column, message.type_name, message.value)
        except LiteralError as error:
            self.notify(f"Cannot filter on this value: {error}", severity="warning", timeout=4)
            return
        label = (
            f"{message.column} IS NULL"
            if message.value is None
            else f"{message.column} = {label_value(message.value, message.type_name)}"
        )
        self._filter(parent, predicate, label)

    def _filter(self, parent: View, predicate: str, label: str) -> None:
        view = View(
            ViewKind.FILTER,
            label,
            sql=filter_sql(parent.query_id, predicate, numbered=parent.numbered),
            numbered=True,
            rows_of=parent.rows_for_derived,
        )
        self._derive(view, parent)

    def on_expression_requested(self, message: ExpressionRequested) -> None:
        parent = self._derivable()
        if parent is None:
            return
        columns = [name for name, _ in self.grid.columns]

        async def run(expression: str) -> ViewStarted:
            # run it: a SQL error is shown in the dialog, and a good one is already running
            view = View(
                ViewKind.FILTER,
                expression,
                sql=filter_sql(parent.query_id, expression, numbered=parent.numbered),
                numbered=True,
                rows_of=parent.rows_for_derived,
                parent=parent,
            )
            started = self.clock()
            result = await self._submit(view)
            self._last_expression = expression
            return ViewStarted(view, result, started)

        def opened(answer: ViewStarted | None) -> None:
            if answer is not None:
                self.post_message(answer)

        self.push_screen(ExpressionScreen(columns, run, self._last_expression), opened)

    def on_frequency_requested(self, message: FrequencyRequested) -> None:
        parent = self._derivable()
        if parent is not None:
            self._derive(View(ViewKind.FREQUENCY, f"frequency of {message.column}", column=message.column), parent)

    def on_profile_requested(self, message: ProfileRequested) -> None:
        parent = self._derivable()
        if parent is None:
            return
        view = View(ViewKind.PROFILE, "profile", column=message.column)
        # one row per column of the parent, in its order (folio_row first when it has one)
        names = [name for name, _ in self.grid.columns]
        if message.column in names:
            view.place.cursor_row = names.index(message.column) + (1 if parent.numbered else 0)
        self._derive(view, parent)

    def on_frequency_picked(self, message: FrequencyPicked) -> None:
        top = self.views.top
        if top is None or top.kind != ViewKind.FREQUENCY or top.column is None:
            return
        # the view the table counted (the data under it, or whatever it was asked from)
        data = top.parent if top.parent in self.views.views else self.views.data_under(top)
        assert data is not None
        column = top.column
        row = message.row
        type_name = dict(data.columns).get(column, "VARCHAR")
        low, high, value = row.get("low"), row.get("high"), row.get("value")
        if low is not None and high is not None:
            predicate, label = in_range(column, str(low), str(high)), f"{column} in {value}"
        elif value is None:
            predicate, label = text_equals(column, type_name, None), f"{column} IS NULL"
        else:
            predicate = text_equals(column, type_name, str(value))
            label = f"{column} = {label_value(str(value), 'VARCHAR')}"
        self._filter(data, predicate, label)

    def on_back_requested(self, message: BackRequested) -> None:
        left = self.views.pop()
        if left is None:
            self.notify("This is the query's own result: nothing to go back to.", timeout=3)
            return
        self._stop(left)
        top = self.views.top
        assert top is not None
        self._show(top)

    def on_original_requested(self, message: OriginalRequested) -> None:
        top = self.views.top
        if top is None or top.rows_of is None:
            gone = top is not None and top.numbered
            text = (
                "The result these rows came from is no longer stored."
                if gone
                else "This view has no rows of an original result."
            )
            self.notify(text, timeout=3)
            return
        target = top.rows_of
        self._leave_top()
        for left in self.views.pop_to(target):
            self._stop(left)
        self._show(target)
        self.grid.go_to_row(message.row)

    # ------------------------------------------------------------------------------------------
    # Find

    def on_find_requested(self, message: FindRequested) -> None:
        top = self.views.top
        if top is None or not self.grid.has_result:
            return
        grid = self.grid
        if message.direction == "ask":
            column = grid.columns[grid.cursor_col][0] if grid.columns else None

            def chosen(search: Search | None) -> None:
                if search is not None:
                    self.search = search
                    self._find(search, grid.cursor_row, "next")

            self.push_screen(FindScreen(column, self.search), chosen)
            return
        if self.search is None:
            self.notify("Nothing to find yet: / first.", timeout=3)
            return
        if message.direction == "next":
            start = grid.cursor_row + 1
            if grid.total is not None and start >= grid.total:
                self._update_status(f"/ {self.search.describe()}: no match after row {grid.cursor_row + 1:,}")
                return
            self._find(self.search, start, "next")
        else:
            if grid.cursor_row == 0:
                self._update_status(f"/ {self.search.describe()}: no match before row 1")
                return
            self._find(self.search, grid.cursor_row - 1, "prev")

    def _find(self, search: Search, start: int, direction: str) -> None:
        self._update_status(f"/ finding {search.describe()}…")
        self._find_rows(search, self.grid.key, start, direction)

    @work(exclusive=True, group="find", exit_on_error=False)
    async def _find_rows(self, search: Search, query_id: str, start: int, direction: str) -> None:
        """Ask the service for the next match; a long scan answers with how far it got, and is
        asked again from there until it finds one or reaches the end."""
        finding = Finding(search, query_id, start, direction)
        while True:
            try:
                answer = await self.source.find(
                    query_id,
                    search.text,
                    column=search.column,
                    start=start,
                    direction=direction,
                    regex=search.regex,
                    case=search.case,
                )
            except Exception as error:
                self.post_message(FindFailed(finding, error))
                return
            self.post_message(FindAnswered(finding, answer))
            if answer.match is not None or answer.done or answer.scanned_to == start:
                return
            start = answer.scanned_to

    def on_find_answered(self, message: FindAnswered) -> None:
        finding: Finding = message.search
        answer = message.answer
        grid = self.grid
        if finding.query_id != grid.key:
            return
        what = finding.search.describe()
        if answer.match is not None:
            grid.go_to_row(int(answer.match))
            names = [name for name, _ in grid.columns]
            column = answer.column if answer.column in names else finding.search.column
            if column in names:
                grid.move_cursor(column=names.index(column))
            where = f" · column {column}" if column else ""
            self._update_status(f"/ {what}: row {int(answer.match) + 1:,}{where} · n next · N previous")
        elif answer.done:
            if finding.direction == "next":
                side = f"after row {finding.start:,}"
            else:
                side = f"before row {finding.start + 2:,}"
            self._update_status(f"/ {what}: no match {side}")
        else:
            of = f" of {grid.row_count:,}" if grid.total is not None else ""
            self._update_status(f"/ finding {what}… scanned to row {int(answer.scanned_to):,}{of}")

    def on_find_failed(self, message: FindFailed) -> None:
        problem = describe(message.error)
        self._update_status(f"✗ find: {problem.message.splitlines()[0] if problem.message else problem.title}")
        self.notify(problem.message, title="Find failed", severity="error", timeout=6, markup=False)

    # ------------------------------------------------------------------------------------------
    # Command palette

    def get_system_commands(self, screen: Screen) -> Iterator[SystemCommand]:
        yield from super().get_system_commands(screen)  # type: ignore[misc]
        grid = self.grid
        commands = [
            ("Find", "Find text in the result (then n / N)", grid.action_find),
            ("Sort ascending", "Sort the whole result by the current column", lambda: grid.action_sort(False)),
            (
                "Sort descending",
                "Sort the whole result by the current column, largest first",
                lambda: grid.action_sort(True),
            ),
            (
                "Filter by cell",
                "Keep the rows where the current column holds the current cell",
                grid.action_filter_value,
            ),
            ("Filter by expression", "Keep the rows where an SQL condition holds", grid.action_filter_expression),
            ("Frequency table", "Count the values of the current column", grid.action_frequency),
            ("Profile", "Statistics of every column", grid.action_profile),
            ("Back", "Back to the previous view", grid.action_back),
            ("Row in original", "Show the row under the cursor in the result it came from", grid.action_original),
            *column_commands(grid),
        ]
        for title, help_text, callback in commands:
            yield SystemCommand(title, help_text, callback)


class Finding:
    """One find in progress: what, in which result, from where, which way."""

    def __init__(self, search: Search, query_id: str, start: int, direction: str) -> None:
        self.search = search
        self.query_id = query_id
        self.start = start
        self.direction = direction
