"""The column picker's ranking, and the column layouts the user state keeps."""

from __future__ import annotations

import tui.app.state as state_module
from tui.app.grid.picker import ranked
from tui.app.state import UserState


def test_ranked_is_fuzzy_best_first_and_everything_for_no_query():
    names = ["event_id", "ts", "amount", "session", "is_mobile"]
    assert ranked("", names) == [0, 1, 2, 3, 4]
    assert ranked("sess", names)[0] == 3
    assert ranked("mob", names) == [4]
    assert ranked("zzz", names) == []


def test_column_layouts_are_kept_per_result_newest_last_and_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(state_module, "COLUMNS_LIMIT", 2)
    state = UserState(tmp_path)
    assert state.load_columns("q1") is None
    state.save_columns("q1", {"frozen": 2})
    state.save_columns("q2", {"frozen": 3})
    assert state.load_columns("q1") == {"frozen": 2}
    state.save_columns("q1", {"frozen": 4})  # changed again: now the newest
    state.save_columns("q3", {"frozen": 1})  # q2, the oldest, is forgotten
    assert state.load_columns("q2") is None
    assert state.load_columns("q1") == {"frozen": 4}
    state.save_columns("q1", None)  # back to the default: nothing to remember
    assert state.load_columns("q1") is None
    (tmp_path / "columns.json").write_text("not json")
    assert state.load_columns("q3") is None  # a broken file is no error


def test_no_state_directory_remembers_nothing():
    state = UserState(None)
    assert not state.save_columns("q", {"frozen": 2})
    assert state.load_columns("q") is None
