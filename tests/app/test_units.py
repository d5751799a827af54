"""The app's pure parts: no Textual, no service."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tui.app.editor.params import parse_value
from tui.app.editor.statements import Statement, error_position, parameters, split_statements, statement_at
from tui.app.grid.cells import (
    ELLIPSIS,
    MAX_CELL_CHARS,
    NULL,
    bounded_json,
    cell_text,
    column_widths,
    compact_json,
    fit,
    fit_right,
    infer_columns,
    is_numeric_type,
)
from tui.app.grid.pages import PageCache
from tui.app.problems import describe
from tui.app.sidebar.entries import QueryEntry
from tui.app.state import UserState
from tui.humanize import format_bytes, format_duration
from tui.wire import QueryInfo

BUFFER = """SELECT 1;
-- a comment; with a semicolon
SELECT ':not_a_param;' AS s, :p, x::INTEGER
FROM t WHERE y = :q AND z = :p;

"""


def test_statements_respect_strings_and_comments():
    statements = split_statements(BUFFER)
    assert [s.sql.splitlines()[0] for s in statements] == ["SELECT 1", "-- a comment; with a semicolon"]
    second = statements[1]
    assert (second.line, second.column) == (1, 0)
    assert parameters(second.sql) == ["p", "q"]


def test_statement_under_the_cursor():
    assert statement_at(BUFFER, 3).sql == "SELECT 1"
    assert statement_at(BUFFER, BUFFER.index(";") + 1).sql == "SELECT 1"  # just after its ;
    assert statement_at(BUFFER, BUFFER.index("FROM t")).sql.endswith("z = :p")
    assert statement_at(BUFFER, len(BUFFER)).sql.endswith("z = :p")  # trailing blank lines
    assert statement_at("", 0) is None


def test_error_positions_map_back_onto_the_buffer():
    statement = Statement("SELECT 1,\n  2 3", line=4, column=6, start=0, end=0)
    assert error_position(statement, 1, 3) == (4, 8)  # first line: shifted by the start column
    assert error_position(statement, 2, 5) == (5, 4)
    assert error_position(statement, None, None) is None


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("42", 42),
        ("-7", -7),
        ("4.5", 4.5),
        ("1e3", 1000.0),
        ("true", True),
        ("FALSE", False),
        ("null", None),
        ("'42'", "42"),
        ('"x"', "x"),
        ("hello", "hello"),
        ("", ""),
    ],
)
def test_parameter_values(text, value):
    assert parse_value(text) == value
    assert type(parse_value(text)) is type(value)


def test_cells():
    assert cell_text(None) == NULL
    assert cell_text(True) == "true"
    assert cell_text({"a": [1, 2], "b": None}) == '{"a":[1,2],"b":null}'
    assert cell_text("two\nlines\tand tab") == "two↵lines and tab"
    assert fit("abcdef", 4) == "abc…"
    assert fit("ab", 4) == "ab  "
    assert fit_right("7", 3) == "  7"
    assert fit("日本語テキスト", 6) == "日本… "  # wide characters are cut by cells
    assert is_numeric_type("BIGINT") and is_numeric_type("DECIMAL(10,2)") and not is_numeric_type("STRUCT(a INT)")


BIG = "x" * (10 * 1024 * 1024)


@pytest.mark.parametrize(
    ("value", "starts"),
    [
        (BIG, "xxx"),
        ({"s": BIG}, '{"s":"xxx'),
        ([BIG], '["xxx'),
        ({BIG: 1}, '{"xxx'),
        ({"a": [{"b": list(range(1_000_000))}]}, '{"a":[{"b":[0,1,2,'),
        ([[BIG]] * 1_000, '[["xxx'),
    ],
    ids=["string", "struct", "list", "key", "long-list", "nested"],
)
def test_cell_text_of_a_ten_megabyte_value_is_bounded(value, starts):
    text = cell_text(value)
    assert len(text) == MAX_CELL_CHARS + 1 and text.endswith(ELLIPSIS)
    assert text.startswith(starts)


def test_a_nested_value_is_serialized_only_as_far_as_a_cell_shows():
    calls = []

    class Value:  # turned into text by str(), as compact_json's default does
        def __str__(self) -> str:
            calls.append(1)
            return "v"

    text = cell_text({"values": [Value()] * 1_000_000})
    assert text.startswith('{"values":["v","v",') and text.endswith(ELLIPSIS)
    assert 0 < len(calls) <= MAX_CELL_CHARS


@pytest.mark.parametrize(
    "value",
    [
        {"a": [1, 2.5, None, True, 'quote " newline \n é'], 1: 2, None: 3, False: [], "k": {}},
        [],
        {},
        [[[]]],
        ("a", 1),
        {"when": datetime(2026, 1, 2, tzinfo=UTC)},
        float("nan"),
        "x" * MAX_CELL_CHARS,
    ],
)
def test_bounded_json_is_compact_json_when_it_fits(value):
    assert bounded_json(value, 10_000) == compact_json(value)
    cut = bounded_json(value, 5)
    whole = compact_json(value)
    assert cut == whole if len(whole) <= 5 else cut == whole[:5] + ELLIPSIS
    assert not is_numeric_type("INTEGER[]")
    widths = column_widths(
        [("id", "BIGINT"), ("ts", "TIMESTAMP"), ("s", "VARCHAR")], [{"id": 1, "ts": "x", "s": "y" * 100}]
    )
    assert widths == [6, 19, 40]
    assert infer_columns([{"a": None}, {"a": 1, "b": "x"}]) == [("a", "int"), ("b", "string")]


def test_page_cache_is_bounded_and_keeps_what_is_shown():
    cache = PageCache(page_size=10, max_pages=3)
    for index in range(5):
        cache.put(index, [{"i": index * 10 + k} for k in range(10)], complete=True, keep=[0])
    assert len(cache) == 3 and 0 in cache and 4 in cache
    assert cache.row(41) == {"i": 41} and cache.row(15) is None
    assert cache.page_range(5, 25) == range(0, 3)
    assert cache.begin(7) and not cache.begin(7)
    cache.end(7)
    assert cache.begin(7)


def test_sidebar_entries_count_down_with_the_clock():
    now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    info = QueryInfo.model_validate(
        {
            "query_id": "0123456789abcdef",
            "status": "COMPLETED",
            "sql": "SELECT 1",
            "submitted_at": "2026-11-22T11:59:00Z",
            "expires_at": "2026-11-23T11:59:30Z",
            "stats": {
                "elapsed_time_ms": 1500,
                "result_set_document_count": 1234567,
                "result_set_bytes_size": 5 * 1024**3,
            },
        }
    )
    entry = QueryEntry.from_info(info)
    assert entry.rows_text() == "1,234,567 rows" and format_bytes(entry.bytes) == "5.0 GiB"
    assert entry.elapsed(now) == "1.5 s"
    assert entry.expiry(now) == "expires in 23h 59m"
    assert entry.expiry(now + timedelta(hours=23, minutes=59)) == "expires in 30s"
    assert entry.times(now, 30) == ("1.5 s", "expires in 23h 59m")
    # indented under its parent the line is shorter: it keeps the time left, not the words
    assert entry.times(now, 24) == ("1.5 s", "23h 59m left")
    assert entry.state(now + timedelta(days=1)) == "EXPIRED"
    assert (
        format_duration(0.25) == "250 ms"
        and format_duration(125) == "2m 05s"
        and format_duration(3 * 86400) == "3d 00h"
    )


def test_user_state_round_trips_and_tolerates_a_readonly_place(tmp_path):
    state = UserState(tmp_path / "state")
    assert state.load_buffer() is None and state.load_history() == []
    state.save_buffer("SELECT 1")
    history = state.add_history([], "SELECT 1")
    history = state.add_history(history, "SELECT 2")
    history = state.add_history(history, "SELECT 1")
    state.save_parameters({"n": "41"})
    again = UserState(tmp_path / "state")
    assert again.load_buffer() == "SELECT 1"
    assert again.load_history() == ["SELECT 2", "SELECT 1"]
    assert again.load_parameters() == {"n": "41"}
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    assert UserState(blocked).save_buffer("x") is False  # no exception: remembering is optional
    assert UserState(None).save_buffer("x") is False


def test_problems_are_described_by_class_name():
    class Unreachable(Exception):
        pass

    class QueryError(Exception):
        def __init__(self):
            super().__init__("boom")
            self.message, self.line, self.column = "boom", 2, 5

    assert describe(Unreachable("refused")).kind == "unavailable"
    problem = describe(QueryError())
    assert (problem.kind, problem.title, problem.line, problem.column) == ("sql", "SQL error", 2, 5)
    assert describe(ValueError("x")).kind == "other"


def test_a_reopen_reports_its_own_time_then_the_runs():
    from datetime import UTC, datetime

    from tui.app.current import CurrentQuery

    run = CurrentQuery("q", "SELECT 1", datetime(2026, 1, 1, tzinfo=UTC), "COMPLETED", elapsed_ms=4600)
    assert run.took() == " in 4.6 s"
    reopen = CurrentQuery(
        "q", "SELECT 1", datetime(2026, 1, 1, tzinfo=UTC), "COMPLETED", elapsed_ms=4600, reopened=True, reopen_ms=230
    )
    assert reopen.took() == " in 230 ms (ran in 4.6 s)"


def test_the_first_and_last_pages_are_wanted_once_the_size_is_known():
    cache = PageCache(page_size=250, max_pages=64)
    assert cache.edge_pages(None) == []  # still running: no last page yet
    assert cache.edge_pages(10_000_000) == [0, 39_999]
    assert cache.edge_pages(100) == [0]
    assert PageCache(page_size=250, max_pages=2).edge_pages(10_000) == []  # no room to spare


def test_the_last_screen_is_wanted_even_when_it_starts_on_the_page_before_the_last():
    cache = PageCache(page_size=250, max_pages=64)
    assert cache.edge_pages(10_000_000, screen=44) == [0, 39_999]  # the last page is full
    assert cache.edge_pages(10_000_010, screen=44) == [0, 39_999, 40_000]  # 10 rows on the last
    assert cache.edge_pages(30, screen=44) == [0]


def test_a_column_the_service_measured_is_measured_again_only_where_its_text_may_differ():
    columns = [
        ("id", "BIGINT"),
        ("session", "STRUCT(id VARCHAR)"),
        ("s", "VARCHAR"),
        ("cjk", "VARCHAR"),
        ("x", "DOUBLE"),
    ]
    sample = [
        {
            "id": 12345678901234,
            "session": {"id": "sess-123456789"},
            "s": "y" * 30,
            "cjk": "日本語テキスト",
            "x": 12345.0,
        }
    ]
    whole = [6, 0, 12, 7, 5]  # the service: characters of Arrow's text (12345.0 is "12345")
    # id: an integer's text is the service's, trusted as it is; session: the struct's JSON text
    # is the app's; s: longer than measured; cjk: 7 characters in 14 cells; x: JSON's "12345.0"
    assert column_widths(columns, sample, whole=whole) == [6, 23, 30, 14, 7]
    assert column_widths(columns, sample) == [14, 23, 30, 14, 7]  # no service widths: the sample's
