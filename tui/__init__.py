"""folio: page through query results too large to hold.

The package is layered so each part imports only what it needs:
``tui.wire`` (the shared wire schema) ← ``tui.client`` (httpx) ← ``tui.app`` (Textual);
``tui.wire`` ← ``tui.server`` (FastAPI) → ``tui.store`` + ``tui.engines``.
"""

__version__ = "0.1.0"
