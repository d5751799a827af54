"""Exporting a whole result to a file (``e`` in the grid, "Export result" in the palette): the
dialog, the export on a worker with its progress bar, and what the user is told at the end.

:class:`ExportActions` is a base class of :class:`~tui.app.app.FolioApp` holding only these
handlers, so the app module does not grow with them. The export itself is the client's
(:func:`tui.client.export.export_query`, imported when first used: most runs never export).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work

from tui.app.current import CurrentQuery
from tui.app.messages import ExportDone, ExportFailed, ExportProgress, ExportRequested
from tui.app.problems import describe
from tui.app.sidebar.entries import short_id
from tui.humanize import format_duration

if TYPE_CHECKING:
    from textual.widgets import ProgressBar

    from tui.app.views.grid import ExploreGrid


class ExportActions:
    """The export flow of the app (see the module's docstring)."""

    if TYPE_CHECKING:  # what this mixin uses of FolioApp
        grid: ExploreGrid
        export_bar: ProgressBar
        export_dir: Path
        source: Any
        current: CurrentQuery | None

        def post_message(self, message: Any) -> bool: ...
        def notify(self, *args: Any, **kwargs: Any) -> None: ...
        def push_screen(self, *args: Any, **kwargs: Any) -> Any: ...

    def on_export_requested(self, message: ExportRequested) -> None:
        from tui.app.grid.export import ExportScreen

        message.stop()
        if not message.key or self.current is None:
            return
        rows = f"{self.grid.row_count:,} rows" if not self.grid.running else f"{self.grid.known_rows:,}+ rows"
        default = str(self.export_dir / f"folio-{short_id(message.key)}.csv")

        def chosen(choice) -> None:  # type: ignore[no-untyped-def]
            if choice is not None:
                self.export_result(message.key, choice.path, choice.format, choice.columns)

        self.push_screen(ExportScreen(default, rows, *self.grid.shown_for_export()), chosen)

    @work(exclusive=True, group="export", exit_on_error=False)
    async def export_result(self, query_id: str, path: Path, fmt: str, columns: list[str] | None = None) -> None:
        from tui.client.export import export_query
        from tui.client.writers import ExportFormat

        def progress(rows: int, total: int | None) -> None:
            self.post_message(ExportProgress(rows, total))

        try:
            source: Any = self.source
            stats = await export_query(source, query_id, path, ExportFormat(fmt), progress=progress, columns=columns)
        except Exception as error:
            self.post_message(ExportFailed(error))
        else:
            self.post_message(ExportDone(str(stats.path), stats.rows, stats.seconds))

    def on_export_progress(self, message: ExportProgress) -> None:
        bar = self.export_bar
        bar.add_class("-active")
        bar.update(total=message.total, progress=message.rows)

    def on_export_done(self, message: ExportDone) -> None:
        self.export_bar.remove_class("-active")
        self.notify(
            f"Exported {message.rows:,} rows to {message.path} in {format_duration(message.seconds)}",
            timeout=6,
            markup=False,
        )

    def on_export_failed(self, message: ExportFailed) -> None:
        self.export_bar.remove_class("-active")
        problem = describe(message.error)
        self.notify(problem.message, title="Export failed", severity="error", timeout=8, markup=False)
