"""Copying a range of cells as TSV, CSV and Markdown."""

from __future__ import annotations

import pytest

from tui.app.grid.selection import CellRange, format_table

NAMES = ["id", "note"]
ROWS = [[1, "plain"], [2, 'tab\there, "quoted", a|pipe\nnewline'], [None, {"a": [1, 2]}]]


def test_range_between_any_two_corners():
    assert CellRange.between((5, 3), (2, 1)) == CellRange(2, 5, 1, 3)
    cells = CellRange.between((0, 0), (1, 1))
    assert (cells.rows, cells.cols) == (2, 2)
    assert cells.has(1, 0) and not cells.has(2, 0)


def test_tsv_is_one_line_per_row_with_a_header():
    assert format_table(NAMES, ROWS) == ('id\tnote\n1\tplain\n2\ttab here, "quoted", a|pipe newline\n\t{"a":[1,2]}\n')


def test_csv_quotes_what_needs_it():
    assert format_table(NAMES, ROWS, "CSV") == (
        'id,note\n1,plain\n2,"tab\there, ""quoted"", a|pipe\nnewline"\n,"{""a"":[1,2]}"\n'
    )


def test_markdown_escapes_pipes_and_keeps_rows_on_one_line():
    assert format_table(NAMES, ROWS, "Markdown").splitlines() == [
        "| id | note |",
        "|---|---|",
        "| 1 | plain |",
        '| 2 | tab here, "quoted", a\\|pipe newline |',
        '|  | {"a":[1,2]} |',
    ]


def test_unknown_format_is_a_clear_error():
    with pytest.raises(ValueError, match="TSV, CSV, Markdown"):
        format_table(NAMES, ROWS, "XLSX")
