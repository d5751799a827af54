"""A service with no Spark source runs without pandas.

pandas is in the environment only for the Spark Connect client, but pyarrow imports it, when
present, the first time it converts Python values or opens a dataset (a derived result does):
≈45 MiB and ≈1 s that nothing else uses. pyarrow treats pandas as optional, so a service whose
source is not Spark makes ``import pandas`` fail, as if it were not installed. (The page and chunk
paths build their Arrow literals without pyarrow's pandas check anyway, ``tui.store.literals``,
so a service started some other way, or the in-process app, stays without pandas too until it
makes a derived result.)
"""

from __future__ import annotations

import sys
from typing import Any


class _WithoutPandas:
    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name == "pandas" or name.startswith("pandas."):
            raise ModuleNotFoundError(f"No module named {name!r} (no Spark source: not needed)")


def keep_pandas_out(source: str | None) -> None:
    """Call first thing in a service's process, with its source."""
    if (source or "").startswith("sc://") or any(isinstance(f, _WithoutPandas) for f in sys.meta_path):
        return
    sys.meta_path.insert(0, _WithoutPandas())
