"""Telling the other replicas at once that a query's row is gone or changed.

Each replica keeps finished rows of the registry for a moment (:class:`~tui.store.pg_registry.PgRegistry`
caches them so paging stays off the database), and until then another replica's drop was not
seen: a dropped result could still be paged from a replica that had just served it. The replica
that deletes or changes a row now says so with PostgreSQL's ``NOTIFY`` in the same transaction,
and every replica's :class:`Forgetter` (one connection that ``LISTEN``\\ s) drops its copy as soon
as the change commits. The cache's own short lifetime stays as the fallback for the moments the
listener is reconnecting.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import psycopg

log = logging.getLogger("folio.registry")

#: the channel every replica listens on; a notification's payload is a query id
CHANNEL = "folio_forget"
#: how long the listener waits for a notification before it looks whether it should stop
_POLL_S = 0.25
#: how long it waits before connecting again after losing its connection
_RECONNECT_S = 1.0


def notify(conn: psycopg.Connection, query_id: str) -> None:
    """Tell every replica to forget ``query_id`` (delivered when ``conn``'s transaction commits)."""
    conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, query_id))


class Forgetter:
    """A daemon thread that calls ``forget(query_id)`` for every notification on :data:`CHANNEL`."""

    def __init__(self, dsn: str, forget: Callable[[str], None], *, connect_timeout_s: float = 15.0) -> None:
        self._dsn = dsn
        self._forget = forget
        self._connect_timeout_s = connect_timeout_s
        self._stopping = threading.Event()
        #: set once it listens (notifications sent before are not seen: the cache's lifetime covers them)
        self.listening = threading.Event()
        self._thread = threading.Thread(target=self._run, name="folio-registry-forget", daemon=True)

    def start(self, wait_s: float = 5.0) -> Forgetter:
        self._thread.start()
        self.listening.wait(wait_s)
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=_POLL_S * 4)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                with psycopg.connect(
                    self._dsn, autocommit=True, connect_timeout=max(1, int(self._connect_timeout_s))
                ) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.listening.set()
                    while not self._stopping.is_set():
                        for note in conn.notifies(timeout=_POLL_S):
                            self._forget(note.payload)
            except psycopg.Error as exc:
                self.listening.clear()
                if not self._stopping.is_set():
                    log.warning("the registry's change listener lost its connection (%s); connecting again", exc)
                    self._stopping.wait(_RECONNECT_S)
