"""The per-user local service: what ``folio`` (the app) runs its embedded queries on.

The app does not host the query service in its own process. It asks for a service for its
source (:mod:`tui.local.launch`), which is either one already running for that source, started
by an earlier launch (found through the runtime directory, :mod:`tui.local.runtime`), or a new
background process (:mod:`tui.local.serve`) that the app starts before it imports Textual, so
the service's imports (FastAPI, DuckDB, Arrow) run on the other core while the editor paints.

Why a separate process: the app then imports only Textual and httpx (it is usable in a fraction
of a second and stays small); a later launch finds the service ready and runs its first query at
once; the page requests of a scrolling grid no longer share one event loop and one GIL with the
UI; and a query keeps running, and its result stays reachable, after the app quits. The service
exits by itself once it has been idle for a while (``FOLIO_SERVICE_IDLE_S``, default 15 min)
with no query running.

Nothing here imports the service: :mod:`tui.local.spec`, :mod:`tui.local.runtime` and
:mod:`tui.local.launch` are standard library only, so the app can use them before its first paint.
"""
