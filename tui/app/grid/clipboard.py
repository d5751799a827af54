"""Copying to the terminal's clipboard (OSC 52), or saying why not."""

from __future__ import annotations

from textual.widget import Widget

from tui.app.grid.cells import COPY_LIMIT


def copy_or_refuse(widget: Widget, text: str) -> bool:
    """Put ``text`` on the terminal's clipboard, or say it is too large for it."""
    if len(text) > COPY_LIMIT:
        widget.notify(
            f"Too large to copy: {len(text):,} characters (the terminal's clipboard takes up to "
            f"{COPY_LIMIT:,}). e exports the result to a file.",
            title="Not copied",
            severity="warning",
            timeout=6,
        )
        return False
    widget.app.copy_to_clipboard(text)
    return True
