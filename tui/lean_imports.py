"""Keep a process from importing packages it never uses.

Libraries folio uses import optional packages eagerly whenever they happen to be installed:

* pyarrow imports numpy as it loads (≈17 MiB), and pandas the first time it converts Python
  values or opens a dataset, which a derived result does (≈45 MiB, ≈1 s). Both are in the
  environment only for the Spark Connect client (the ``spark`` extra); pyarrow treats them as
  optional and works without them;
* httpx imports its command-line tool, and with it click, pygments and more of rich (≈3–6 MiB),
  when they are installed (uvicorn brings click, rich brings pygments); folio never runs it.

So a service whose source is not Spark, and the app, make those imports fail as if the packages
were not installed. (The page and chunk paths build their Arrow literals without pyarrow's pandas
check anyway, ``tui.store.literals``.)
"""

from __future__ import annotations

import sys
from typing import Any

#: what a Spark Connect source needs (its client converts through pandas)
DATAFRAMES = ("numpy", "pandas")
#: httpx's command-line tool (``httpx/__init__.py`` imports it in a ``try``)
HTTPX_CLI = ("httpx._main",)


class _KeptOut:
    """A meta path finder refusing ``names`` (and their submodules)."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = names

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name.split(".")[0] in self.names or name in self.names:
            raise ModuleNotFoundError(f"No module named {name!r} (folio does not use it here)", name=name)


def keep_out(*names: str) -> None:
    """Make importing ``names`` fail from now on (once per name: calling again adds nothing)."""
    kept = {n for f in sys.meta_path if isinstance(f, _KeptOut) for n in f.names}
    todo = tuple(n for n in names if n not in kept and n not in sys.modules)
    if todo:
        sys.meta_path.insert(0, _KeptOut(todo))


def keep_service_lean(source: str | None) -> None:
    """Call first thing in a service's process (or an app hosting its service), with its source."""
    if not (source or "").startswith("sc://"):
        keep_out(*DATAFRAMES)
    keep_out(*HTTPX_CLI)
