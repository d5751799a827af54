"""What the app remembers between runs: the editor buffer, the history of run queries, and the
last value typed for each ``:name`` parameter, and how the user arranged each result's columns.

Plain files in a user state directory (``$FOLIO_STATE_DIR``, else ``$XDG_STATE_HOME/folio``,
else ``~/.local/state/folio``); tests pass their own directory. Writes are atomic (temporary
file + rename) and a failed write never disturbs the app: remembering is a convenience.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

HISTORY_LIMIT = 500
#: results whose column layout is remembered (the most recently changed ones)
COLUMNS_LIMIT = 200


def default_state_dir() -> Path:
    if os.environ.get("FOLIO_STATE_DIR"):
        return Path(os.environ["FOLIO_STATE_DIR"])
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "folio"


class UserState:
    def __init__(self, directory: Path | None) -> None:
        #: ``None`` remembers nothing (a throwaway session)
        self.directory = directory

    def _path(self, name: str) -> Path | None:
        return self.directory / name if self.directory is not None else None

    def _read(self, name: str) -> str | None:
        path = self._path(name)
        if path is None:
            return None
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    def _write(self, name: str, text: str) -> bool:
        path = self._path(name)
        if path is None:
            return False
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, path)
            return True
        except OSError:
            return False

    # --- the editor buffer

    def load_buffer(self) -> str | None:
        return self._read("buffer.sql")

    def save_buffer(self, text: str) -> bool:
        return self._write("buffer.sql", text)

    # --- history of run statements, oldest first

    def load_history(self) -> list[str]:
        raw = self._read("history.jsonl")
        if not raw:
            return []
        history = []
        for line in raw.splitlines():
            try:
                sql = json.loads(line)
            except ValueError:
                continue
            if isinstance(sql, str):
                history.append(sql)
        return history[-HISTORY_LIMIT:]

    def add_history(self, history: list[str], sql: str) -> list[str]:
        """``history`` with ``sql`` as its newest entry (moved there if it was already in it)."""
        history = [entry for entry in history if entry != sql] + [sql]
        history = history[-HISTORY_LIMIT:]
        self._write("history.jsonl", "".join(json.dumps(entry) + "\n" for entry in history))
        return history

    # --- parameter values by name

    def load_parameters(self) -> dict[str, str]:
        raw = self._read("parameters.json")
        try:
            data = json.loads(raw) if raw else {}
        except ValueError:
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def save_parameters(self, values: dict[str, str]) -> bool:
        return self._write("parameters.json", json.dumps(values, indent=1, sort_keys=True))

    # --- column layouts (hidden, order, widths, frozen) by result key, newest last

    def load_columns(self, key: str) -> dict | None:
        entry = self._columns().get(key)
        return entry if isinstance(entry, dict) else None

    def save_columns(self, key: str, layout: dict | None) -> bool:
        """Remember ``layout`` for result ``key`` (``None`` forgets it); the newest
        :data:`COLUMNS_LIMIT` results are kept."""
        layouts = self._columns()
        layouts.pop(key, None)
        if layout is not None:
            layouts[key] = layout
        kept = dict(list(layouts.items())[-COLUMNS_LIMIT:])
        return self._write("columns.json", json.dumps(kept, indent=1))

    def _columns(self) -> dict:
        raw = self._read("columns.json")
        try:
            data = json.loads(raw) if raw else {}
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}
