"""The query service: FastAPI routes, auth, errors, and the runner that materialises results.

Import :func:`create_app` to build it; ``folio serve`` runs it under uvicorn.
"""

from tui.server.app import create_app
from tui.server.auth import Keyring, Principal
from tui.server.settings import ServiceSettings

__all__ = ["Keyring", "Principal", "ServiceSettings", "create_app"]
