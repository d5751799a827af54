"""The stored queries of the sidebar: listing them, re-opening one's result, running its SQL
again, dropping one (or cancelling it while it runs).

:class:`StoredQueryActions` is a base class of :class:`~tui.app.app.FolioApp` holding only
these handlers, so the app module stays about the editor, the running query and the status
line. A re-open asks the exploring half (:class:`~tui.app.views.actions.ExploreActions`) for
its stack of views before it opens the grid, so a re-opened filter reads its rows as one.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from textual import work

from tui.app.current import CurrentQuery
from tui.app.messages import (
    DropFailed,
    Dropped,
    DropRequested,
    QueriesListed,
    QueriesListFailed,
    Reopened,
    ReopenFailed,
    ReopenRequested,
    RerunRequested,
    RunRequested,
)
from tui.app.problems import Problem, describe, query_problem
from tui.app.sidebar.entries import short_id
from tui.app.source import RUNNING_STATES, info_error, status_name
from tui.app.views.reopen import ancestors

if TYPE_CHECKING:
    from tui.app.editor import QueryEditor
    from tui.app.grid.pages import RowSource
    from tui.app.sidebar import QueriesSidebar
    from tui.app.views.grid import ExploreGrid
    from tui.app.views.stack import View


class StoredQueryActions:
    """The sidebar's stored queries (see the module's docstring)."""

    if TYPE_CHECKING:  # what this mixin uses of FolioApp
        grid: ExploreGrid
        sidebar: QueriesSidebar
        editor: QueryEditor
        source: Any
        current: CurrentQuery | None
        connection_problem: Problem | None

        def clock(self) -> datetime: ...
        def post_message(self, message: Any) -> bool: ...
        def notify(self, *args: Any, **kwargs: Any) -> None: ...
        def watch_query(self, query_id: str) -> Any: ...
        def _update_status(self, text: str | None = None) -> None: ...
        def _show_problem(self, problem: Problem) -> None: ...
        def _connected_again(self) -> None: ...
        def _offer_rerun(self, query_id: str, sql: str, message: str) -> None: ...
        def _reopen_views(self, message: Reopened) -> View: ...
        def _rows(self, view: View) -> RowSource: ...
        @property
        def workers(self) -> Any: ...

    @work(exclusive=True, group="list", exit_on_error=False)
    async def refresh_queries(self) -> None:
        if self.source is None:
            return
        try:
            queries = await self.source.list()
        except Exception as error:
            self.post_message(QueriesListFailed(error))
        else:
            self.post_message(QueriesListed(queries))

    def on_queries_listed(self, message: QueriesListed) -> None:
        self.sidebar.show(message.queries)
        self._connected_again()

    def on_queries_list_failed(self, message: QueriesListFailed) -> None:
        problem = describe(message.error)
        self.sidebar.show_offline(problem.title)
        if problem.kind in ("unavailable", "timeout", "unauthorized") and self.connection_problem is None:
            self.connection_problem = problem
            self._update_status()

    def on_reopen_requested(self, message: ReopenRequested) -> None:
        message.stop()
        self.reopen_query(message.query_id)

    @work(exclusive=True, group="query", exit_on_error=False)
    async def reopen_query(self, query_id: str) -> None:
        assert self.source is not None
        asked = self.clock()
        try:
            info = await self.source.info(query_id)
        except Exception as error:
            self.post_message(ReopenFailed(query_id, error))
        else:
            self.post_message(Reopened(info, asked, tuple(await ancestors(self.source, info))))

    def on_reopened(self, message: Reopened) -> None:
        info = message.info
        status = status_name(info.status)
        self.workers.cancel_group(self, "watch")
        query_id = str(info.query_id)
        # a filter or sort comes back over the views it was derived from (views/reopen.py)
        top = self._reopen_views(message)
        self.current = record = top.record
        if status == "ERROR":
            error = info_error(info)
            record.problem = replace(query_problem(error), line=None, column=None)
            self.grid.clear(hint=f"Query {short_id(query_id)} failed\n\n{record.problem.message}")
            self._update_status()
            return
        record.reopen_ms = (self.clock() - message.asked_at).total_seconds() * 1000 if message.asked_at else None
        self.grid.open(self._rows(top), key=query_id, total=record.rows, running=status in RUNNING_STATES)
        if status in RUNNING_STATES:
            self.watch_query(query_id)
        self._update_status()
        self.grid.focus()

    def on_reopen_failed(self, message: ReopenFailed) -> None:
        problem = describe(message.error)
        if problem.kind == "expired":
            entry = next((e for e in self.sidebar.entries if e.query_id == message.query_id), None)
            self._offer_rerun(message.query_id, entry.sql if entry else "", problem.message)
            return
        self._show_problem(problem)

    def on_rerun_requested(self, message: RerunRequested) -> None:
        message.stop()
        self.editor.append_statement(message.sql)
        self.post_message(RunRequested(message.sql, *self._last_statement_position()))

    def _last_statement_position(self) -> tuple[int, int]:
        statement = self.editor.current_statement()
        return (statement.line, statement.column) if statement else (0, 0)

    def on_drop_requested(self, message: DropRequested) -> None:
        message.stop()
        self.drop_query(message.query_id)

    @work(group="drop", exit_on_error=False)
    async def drop_query(self, query_id: str) -> None:
        assert self.source is not None
        try:
            info = await self.source.cancel(query_id)
        except Exception as error:
            self.post_message(DropFailed(query_id, error))
        else:
            self.post_message(Dropped(query_id, info))

    def on_dropped(self, message: Dropped) -> None:
        status = status_name(getattr(message.info, "status", None))
        current = self.current
        if current is not None and current.query_id == message.query_id:
            if current.status in RUNNING_STATES:
                current.status = "CANCELLED"
                current.rows = self.grid.known_rows
                self.grid.stop()
                self.workers.cancel_group(self, "watch")
            else:
                self.grid.clear(hint=f"The result of {short_id(message.query_id)} was dropped.")
                self.current = None
        verb = "Cancelled" if status == "CANCELLED" else "Dropped"
        self.notify(f"{verb} {short_id(message.query_id)}", timeout=3)
        self._update_status()
        self.refresh_queries()

    def on_drop_failed(self, message: DropFailed) -> None:
        self._show_problem(describe(message.error))
