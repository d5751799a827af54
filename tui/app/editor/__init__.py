"""The SQL editor, its parameter form and its history."""

from tui.app.editor.editor import QueryEditor

__all__ = ["QueryEditor"]
