"""The view stack's bookkeeping, the frequency bars and the sidebar's tree of derived results:
pure code, no service."""

from __future__ import annotations

from datetime import UTC, datetime

from tui.app.grid.pages import RowPage
from tui.app.sidebar.entries import QueryEntry, arrange
from tui.app.views.rows import BAR_WIDTH, NumberedRows, bar, frequency_columns
from tui.app.views.stack import View, ViewKind, ViewStack, root_label


def test_the_path_reads_the_data_views_and_a_summary_only_on_top():
    stack = ViewStack()
    root = View(ViewKind.QUERY, "_events", query_id="q0")
    stack.reset(root)
    assert stack.path() == "_events"
    country = View(ViewKind.FILTER, "country = 'US'", query_id="q1", rows_of=root)
    stack.push(country)
    frequency = View(ViewKind.FREQUENCY, "frequency of amount", query_id="q2")
    stack.push(frequency)
    assert stack.path() == "_events › country = 'US' › frequency of amount"
    frequency.parent = country
    stack.push(View(ViewKind.FILTER, "amount in [10, 20)", query_id="q3", rows_of=root, parent=country))
    assert stack.path() == "_events › country = 'US' › amount in [10, 20)"
    stack.pop()
    profile = View(ViewKind.PROFILE, "profile", query_id="q4", parent=frequency)
    stack.push(profile)
    stack.push(View(ViewKind.FILTER, "type = 'VARCHAR'", query_id="q5", parent=profile))
    # a profile of the frequency table, filtered: each summary is in the path, as it was derived
    assert stack.path() == "_events › country = 'US' › frequency of amount › profile › type = 'VARCHAR'"
    assert stack.data_under(frequency) is country
    assert stack.find("q2") is frequency


def test_the_query_result_is_never_popped():
    stack = ViewStack()
    root = View(ViewKind.QUERY, "q")
    stack.reset(root)
    assert stack.pop() is None and stack.top is root
    child = View(ViewKind.FILTER, "a", rows_of=root)
    grandchild = View(ViewKind.SORT, "b", rows_of=root)
    stack.push(child)
    stack.push(grandchild)
    assert stack.pop_to(root) == [grandchild, child]
    assert stack.views == [root]


def test_numbered_views_hide_folio_row():
    root = View(ViewKind.QUERY, "q")
    view = View(ViewKind.FILTER, "f", numbered=True, rows_of=root, columns=[("folio_row", "BIGINT"), ("a", "INTEGER")])
    assert view.visible_columns() == [("a", "INTEGER")]
    assert root.visible_columns([("folio_row", "BIGINT")]) == [("folio_row", "BIGINT")]  # the user's own column
    page = NumberedRows.shape(RowPage(0, [{"folio_row": 5, "a": 1}], [("folio_row", "BIGINT"), ("a", "INTEGER")]))
    assert page.columns == [("a", "INTEGER")] and page.rows[0]["folio_row"] == 5


def test_a_view_derived_from_a_numbered_one_points_into_the_same_original():
    root = View(ViewKind.QUERY, "q")
    assert root.rows_for_derived is root  # read through result_rows(): offsets into itself
    kept = View(ViewKind.FILTER, "f", numbered=True, rows_of=root)
    assert kept.rows_for_derived is root  # read through result(): folio_row is still root's
    # re-opened after its original was dropped: its folio_row points nowhere, nor will a child's
    orphan = View(ViewKind.SORT, "s", numbered=True, rows_of=None)
    assert orphan.rows_for_derived is None
    frequency = View(ViewKind.FREQUENCY, "frequency of a")
    assert frequency.rows_for_derived is frequency


def test_bars_are_scaled_to_the_largest_count_in_eighths():
    assert bar(10, 10) == "█" * BAR_WIDTH
    assert bar(5, 10) == "█" * (BAR_WIDTH // 2)
    assert bar(1, 1000) == "▏"  # never invisible
    assert bar(0, 10) == "" and bar(None, 10) == "" and bar(3, None) == ""
    assert bar(8, 16, width=1) == "▌"  # half a cell
    columns = [
        ("value", "VARCHAR"),
        ("count", "BIGINT"),
        ("percent", "DOUBLE"),
        ("low", "VARCHAR"),
        ("high", "VARCHAR"),
    ]
    assert [name for name, _ in frequency_columns(columns)] == ["value", "count", "percent", "histogram"]


def test_root_label_is_the_table_read_or_the_short_id():
    assert root_label("SELECT * FROM _events WHERE x", "0123456789") == "_events"
    assert root_label('select * from "my ""odd"" table"', "0123456789") == 'my "odd" table'
    assert root_label("SELECT * FROM range(10)", "0123456789") == "01234567"
    assert root_label("SELECT 1", "0123456789") == "01234567"


def _entry(query_id: str, minute: int, derived_from: str | None = None) -> QueryEntry:
    submitted = datetime(2026, 1, 1, 0, minute, tzinfo=UTC)
    return QueryEntry(query_id, "COMPLETED", "", 1, 1, submitted, None, 1, derived_from=derived_from)


def test_the_sidebar_lists_derived_results_under_their_parent():
    entries = sorted(
        [
            _entry("a", 0),
            _entry("b", 1),
            _entry("a1", 2, "a"),
            _entry("a1x", 3, "a1"),
            _entry("orphan", 4, "gone"),
        ],
        key=QueryEntry.sort_key,
    )
    assert [(e.query_id, depth) for e, depth in arrange(entries)] == [
        ("orphan", 0),
        ("b", 0),
        ("a", 0),
        ("a1", 1),
        ("a1x", 2),
    ]
