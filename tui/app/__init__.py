"""folio's terminal app (Textual). Everything it knows about data comes through the client.

``FolioApp`` is imported on first use: ``folio`` starts its local service through
:mod:`tui.app.connect` before Textual is imported, so that the two start side by side.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tui.app.app import FolioApp

__all__ = ["FolioApp"]


def __getattr__(name: str) -> Any:
    if name == "FolioApp":
        from tui.app.app import FolioApp

        return FolioApp
    raise AttributeError(f"module 'tui.app' has no attribute {name!r}")
