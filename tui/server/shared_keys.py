"""API keys shared by the replicas of a cluster, through the PostgreSQL registry.

A replica publishes the keys it was started with (``--api-key``, ``FOLIO_API_KEYS``,
``--keys-file``) to the registry's ``folio_keys`` table, as digests, and from then on admits
exactly the registry's unrevoked keys: the :class:`~tui.server.auth.Keyring` that the routes and
the page fast path look keys up in is replaced with the registry's set every
``keys_refresh_s``. A lookup stays a dictionary read in memory, never a database round trip;
a key added on one replica works on the others, and a revoked one stops working on all of
them (its own replica included), within the refresh interval.

If the registry cannot be reached, a replica keeps the last set it read (it cannot tell a
revocation from an outage, and refusing every key would turn a database blip into an outage of
the service); it logs the failure and tries again next round.
"""

from __future__ import annotations

import asyncio
import logging

from tui.server.auth import Keyring, Principal
from tui.store.pg_registry import PgRegistry

log = logging.getLogger("folio.keys")


class SharedKeys:
    def __init__(self, keyring: Keyring, registry: PgRegistry, *, refresh_s: float):
        self.keyring = keyring
        self.registry = registry
        self.refresh_s = max(refresh_s, 0.1)  # bounded: never a busy loop on the registry

    def publish(self) -> None:
        """Add this replica's own keys to the registry, then admit the registry's keys."""
        local = {d: (p.org, p.user) for d, p in self.keyring.entries().items()}
        for revoked in self.registry.publish_keys(local):
            log.warning("an API key given to this replica was revoked in the registry: refused (%s…)", revoked[:12])
        self.refresh()

    def refresh(self) -> None:
        keys = self.registry.keys()
        self.keyring.replace({d: Principal(org, user) for d, (org, user, _) in keys.items()})

    async def refresh_forever(self) -> None:
        while True:
            await asyncio.sleep(self.refresh_s)
            try:
                await asyncio.to_thread(self.refresh)
            except Exception:  # the registry is unreachable: keep the last keys, retry next round
                log.exception("reloading the API keys from the registry failed")
