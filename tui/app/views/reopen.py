"""A re-opened filter or sort comes back as the view it was, over the views it was derived from.

Re-opened from the sidebar as a plain result, a filtered or sorted view showed ``folio_row``
(the row offsets ``result_rows()`` adds for "show this row in the original"), had no path and
no original to go back to. The service records only the parent's id (``derived_from``); the
app recognises the SQL it wrote itself (:func:`~tui.app.views.sql.parse_view_sql`), so it can
rebuild the chain up to the first result it did not write: the query the user ran.

A result in the chain that is no longer stored (dropped, expired) ends the chain there: the
views above it still hide their ``folio_row``, but have no original to show.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from tui.app.current import CurrentQuery
from tui.app.source import info_rows, parse_ts, status_name
from tui.app.views.sql import parse_view_sql
from tui.app.views.stack import View, ViewKind, root_label

#: the deepest chain of views rebuilt (a user stacks a handful; this only bounds the requests)
MAX_DEPTH = 16


class InfoSource(Protocol):
    async def info(self, query_id: str) -> Any: ...


async def ancestors(source: InfoSource, info: Any) -> list[Any]:
    """The stored results the view ``info`` was derived from, its parent first, up to the first
    one the app did not write (or that is gone)."""
    found: list[Any] = []
    seen = {str(info.query_id)}
    current = info
    while len(found) < MAX_DEPTH:
        shape = parse_view_sql(str(current.sql or ""))
        if shape is None or shape.parent in seen:
            break
        try:
            current = await source.info(shape.parent)
        except Exception:  # dropped, expired, or the service is away: start from what is known
            break
        found.append(current)
        seen.add(shape.parent)
    return found


def reopened_views(chain: list[Any], now: datetime) -> list[View]:
    """The view stack for ``chain``: the query's own result first, the re-opened view last."""
    views: list[View] = []
    for info in chain:
        query_id, sql = str(info.query_id), str(info.sql or "")
        shape = parse_view_sql(sql)
        parent = views[-1] if views else None
        if shape is None or (parent is not None and shape.parent != parent.query_id):
            views = [View(ViewKind.QUERY, root_label(sql, query_id), query_id=query_id, sql=sql)]
        else:
            views.append(
                View(
                    ViewKind(shape.kind),
                    shape.label,
                    query_id=query_id,
                    sql=sql,
                    numbered=True,
                    rows_of=parent.rows_for_derived if parent is not None else None,
                    parent=parent,
                )
            )
        views[-1].record = stored_record(info, now)
        views[-1].total = views[-1].record.rows
    return views


def stored_record(info: Any, now: datetime) -> CurrentQuery:
    """What the status line says of a stored result shown again without running it."""
    status = status_name(info.status)
    submitted = getattr(info, "submitted_at", None)
    started = parse_ts(submitted) if submitted else now
    record = CurrentQuery(str(info.query_id), str(info.sql or ""), started, status, reopened=True)
    record.rows = info_rows(info) if status in ("COMPLETED", "CANCELLED") else None
    record.elapsed_ms = getattr(getattr(info, "stats", None), "elapsed_time_ms", None)
    return record
