"""folio's terminal app (Textual). Everything it knows about data comes through the client."""

from tui.app.app import FolioApp

__all__ = ["FolioApp"]
