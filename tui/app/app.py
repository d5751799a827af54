"""``FolioApp``: the SQL editor, the results grid and the queries sidebar over one data source.

The app reaches data only through a :class:`~tui.app.source.DataSource` (the client). It gets
one either ready-made (tests that already run the service) or as an async context manager
factory (``connect``), which a long-lived worker enters and leaves in the same task, so the
embedded service starts and stops inside the app's own event loop.

Every call to the source happens in a worker; workers post messages from
:mod:`tui.app.messages`, and only handlers touch widgets: the ones below, and those of the
app's base classes, one concern each (stored queries, export, exploring, query lambdas).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from pathlib import Path
from typing import Any

from textual import events, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import ProgressBar, Static

from tui.app.clock import Clock, system_clock
from tui.app.collector import thaw
from tui.app.current import CurrentQuery
from tui.app.editor import QueryEditor
from tui.app.editor.completion_popup import CatalogWanted
from tui.app.editor.params import ParamsScreen, parse_value
from tui.app.editor.statements import Statement, error_position, parameters
from tui.app.export_actions import ExportActions
from tui.app.footer import KeysFooter
from tui.app.grid.grid import MAX_PAGES, PAGE_SIZE
from tui.app.lambdas import LambdaActions
from tui.app.messages import (
    QueryFailed,
    QueryProgress,
    QueryStarted,
    QueryWatchFailed,
    RerunRequested,
    RunRequested,
)
from tui.app.problems import Problem, describe, query_problem
from tui.app.sidebar import QueriesSidebar
from tui.app.sidebar.catalog import CatalogLoaded, NameInsertRequested
from tui.app.sidebar.entries import short_id
from tui.app.source import (
    FINAL_STATES,
    RUNNING_STATES,
    DataSource,
    QueryRows,
    info_error,
    info_rows,
    status_name,
    to_row_page,
)
from tui.app.source_actions import SourceActions
from tui.app.state import UserState
from tui.app.stored_queries import StoredQueryActions
from tui.app.views.actions import ExploreActions
from tui.app.views.grid import ExploreGrid
from tui.humanize import format_duration

#: How long a run waits for the query to finish before answering "running" (a small query
#: then arrives complete, with its first page, in one round trip; a big one shows its first
#: rows as soon as they exist through a page request).
RUN_WAIT_MS = 50
#: A terminal with fewer rows than this gets a one-line editor, so the grid still shows rows.
SHORT_TERMINAL_ROWS = 16
#: How often a running query's progress is polled.
WATCH_EVERY_S = 0.4

Connect = Callable[[], AbstractAsyncContextManager[DataSource]]


class FolioApp(SourceActions, StoredQueryActions, ExportActions, ExploreActions, LambdaActions):
    """Editor on top, results below, stored queries on the right."""

    CSS_PATH = "folio.tcss"
    TITLE = "folio"

    BINDINGS = [
        Binding("f1", "help", "Help"),
        # not a priority binding: the editor (and any input) takes ? as a character first, so
        # ? is help everywhere but where text is typed; F1 is help there too
        Binding("question_mark", "help", "Help", show=False),
        Binding("ctrl+b,f9", "toggle_sidebar", "Queries"),
        Binding("f2", "focus_editor", "Editor", show=False),
        Binding("f3", "focus_grid", "Results", show=False),
        Binding("f4", "focus_sidebar", "Queries list", show=False),
        # priority: the editor's own F6 selects the line
        Binding("f6", "focus_catalog", "Catalog", show=False, priority=True),
        # priority: the editor binds F7 to "select all"; while a query runs, F7 cancels it
        # (check_action lets the key through to the editor otherwise)
        Binding("f7", "cancel_query", "Cancel query", priority=True),
        Binding("ctrl+q", "quit", "Quit"),
    ]

    def __init__(
        self,
        source: DataSource | None = None,
        *,
        connect: Connect | None = None,
        clock: Clock = system_clock,
        state_dir: Path | None = None,
        sql: str | None = None,
        where: str = "",
        poll: bool | None = None,
        sidebar: bool | None = None,
        page_size: int = PAGE_SIZE,
        max_pages: int = MAX_PAGES,
        export_dir: Path | None = None,
    ) -> None:
        super().__init__()
        self.source: DataSource | None = source
        self._connect = connect
        self.clock = clock
        self.user_state = UserState(state_dir)
        self._initial_sql = sql
        self.where = where
        #: poll the server on timers (off in headless runs unless asked: tests drive it)
        self._poll = poll
        self._sidebar_shown = sidebar
        self.page_size = page_size
        self.max_pages = max_pages
        self.export_dir = export_dir or Path.cwd()
        self.current: CurrentQuery | None = None
        self._can_cancel = False
        self._pending_run: RunRequested | None = None
        self._save_timer: Timer | None = None
        self._status_shown: tuple[str, str] = ("", "")
        self.history: list[str] = self.user_state.load_history()
        self.parameter_values: dict[str, str] = self.user_state.load_parameters()
        self.connection_problem: Problem | None = None
        self._release_source = asyncio.Event()
        #: the query whose "re-run?" question is on screen (asked once, however many pages fail)
        self._rerun_offered: str | None = None

    # ------------------------------------------------------------------------------------------
    # Layout

    def compose(self) -> ComposeResult:
        text = self._initial_sql if self._initial_sql is not None else (self.user_state.load_buffer() or "")
        # Kept as attributes: handlers run while a dialog is the active screen, where
        # ``query_one`` would look in the dialog instead.
        self.editor = QueryEditor(text, id="editor")
        # the status line shows servers' messages, which may hold "[...]": never markup
        self.status_line = Static("", id="status", markup=False)
        self.export_bar = ProgressBar(id="export-progress", show_eta=False)
        self.grid = ExploreGrid(id="grid", page_size=self.page_size, max_pages=self.max_pages, clock=self.clock)
        self.sidebar = QueriesSidebar(id="sidebar", clock=self.clock)
        with Horizontal(id="body"):
            with Vertical(id="main"):
                yield self.editor
                yield self.status_line
                yield self.export_bar
                yield self.grid
            yield self.sidebar
        yield KeysFooter()

    @property
    def polling(self) -> bool:
        return (not self.is_headless) if self._poll is None else self._poll

    def on_mount(self) -> None:
        editor = self.editor
        editor.border_title = "SQL" + (f" · {self.where}" if self.where else "")
        editor.border_subtitle = "ctrl+enter / ctrl+j / F5 run"
        editor.focus()
        # after the first layout: a cursor moved in a 0-wide editor scrolls it sideways
        self.call_after_refresh(self._cursor_to_end)
        shown = self._sidebar_shown if self._sidebar_shown is not None else self.size.width >= 110
        self.sidebar.set_class(not shown, "-hidden")
        self.set_class(self.size.height < SHORT_TERMINAL_ROWS, "-short")
        if self.source is None and self._connect is not None:
            self._update_status("connecting…")
            self._hold_source()
        else:
            self._source_ready()

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.height < SHORT_TERMINAL_ROWS, "-short")

    def _cursor_to_end(self) -> None:
        if self.editor.cursor_location == (0, 0):
            self.editor.move_cursor(self.editor.document.end)

    async def action_quit(self) -> None:
        self._save_buffer()
        self._release_source.set()
        self.exit()

    def on_unmount(self) -> None:
        self._save_buffer()
        thaw()

    def _save_buffer(self) -> None:
        try:
            self.user_state.save_buffer(self.editor.text)
        except Exception:  # the screen may already be gone
            pass

    def on_text_area_changed(self, event: QueryEditor.Changed) -> None:
        # Saved half a second after the last edit (and on quit): survives a killed terminal
        # without writing a file per keystroke.
        if self._save_timer is not None:
            self._save_timer.stop()
        self._save_timer = self.set_timer(0.5, self._save_buffer)

    # ------------------------------------------------------------------------------------------
    # Status line

    def _update_status(self, text: str | None = None) -> None:
        can_cancel = self.current is not None and self.current.status in RUNNING_STATES
        if can_cancel != self._can_cancel:
            # F7 (cancel) shows in the footer only while a query runs: only when that changes
            self._can_cancel = can_cancel
            self.refresh_bindings()
        if text is not None:
            self._set_status(text, "")
        else:
            self._set_status(self._status_text(), self._status_class())

    def _set_status(self, text: str, css_class: str) -> None:
        # One line of fixed height: no layout needed, and nothing at all if nothing changed.
        if (text, css_class) == self._status_shown:
            return
        self._status_shown = (text, css_class)
        status = self.status_line
        for name in ("-error", "-running", "-done"):
            status.set_class(name == css_class, name)
        status.update(text, layout=False)

    def _status_class(self) -> str:
        current = self.current
        if self.connection_problem is not None or (current is not None and current.problem is not None):
            return "-error"
        if current is None or current.status == "CANCELLED":
            return ""
        return "-running" if current.status in RUNNING_STATES else "-done"

    def _status_text(self) -> str:
        now = self.clock()
        current = self.current
        if self.connection_problem is not None:
            problem = self.connection_problem
            return f"✗ {problem.title}: {_first_line(problem.message)}"
        if current is None:
            where = f"{self.where} · " if self.where else ""
            return f"{where}ready · F1 help"
        qid = short_id(current.query_id)
        if current.problem is not None:
            problem = current.problem
            at = ""
            if problem.line is not None:
                at = f" at line {problem.line}" + (f", column {problem.column}" if problem.column is not None else "")
            return f"✗ {problem.title}{at}: {_first_line(problem.message)}"
        if current.status in RUNNING_STATES:
            elapsed = format_duration((now - current.started_at).total_seconds())
            rows = f" · {self.grid.known_rows:,}+ rows so far" if self.grid.known_rows else ""
            return f"▶ {current.status} {elapsed}{rows} · {qid} · F7 cancel"
        rows = current.rows if current.rows is not None else self.grid.row_count
        took, verb = current.took(), "re-opened" if current.reopened else current.status
        if current.status == "CANCELLED":
            return f"■ CANCELLED · {_rows(rows)} kept · {qid}"
        return f"✓ {verb}{took} · {_rows(rows)} · {qid}"

    def _show_problem(self, problem: Problem) -> None:
        self.notify(problem.message, title=problem.title, severity="error", timeout=8, markup=False)

    # ------------------------------------------------------------------------------------------
    # Running queries

    def on_run_requested(self, message: RunRequested) -> None:
        message.stop()
        if self.source is None:
            if self._connect is not None and self.connection_problem is None:
                # still starting the service: run it as soon as it is up
                self._pending_run = message
                self._update_status("connecting… the query runs as soon as the service is up")
            else:
                self.notify("Not connected.", severity="warning", timeout=3)
            return
        names = parameters(message.sql)
        if not names:
            self._start(message, None)
            return

        def submitted(values: dict[str, str] | None) -> None:
            if values is None:
                return
            self.parameter_values.update(values)
            self.user_state.save_parameters(self.parameter_values)
            self._start(message, {name: parse_value(values[name]) for name in names})

        self.push_screen(ParamsScreen(names, self.parameter_values), submitted)

    def _start(self, request: RunRequested, params: dict[str, Any] | None) -> None:
        self.history = self.user_state.add_history(self.history, request.sql)
        self.workers.cancel_group(self, "watch")
        self.current = None
        self._update_status("▶ submitting…")
        self.submit_query(request, params)

    @work(exclusive=True, group="query", exit_on_error=False)
    async def submit_query(self, request: RunRequested, params: dict[str, Any] | None) -> None:
        assert self.source is not None
        started = self.clock()
        try:
            result = await self.source.run(
                request.sql,
                parameters=params,
                initial_docs=self.page_size,
                async_=True,
                client_timeout_ms=RUN_WAIT_MS,
            )
        except Exception as error:
            self.post_message(QueryFailed(request, error))
        else:
            self.post_message(QueryStarted(request, result, started))

    def on_query_started(self, message: QueryStarted) -> None:
        result = message.result
        status = status_name(result.status) or "COMPLETED"
        self.connection_problem = None
        self.current = CurrentQuery(
            query_id=result.query_id,
            sql=message.request.sql,
            started_at=message.started_at,
            status=status,
            request=message.request,
            rows=result.total,
        )
        first = to_row_page(result) if (result.rows or result.total is not None) else None
        self.grid.open(
            QueryRows(self.source, result.query_id),  # type: ignore[arg-type]
            key=result.query_id,
            columns=[(c[0], c[1]) for c in result.columns],
            total=result.total,
            running=status in RUNNING_STATES,
            first=first,
        )
        if status in RUNNING_STATES or result.total is None:
            self.watch_query(result.query_id)
        else:
            self.current.elapsed_ms = int(result.elapsed_ms) if result.elapsed_ms else None
        self._update_status()
        self.refresh_queries()

    def on_query_failed(self, message: QueryFailed) -> None:
        self._fail(describe(message.error), message.request, query_id=getattr(message.error, "query_id", None))

    def _fail(self, problem: Problem, request: RunRequested | None, *, query_id: str | None = None) -> None:
        if problem.kind in ("unavailable", "unauthorized"):
            self.connection_problem = problem
        self.current = CurrentQuery(
            query_id=query_id or "",
            sql=request.sql if request else "",
            started_at=self.clock(),
            status="ERROR",
            request=request,
            problem=problem,
        )
        self.grid.clear(hint=f"{problem.title}\n\n{problem.message}")
        self._update_status()
        self._show_problem(problem)
        if problem.kind == "sql" and request is not None:
            statement = Statement(request.sql, request.line, request.column, 0, 0)
            position = error_position(statement, problem.line, problem.column)
            if position is not None:
                # say where the error is in the buffer the user sees, not in the statement sent
                line, column = position
                self.current.problem = replace(problem, line=line + 1, column=column + 1)
                self._update_status()
                self.editor.move_to(line, column)

    @work(exclusive=True, group="watch", exit_on_error=False)
    async def watch_query(self, query_id: str) -> None:
        """Follow a running query until it ends: its row count grows the grid, and its final
        state (total, error, cancel) is applied once."""
        assert self.source is not None
        delay = WATCH_EVERY_S
        while True:
            await asyncio.sleep(delay)
            try:
                info = await self.source.info(query_id)
            except Exception as error:
                self.post_message(QueryWatchFailed(query_id, error))
                delay = min(delay * 2, 5.0)
                continue
            delay = WATCH_EVERY_S
            self.post_message(QueryProgress(query_id, info))
            if status_name(info.status) in FINAL_STATES:
                return

    def on_query_progress(self, message: QueryProgress) -> None:
        current = self.current
        if current is None or current.query_id != message.query_id:
            return
        self.connection_problem = None
        info = message.info
        status = status_name(info.status)
        current.status = status
        rows = info_rows(info)
        stats = getattr(info, "stats", None)
        if status == "COMPLETED":
            current.rows = rows if rows is not None else self.grid.row_count
            current.elapsed_ms = getattr(stats, "elapsed_time_ms", None)
            self.grid.finish(current.rows)
        elif status == "ERROR":
            error = info_error(info)
            problem = query_problem(error)
            self._fail(problem, current.request, query_id=current.query_id)
            return
        elif status == "CANCELLED":
            current.rows = self.grid.known_rows
            self.grid.stop()
        elif rows:
            self.grid.grow(rows)
        self._update_status()
        if status in FINAL_STATES:
            self.refresh_queries()

    def on_query_watch_failed(self, message: QueryWatchFailed) -> None:
        problem = describe(message.error)
        if problem.kind in ("unavailable", "unauthorized", "timeout"):
            self.connection_problem = problem
            self._update_status()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_query":
            return self.current is not None and self.current.status in RUNNING_STATES
        return True

    def action_cancel_query(self) -> None:
        current = self.current
        if current is None or current.status not in RUNNING_STATES:
            self.notify("No query is running.", timeout=2)
            return
        self.drop_query(current.query_id)

    def _offer_rerun(self, query_id: str, sql: str, message: str) -> None:
        from tui.app.confirm import ConfirmScreen

        self.grid.clear(hint=f"The result of {short_id(query_id)} expired.\n\n{message}")
        if self.current is not None and self.current.query_id == query_id:
            self.current.problem = Problem("expired", message)
        self._update_status()
        self.sidebar.mark_expired(query_id)
        if not sql or self._rerun_offered == query_id:
            return
        self._rerun_offered = query_id

        def answer(yes: bool | None) -> None:
            self._rerun_offered = None
            if yes:
                self.post_message(RerunRequested(sql))

        self.push_screen(
            ConfirmScreen(
                "Result expired", f"The result of {short_id(query_id)} expired.\nRun its SQL again?", yes="Re-run"
            ),
            answer,
        )

    # ------------------------------------------------------------------------------------------
    # History, help, focus, sidebar

    def action_history(self) -> None:
        from tui.app.editor.history import HistoryScreen

        def recalled(sql: str | None) -> None:
            if sql:
                self.editor.append_statement(sql)

        self.push_screen(HistoryScreen(self.history), recalled)

    def action_help(self) -> None:
        from tui.app.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_toggle_sidebar(self) -> None:
        sidebar = self.sidebar
        hidden = not sidebar.has_class("-hidden")
        sidebar.set_class(hidden, "-hidden")
        if not hidden:
            self.refresh_queries()
            sidebar.query_one("#queries-list").focus()
        elif sidebar.has_focus_within:
            self.grid.focus()

    def on_catalog_loaded(self, message: CatalogLoaded) -> None:
        self.editor.completion.set_index(message.index)

    def on_catalog_wanted(self, message: CatalogWanted) -> None:
        self.sidebar.catalog.want()

    def on_name_insert_requested(self, message: NameInsertRequested) -> None:
        self.editor.insert_name(message.text)

    def action_focus_catalog(self) -> None:
        self.sidebar.set_class(False, "-hidden")
        self.sidebar.catalog.reveal()

    def action_focus_editor(self) -> None:
        self.editor.focus()

    def action_focus_grid(self) -> None:
        self.grid.focus()

    def action_focus_sidebar(self) -> None:
        self.sidebar.set_class(False, "-hidden")
        self.sidebar.query_one("#queries-list").focus()

    def get_system_commands(self, screen: Screen):  # type: ignore[no-untyped-def]
        yield from super().get_system_commands(screen)
        yield SystemCommand("Run statement", "Run the statement under the cursor", self.editor.action_run)
        yield SystemCommand("Cancel query", "Cancel the running query", self.action_cancel_query)
        yield SystemCommand("Toggle queries sidebar", "Show or hide stored queries", self.action_toggle_sidebar)
        yield SystemCommand("Refresh queries", "Ask the server for its stored queries now", self.refresh_queries)
        yield SystemCommand("Go to row", "Jump to a row of the result", self.grid.action_go_to_row)
        yield SystemCommand("Export result", "Write the whole result to a file", self.grid.action_export)
        yield SystemCommand("History", "Recall an earlier statement", self.action_history)
        yield SystemCommand("Keys", "Show every key", self.action_help)

    # ------------------------------------------------------------------------------------------
    # Tests and scripts

    async def settled(self, timeout: float = 30.0) -> None:
        """Wait until no query, page, list or export work is in flight (``watch`` and the
        service holder run for long and are not waited for)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        busy_groups = {"query", "pages", "list", "drop", "export", "find", "expression"}
        while True:
            workers = [w for w in self.workers if w.group in busy_groups and not w.is_finished]
            if not workers and self.source is not None:
                await asyncio.sleep(0.05)
                if not [w for w in self.workers if w.group in busy_groups and not w.is_finished]:
                    return
            if loop.time() > deadline:
                raise TimeoutError(f"still busy: {[w.name for w in workers]}")
            await asyncio.sleep(0.02)


def _rows(count: int) -> str:
    return f"{count:,} row" if count == 1 else f"{count:,} rows"


def _first_line(text: str) -> str:
    return text.strip().split("\n", 1)[0]
