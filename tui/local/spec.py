"""What a local service serves, and the key that tells two services apart.

Two launches that would build the same service (same source, same sandbox, same tuning, same
environment, same code) share one; anything else gets a service of its own. The key is a digest,
so a DSN with a password never appears in a file name.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class ServiceSpec:
    """The source and sandbox of an embedded service (the app's ``Connection`` in data form).

    ``source`` is ``None`` for the default in-memory DuckDB; ``demo_path`` is set for
    ``folio --demo``. ``cwd`` is where the app was started: the in-memory DuckDB reads files by
    path, and a relative path means what it meant in the user's shell.
    """

    source: str | None = None
    demo_path: str | None = None
    allow_writes: bool = False
    allow_dirs: tuple[str, ...] = ()
    duckdb: Mapping[str, Any] = field(default_factory=dict)
    cwd: str = ""

    def to_json(self) -> str:
        data = asdict(self)
        data["allow_dirs"] = list(self.allow_dirs)
        data["duckdb"] = dict(self.duckdb)
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ServiceSpec:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("a service spec is a JSON object")
        data["allow_dirs"] = tuple(data.get("allow_dirs") or ())
        return cls(**data)

    def describe(self) -> str:
        """What the app shows as where it is connected."""
        if self.demo_path:
            return "demo _events"
        return f"embedded {self.source}" if self.source else "embedded DuckDB"

    def open_engine(self) -> Any:
        """The engine this spec describes (imports the engines: call it where that is fine)."""
        allow_dirs = [Path(d) for d in self.allow_dirs]
        if self.demo_path:
            from tui.engines.duckdb import DuckDBEngine

            return DuckDBEngine(self.demo_path, allow_dirs=allow_dirs, **self.duckdb)
        from tui.engines import open_engine

        return open_engine(
            self.source, allow_writes=self.allow_writes, allow_dirs=allow_dirs, duckdb_config=dict(self.duckdb)
        )

    def key(self, environ: Mapping[str, str] | None = None) -> str:
        """16 hex digits naming this service: the spec, the ``FOLIO_*`` environment (it tunes
        the service: page sizes, quotas, the store) and a fingerprint of the code, so an edited
        or upgraded folio never talks to a service running older code."""
        environ = os.environ if environ is None else environ
        settings = sorted((k, v) for k, v in environ.items() if k.startswith("FOLIO_") and k not in _NOT_SERVICE_VARS)
        digest = hashlib.sha256()
        for part in (self.to_json(), json.dumps(settings), code_fingerprint()):
            digest.update(part.encode())
            digest.update(b"\0")
        return digest.hexdigest()[:16]


#: variables that only the app reads: a different value must not start another service
_NOT_SERVICE_VARS = frozenset({"FOLIO_STATE_DIR", "FOLIO_SERVICE", "FOLIO_RUNTIME_DIR"})

_fingerprint: str | None = None


def code_fingerprint() -> str:
    """The interpreter, the package's place and version, and the newest modification time of its
    modules (one ``stat`` per module, ≈2 ms; done once per process)."""
    global _fingerprint
    if _fingerprint is None:
        import tui

        package = Path(tui.__file__).resolve().parent
        newest = 0
        for root, _dirs, files in os.walk(package):
            for name in files:
                if name.endswith(".py"):
                    newest = max(newest, os.stat(os.path.join(root, name)).st_mtime_ns)
        _fingerprint = f"{sys.executable}|{package}|{tui.__version__}|{newest}"
    return _fingerprint
