"""Messages between folio's widgets, its workers and the app.

Workers never touch widgets: they post one of these and a handler on the event loop applies it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from textual.message import Message

if TYPE_CHECKING:
    from tui.app.grid.pages import RowPage


# --- the grid's page workers ------------------------------------------------------------------


@dataclass
class PageLoaded(Message):
    """A page the grid asked for arrived. ``generation`` tells a stale answer (a result the
    grid no longer shows) from a current one."""

    generation: int
    index: int
    page: RowPage
    elapsed_ms: float


@dataclass
class PageFailed(Message):
    generation: int
    index: int
    error: BaseException


# --- sidebar tabs → sidebar --------------------------------------------------------------------


@dataclass
class PaneCounted(Message):
    """A sidebar tab counted what it holds; the sidebar's title gives the count of the tab in view."""

    tab: str
    count: int


# --- grid → app -------------------------------------------------------------------------------


@dataclass
class GridProblem(Message):
    """A page could not be fetched for a reason the user should see (server down, expired…)."""

    key: str
    error: BaseException


@dataclass
class GridRecovered(Message):
    """A page arrived after pages had failed: the server answers again."""

    key: str


@dataclass
class ExportRequested(Message):
    key: str


# --- editor → app -----------------------------------------------------------------------------


@dataclass
class RunRequested(Message):
    """Run ``sql``. ``line`` and ``column`` are where the statement starts in the editor, so an
    error position reported for the statement can be moved back onto the buffer."""

    sql: str
    line: int = 0
    column: int = 0


# --- sidebar → app ----------------------------------------------------------------------------


@dataclass
class QueriesListed(Message):
    queries: list[Any]


@dataclass
class QueriesListFailed(Message):
    error: BaseException


@dataclass
class ReopenRequested(Message):
    """Show a stored result in the grid without running its query again."""

    query_id: str


@dataclass
class DropRequested(Message):
    """Cancel a running query or drop a finished result (already confirmed by the user)."""

    query_id: str


@dataclass
class RerunRequested(Message):
    """Run the SQL of a query whose result expired."""

    sql: str


# --- the app's own workers --------------------------------------------------------------------


@dataclass
class SourceReady(Message):
    """The data source (client over the embedded or remote service) is connected."""

    source: Any
    where: str = ""
    #: what the user should know about it (another folio holds the result store…)
    notice: str = ""

    @classmethod
    def of(cls, source: Any, connect: Any) -> SourceReady:
        """``source`` as ``connect`` (a connection factory) made it, with what it says of it."""
        return cls(source, getattr(connect, "where", ""), getattr(connect, "notice", ""))


@dataclass
class SourceFailed(Message):
    error: BaseException


@dataclass
class QueryStarted(Message):
    request: RunRequested
    result: Any
    started_at: Any


@dataclass
class QueryFailed(Message):
    request: RunRequested
    error: BaseException


@dataclass
class QueryProgress(Message):
    query_id: str
    info: Any


@dataclass
class QueryWatchFailed(Message):
    query_id: str
    error: BaseException


@dataclass
class Reopened(Message):
    info: Any
    #: when the re-open was asked for (the app's clock), to report the re-open's own time
    asked_at: datetime | None = None
    #: the stored results a re-opened filter or sort was derived from, its parent first
    ancestors: tuple[Any, ...] = ()


@dataclass
class ReopenFailed(Message):
    query_id: str
    error: BaseException


@dataclass
class Dropped(Message):
    query_id: str
    info: Any


@dataclass
class DropFailed(Message):
    query_id: str
    error: BaseException


@dataclass
class ExportProgress(Message):
    rows: int
    total: int | None


@dataclass
class ExportDone(Message):
    path: str
    rows: int
    seconds: float


@dataclass
class ExportFailed(Message):
    error: BaseException
