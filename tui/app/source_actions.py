"""The app's data source: holding it for the app's life, what the app does once it is ready or
could not be had, and the server going away and coming back while pages are fetched.

:class:`SourceActions` is a base class of :class:`~tui.app.app.FolioApp` holding only these
handlers, so the app module stays about the editor, the running query and the status line.
The source is entered and left in one worker task (:meth:`SourceActions._hold_source`): the
embedded service's lifespan and the client's connection pool must open and close in the same
task.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from textual import work

from tui.app.collector import freeze_long_lived
from tui.app.messages import GridProblem, GridRecovered, SourceFailed, SourceReady
from tui.app.problems import Problem, describe
from tui.app.source import RUNNING_STATES

if TYPE_CHECKING:
    from tui.app.current import CurrentQuery
    from tui.app.editor import QueryEditor
    from tui.app.messages import RunRequested
    from tui.app.sidebar import QueriesSidebar
    from tui.app.views.grid import ExploreGrid

#: How often the queries sidebar asks the server for its list.
LIST_EVERY_S = 3.0


class SourceActions:
    """The data source's life in the app (see the module's docstring)."""

    if TYPE_CHECKING:  # what this mixin uses of FolioApp
        source: Any
        where: str
        editor: QueryEditor
        grid: ExploreGrid
        sidebar: QueriesSidebar
        current: CurrentQuery | None
        connection_problem: Problem | None
        is_headless: bool
        polling: bool
        _connect: Any
        _release_source: asyncio.Event
        _pending_run: RunRequested | None

        def post_message(self, message: Any) -> bool: ...
        def notify(self, *args: Any, **kwargs: Any) -> None: ...
        def set_interval(self, *args: Any, **kwargs: Any) -> Any: ...
        def refresh_queries(self) -> Any: ...
        def _update_status(self, text: str | None = None) -> None: ...
        def _show_problem(self, problem: Problem) -> None: ...
        def _offer_rerun(self, query_id: str, sql: str, message: str) -> None: ...

    def _source_ready(self) -> None:
        if not self.is_headless:  # the imports are done: keep them out of full collections
            freeze_long_lived()
        self._update_status()
        self.sidebar.catalog.load(self.source)
        self.refresh_queries()
        if self.polling:
            self.set_interval(LIST_EVERY_S, self.refresh_queries)
            self.set_interval(1.0, self._tick)

    def _tick(self) -> None:
        self.sidebar.tick()
        if self.current and self.current.status in RUNNING_STATES:
            self._update_status()

    @work(group="service", exit_on_error=False)
    async def _hold_source(self) -> None:
        # Enter and leave the source's context (the embedded service's lifespan, the client's
        # connection pool) in this one task, which lives as long as the app.
        assert self._connect is not None
        try:
            async with self._connect() as source:
                self.post_message(SourceReady.of(source, self._connect))
                await self._release_source.wait()
        except asyncio.CancelledError:
            raise
        except Exception as error:
            self.post_message(SourceFailed(error))

    def on_source_ready(self, message: SourceReady) -> None:
        self.source = message.source
        if message.where and message.where != self.where:
            self.where = message.where
            self.editor.border_title = f"SQL · {self.where}"
        self._source_ready()
        if message.notice:
            self.notify(message.notice, severity="warning", timeout=12, markup=False)
        if self._pending_run is not None:
            pending, self._pending_run = self._pending_run, None
            self.post_message(pending)

    def on_source_failed(self, message: SourceFailed) -> None:
        problem = describe(message.error)
        self.connection_problem = problem
        self._update_status()
        self.notify(problem.message, title="Cannot start", severity="error", timeout=10, markup=False)

    def on_grid_problem(self, message: GridProblem) -> None:
        problem = describe(message.error)
        if problem.kind == "expired":
            sql = self.current.sql if self.current and self.current.query_id == message.key else ""
            self._offer_rerun(message.key, sql, problem.message)
            return
        if problem.kind in ("unavailable", "timeout", "unauthorized"):
            if self.connection_problem is None:
                self.connection_problem = problem
                self._update_status()
                self._show_problem(problem)
            return
        self._show_problem(problem)

    def on_grid_recovered(self, message: GridRecovered) -> None:
        self._connected_again()
        if self.sidebar.offline:
            self.refresh_queries()

    def _connected_again(self) -> None:
        """The server answers again: say so and let the grid retry what it could not fetch."""
        if self.connection_problem is None or self.connection_problem.kind not in ("unavailable", "timeout"):
            return
        self.connection_problem = None
        self._update_status()
        self.grid.retry_now()
        self.notify("Connected again.", timeout=3)
