"""tui.app.editor.highlight: what the scanner colours, in TextArea's form; and the editor with it."""

from __future__ import annotations

import asyncio

from tui.app.editor import highlight
from tui.app.editor.editor import QueryEditor
from tui.app.editor.highlight import SqlHighlighter, sql_highlights


def _named(sql: str) -> list[tuple[str, str]]:
    """(text, name) of each highlight of an ASCII ``sql``, line by line."""
    lines = sql.split("\n")
    return [
        (lines[row][start:end], name)
        for row, spans in sorted(sql_highlights(sql).items())
        for start, end, name in spans
    ]


def test_keywords_literals_and_calls():
    sql = "SELECT count(*) AS n, 'it''s' s, 1.5, 42, TRUE, :since FROM t WHERE CASE WHEN x THEN 1 END"
    assert _named(sql) == [
        ("SELECT", "keyword"),
        ("count", "function.call"),
        ("AS", "keyword"),
        ("'it''s'", "string"),
        ("1.5", "float"),
        ("42", "number"),
        ("TRUE", "boolean"),
        (":since", "parameter"),
        ("FROM", "keyword"),
        ("t", "type"),
        ("WHERE", "keyword"),
        ("CASE", "conditional"),
        ("WHEN", "conditional"),
        ("THEN", "conditional"),
        ("1", "number"),
        ("END", "keyword"),
    ]


def test_what_is_not_code_is_not_coloured_as_code():
    # a keyword inside a string, a comment or a quoted name stays what it is in
    sql = "SELECT 'from where' -- select\n, \"select\" FROM x1"
    assert _named(sql) == [
        ("SELECT", "keyword"),
        ("'from where'", "string"),
        ("-- select", "comment"),
        ("FROM", "keyword"),
        ("x1", "type"),
    ]


def test_table_names_casts_and_identifiers():
    assert _named('select a::BIGINT from main.events e join "My T" on true') == [
        ("select", "keyword"),
        ("BIGINT", "type.builtin"),
        ("from", "keyword"),
        ("main", "type"),
        ("events", "type"),
        ("join", "keyword"),
        ('"My T"', "type"),
        ("on", "keyword"),
        ("true", "boolean"),
    ]
    # digits inside a name are not a number
    assert _named("SELECT col2, t1.x3") == [("SELECT", "keyword")]


def test_spans_across_lines_and_unclosed_ones():
    text = "SELECT /* one\nstill */ 1\nWHERE s = 'open\nit''s' AND x\nFROM \"my\ntable\" WHERE 'unclosed"
    assert sql_highlights(text) == {
        0: [(0, 6, "keyword"), (7, None, "comment")],
        1: [(0, 8, "comment"), (9, 10, "number")],
        2: [(0, 5, "keyword"), (10, None, "string")],
        3: [(0, 6, "string"), (7, 10, "keyword")],
        4: [(0, 4, "keyword"), (5, None, "type")],  # a quoted table name over two lines
        5: [(0, 6, "type"), (7, 12, "keyword"), (13, None, "string")],
    }
    # the word before a line break still decides the next line's first word
    assert sql_highlights("SELECT *\nFROM\n  events") == {
        0: [(0, 6, "keyword")],
        1: [(0, 4, "keyword")],
        2: [(2, 8, "type")],
    }


def test_an_edit_rescans_only_the_lines_it_changed(monkeypatch):
    scanned: list[str] = []
    scan = highlight._scan_line
    monkeypatch.setattr(highlight, "_scan_line", lambda line, *state: scanned.append(line) or scan(line, *state))
    highlighter = SqlHighlighter()
    lines = [f"SELECT {n} AS n{n}" for n in range(100)]
    highlighter.highlights("\n".join(lines))
    assert len(scanned) == 100
    scanned.clear()
    lines[50] = "SELECT 'fifty' AS n50"
    lines.insert(0, "-- a new first line")  # every line moves down: still known by its text
    result = highlighter.highlights("\n".join(lines))
    assert scanned == ["-- a new first line", "SELECT 'fifty' AS n50"]
    assert result[51] == [(0, 6, "keyword"), (7, 14, "string"), (15, 17, "keyword")]
    scanned.clear()
    lines[0] = "/* opens a comment"  # changes how every later line starts: all are rescanned
    result = highlighter.highlights("\n".join(lines))
    assert len(scanned) == 101 and result[100] == [(0, None, "comment")]


def test_columns_are_utf8_bytes():
    # TextArea maps byte columns back to characters (tree-sitter's convention)
    assert sql_highlights("SELECT 'é', 1") == {0: [(0, 6, "keyword"), (7, 11, "string"), (13, 14, "number")]}


def test_the_editor_highlights_as_it_is_edited():
    from textual.app import App, ComposeResult

    class One(App):
        def compose(self) -> ComposeResult:
            yield QueryEditor("SELECT 1", id="sql")

    async def go() -> tuple[dict, dict, set]:
        app = One()
        async with app.run_test(size=(60, 8)) as pilot:
            editor = app.query_one(QueryEditor)
            before = {k: list(v) for k, v in editor._highlights.items() if v}
            editor.move_cursor((0, 8))
            await pilot.press("space", "F", "R", "O", "M", "space", "t")
            await pilot.pause()
            after = {k: list(v) for k, v in editor._highlights.items() if v}
            painted = {
                (segment.text.strip(), segment.style.color.triplet.hex)
                for segment in editor.render_line(0)
                if segment.text.strip() and segment.style and segment.style.color
            }
            return before, after, painted

    before, after, painted = asyncio.run(go())
    assert before == {0: [(0, 6, "keyword"), (7, 8, "number")]}
    assert after == {0: [(0, 6, "keyword"), (7, 8, "number"), (9, 13, "keyword"), (14, 15, "type")]}
    # the theme colours them: monokai's keyword pink, type green, number purple
    assert {("SELECT", "#f92672"), ("FROM", "#f92672"), ("1", "#ae81ff")} <= painted
