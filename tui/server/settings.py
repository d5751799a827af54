"""Service settings: defaults from the Rockset docs, overridable by flags and environment.

Every field can be set by an environment variable ``FOLIO_<FIELD>`` (upper case), e.g.
``FOLIO_EXPIRY_S=3600``; ``folio serve`` flags win over the environment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path


def default_store_dir() -> Path:
    root = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(root) / "folio" / "store"


@dataclass
class ServiceSettings:
    #: where results and the registry live
    store_dir: Path = field(default_factory=default_store_dir)
    #: results expire this long after the query finished (Rockset: 24 h)
    expiry_s: float = 24 * 3600
    #: default and maximum run time of a synchronous query (Rockset: 2 min)
    sync_timeout_s: float = 120
    #: default and maximum run time of an asynchronous query (Rockset: 30 min)
    async_timeout_s: float = 30 * 60
    #: how long a page request past the stored rows of a running query waits for more
    page_wait_s: float = 2.0
    #: how long an async POST waits for the statement to be accepted (so syntax errors are
    #: answered at once rather than discovered by polling)
    start_wait_s: float = 2.0
    #: total bytes of stored results; None means no quota beyond the disk's free space
    quota_bytes: int | None = None
    #: disk for the JSON of chunks read at random (tui.store.rendered): a cache that
    #: counts against the quota and is the first thing given back when room is short
    rendered_cache_bytes: int = 1024 * 1024 * 1024
    #: chunks kept memory-mapped for pages (tui.store.resultset): a page read from a mapped
    #: chunk costs 0.3 ms less than one that maps it, and its touched pages count in the
    #: service's RSS while it stays mapped; a service for one user (the app's) needs far less
    mapped_chunk_bytes: int = 64 * 1024 * 1024
    #: refuse new results when the disk has less than this free
    min_free_bytes: int = 256 * 1024 * 1024
    #: queries executing at once (others wait as QUEUED)
    max_concurrent_queries: int = 4
    #: queries queued or running per org before new ones get 429
    max_running_per_org: int = 32
    #: how often the expiry sweeper runs
    sweep_interval_s: float = 60
    #: largest request body accepted
    max_body_bytes: int = 2 * 1024 * 1024
    #: the JSON documents of one page take at most this many bytes (Arrow pages: their
    #: columns); a page that would take more carries fewer rows, at least one, and its
    #: cursor continues from there (tui.store.pagebytes)
    page_max_bytes: int = 16 * 1024 * 1024
    #: longest SQL text accepted
    max_sql_bytes: int = 1024 * 1024
    #: rows per stored chunk (None: the store's default)
    chunk_rows: int | None = None
    #: memory DuckDB may use for queries over stored results (``result('<id>')``, profile,
    #: frequency) before it spills to ``<store_dir>/spill``
    derived_memory_limit: str = "1GB"
    #: rows one find request scans at most before it answers how far it got
    find_scan_rows: int = 2_000_000
    #: answer pages of rendered results without FastAPI (tui.server.fastpath); off only to
    #: compare the two paths
    page_fast_path: bool = True
    #: failed authentications in a row from one address before it must wait (tui.server.throttle)
    auth_backoff_after: int = 10
    #: longest wait imposed on an address that keeps failing to authenticate
    auth_backoff_max_s: float = 300.0
    #: connections open at once under ``folio serve`` (0: from the file-descriptor limit;
    #: tui.server.guard)
    max_connections: int = 0
    #: time for a request's line and headers to arrive whole
    header_timeout_s: float = 10.0
    #: largest request line and headers accepted (431 beyond)
    max_header_bytes: int = 32 * 1024
    #: how long the source's catalog (workspaces, collections, functions) is served from
    #: memory before the engine is asked again
    catalog_ttl_s: float = 5.0
    #: keep a log of requests on ``app.state.request_log`` (tests use it)
    record_requests: bool = False
    #: ``postgresql://…``: the shared registry of a cluster of replicas (with ``results``);
    #: None: the embedded SQLite registry in ``store_dir``
    registry: str | None = None
    #: ``s3://bucket/prefix``: where a cluster's results live (with ``registry``; endpoint and
    #: credentials from AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION)
    results: str | None = None
    #: a cluster replica that has not renewed a query's lease for this long has stopped: any
    #: replica then fails the query
    lease_s: float = 5.0
    #: a cluster replica reloads the registry's API keys this often: a key added or revoked on
    #: one replica is admitted or refused by the others within it
    keys_refresh_s: float = 2.0
    #: a cluster replica's local cache of result chunks (``store_dir`` holds it)
    local_cache_bytes: int = 2 * 1024 * 1024 * 1024

    @property
    def clustered(self) -> bool:
        return bool(self.registry or self.results)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides) -> ServiceSettings:
        env = os.environ if env is None else env
        values: dict = {}
        for f in fields(cls):
            raw = env.get(f"FOLIO_{f.name.upper()}")
            if raw is None or raw == "":
                continue
            values[f.name] = _parse(f.name, f.type, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def _parse(name: str, type_: object, raw: str):
    kind = str(type_)
    try:
        if "Path" in kind:
            return Path(raw).expanduser()
        if "bool" in kind:
            return raw.strip().lower() in ("1", "true", "yes", "on")
        if "int" in kind:
            return int(raw)
        if "float" in kind:
            return float(raw)
    except ValueError:
        raise ValueError(f"FOLIO_{name.upper()}={raw!r} is not a valid {kind}") from None
    return raw
