"""The column layout model on its own: shown columns, order, widths, frozen, saved by name."""

from __future__ import annotations

from tui.app.grid.columns import NARROWEST, RUNNING_ROW_DIGITS, WIDEST, ColumnLayout, row_number_digits

NAMES = ["id", "ts", "kind", "amount"]


def test_default_shows_every_column_in_order_with_the_first_frozen():
    layout = ColumnLayout(4)
    assert layout.shown() == [0, 1, 2, 3]
    assert layout.frozen_count() == 1
    assert layout.is_default
    assert layout.width(2, 11) == 11


def test_hide_keeps_at_least_one_column_and_show_all_brings_them_back():
    layout = ColumnLayout(2)
    assert layout.hide(0)
    assert not layout.hide(1)  # the last shown one stays
    assert not layout.hide(0)  # already hidden
    assert layout.shown() == [1]
    assert layout.show_all() == 1
    assert layout.shown() == [0, 1]


def test_move_swaps_with_the_next_shown_column_skipping_hidden_ones():
    layout = ColumnLayout(4)
    layout.hide(1)
    assert layout.move(0, 1)
    assert layout.shown() == [2, 0, 3]
    assert layout.order == [2, 1, 0, 3]
    assert not layout.move(2, -1)  # already the leftmost
    assert layout.neighbour(0, 1) == 3
    assert layout.neighbour(3, 5) == 3


def test_resize_is_bounded_and_back_to_natural_forgets_the_override():
    layout = ColumnLayout(2)
    assert layout.resize(0, 10, -4) == 6
    assert layout.widths == {0: 6}
    assert layout.resize(0, 10, 4) == 10
    assert layout.widths == {}
    assert layout.resize(1, 5, -100) == NARROWEST
    assert layout.resize(1, 5, 1000) == WIDEST


def test_freeze_through_a_column_and_again_goes_back_to_the_default():
    layout = ColumnLayout(4)
    layout.hide(1)
    assert layout.freeze_through(2) == 2  # shown: 0, 2, 3
    assert layout.frozen_count() == 2
    assert layout.freeze_through(2) == 1


def test_saved_by_name_and_restored_onto_the_same_columns():
    layout = ColumnLayout(4)
    layout.move(0, 1)
    layout.hide(3)
    layout.resize(2, 8, 4)
    layout.freeze_through(2)
    state = layout.to_state(NAMES)
    assert state == {"order": ["ts", "id", "kind", "amount"], "hidden": ["amount"], "widths": {"kind": 12}, "frozen": 3}
    again = ColumnLayout.from_state(NAMES, state)
    assert again == layout


def test_restoring_onto_changed_columns_or_garbage_never_fails():
    state = {
        "order": ["gone", "kind", "id"],
        "hidden": ["kind", 3],
        "widths": {"id": "wide", "kind": 999},
        "frozen": 40,
    }
    layout = ColumnLayout.from_state(NAMES, state)
    assert layout.order == [2, 0, 1, 3]
    assert layout.hidden == {2}
    assert layout.widths == {2: WIDEST}
    assert layout.frozen == 1
    assert ColumnLayout.from_state(NAMES, ["not", "a", "dict"]).is_default
    # every column hidden in the file: all are shown (one must be)
    assert ColumnLayout.from_state(["a"], {"hidden": ["a"]}).shown() == [0]


def test_row_number_digits_are_sized_once_and_never_shrink():
    assert row_number_digits(500, 500) == 3
    running = row_number_digits(None, 1_000)
    assert running == RUNNING_ROW_DIGITS
    # the query completes with fewer rows than the bound: the column keeps its width
    assert row_number_digits(5_000, 5_000, current=running) == RUNNING_ROW_DIGITS
    assert row_number_digits(None, 12_345_678_901) == 11
