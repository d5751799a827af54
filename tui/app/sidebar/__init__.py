"""The queries sidebar."""

from tui.app.sidebar.sidebar import QueriesSidebar

__all__ = ["QueriesSidebar"]
