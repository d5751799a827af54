"""SQL highlighting for the editor: a scanner, not a parser.

Textual's ``TextArea`` highlights through tree-sitter, whose SQL grammar costs the app ≈23 MiB
(its parse tables resident, and a syntax tree of every buffer) to colour what a scanner colours
the same: keywords, strings, numbers, comments, function calls, table names and casts. This
module maps a buffer to the ``TextArea``'s highlight form (per line, ``(start, end, name)`` with
UTF-8 byte columns, ``end`` ``None`` for "to the end of the line") under the highlight names of
Textual's SQL query, so its themes colour them. Pure functions, no Textual.

``TextArea`` rebuilds its highlights after every edit, from the whole buffer. The scanner goes
line by line, carrying what a line leaves open (a block comment, a string, a quoted name, the
word before the next); a :class:`SqlHighlighter` remembers each line's result for its text and
that state, so an edit rescans the lines it changed and the others cost a lookup
(``benchmarks/highlight.py``). What it remembers is the buffer's lines, no more.
"""

from __future__ import annotations

import re

Highlight = tuple[int, int | None, str]

#: words that are SQL whatever they stand next to (``range``, ``key``, ``row``, often column
#: names, are left out: a scanner cannot tell, and a keyword colour on a column misleads)
_KEYWORDS = """
    ALL ALTER ANALYZE AND ANTI ANY ARRAY AS ASOF ATTACH BEGIN BETWEEN BY CALL CASCADE CAST CHECK
    CHECKPOINT COLUMN COLUMNS COMMIT CONSTRAINT COPY CREATE CROSS CUBE DELETE DESCRIBE DETACH
    DISTINCT DO DROP END ESCAPE EXCEPT EXCLUDE EXISTS EXPLAIN EXPORT FETCH FILTER FOR FOREIGN
    FROM FULL FUNCTION GLOB GROUP GROUPING HAVING IF ILIKE IMPORT IN INDEX INNER INSERT INSTALL
    INTERSECT INTERVAL INTO IS ISNULL JOIN LATERAL LEFT LIKE LIMIT LOAD MACRO MATERIALIZED
    NATURAL NO NOT NOTNULL NULL OF OFFSET ON ONLY OR ORDER OUTER OVER PARTITION PIVOT POSITIONAL
    PRAGMA PRIMARY QUALIFY RECURSIVE REFERENCES RENAME REPLACE RETURNING RIGHT ROLLBACK ROLLUP
    SAMPLE SCHEMA SELECT SEMI SEQUENCE SET SETS SHOW SIMILAR SOME SUMMARIZE TABLE TABLESAMPLE
    TEMP TEMPORARY TO TRANSACTION UNION UNIQUE UNPIVOT UPDATE USE USING VACUUM VALUES VIEW WHERE
    WINDOW WITH WITHIN WITHOUT
"""
KEYWORDS = frozenset(_KEYWORDS.split())
#: ``ORDER BY x DESC NULLS LAST``, window frames: what Textual's SQL query calls attributes
ATTRIBUTES = frozenset({"ASC", "DESC", "NULLS", "FIRST", "LAST", "PRECEDING", "FOLLOWING", "DEFAULT", "COLLATE"})
CONDITIONALS = frozenset({"CASE", "WHEN", "THEN", "ELSE"})
BOOLEANS = frozenset({"TRUE", "FALSE"})
#: the keyword before a table's name (the grammar's ``object_reference``, coloured as a type)
BEFORE_TABLE = frozenset({"FROM", "JOIN", "INTO", "UPDATE", "TABLE", "DESCRIBE", "SUMMARIZE"})

_TOKEN = re.compile(
    r"""
    (?P<comment>--.*|/\*(?:(?!\*/).)*(?P<comment_end>\*/)?)
    | (?P<string>[eE]?'(?:[^']|'')*(?P<string_end>')?)
    | (?P<quoted>"(?:[^"]|"")*(?P<quoted_end>")?)
    | (?P<cast>::)
    | (?P<parameter>[:$][A-Za-z_0-9]+|\?)
    | (?P<number>(?<![\w.])(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?(?![\w]))
    | (?P<word>[A-Za-z_][A-Za-z0-9_$]*)
    | (?P<dot>\.)
    | (?P<other>[^\s\w'"().:$?-]+|[-()])
    """,
    re.X,
)
#: how a string, quoted name or block comment left open by an earlier line ends on this one
_CLOSE = {
    "comment": re.compile(r"(?:(?!\*/).)*\*/"),
    "string": re.compile(r"(?:[^']|'')*'"),
    "quoted": re.compile(r'(?:[^"]|"")*"'),
}
_CALL = re.compile(r"\s*\(")
#: ``previous`` after a table's name, so a ``.`` continues it
_TABLE = "<table>"
#: the state a line starts in: what an earlier line left open ("", "comment", "string",
#: "quoted") and the word or punctuation before (what decides what the next word is)
_START = ("", "")


_Scanned = tuple[tuple[Highlight, ...], str, str]


class SqlHighlighter:
    """The highlights of one buffer, rebuilt after each of its edits."""

    def __init__(self) -> None:
        #: each line of the last buffer, with the state it started in, and what it gave
        self._known: dict[tuple[str, str, str], _Scanned] = {}

    def highlights(self, text: str) -> dict[int, list[Highlight]]:
        """``text``'s highlights per line, as ``TextArea._highlights`` holds them."""
        known, kept = self._known, {}
        highlights: dict[int, list[Highlight]] = {}
        open_, previous = _START
        for index, line in enumerate(text.split("\n")):
            key = (line, open_, previous)
            scanned = known.get(key) or kept.get(key) or _scan_line(line, open_, previous)
            kept[key] = scanned
            spans, open_, previous = scanned
            if spans:
                highlights[index] = list(spans)
        self._known = kept
        return highlights


def sql_highlights(text: str) -> dict[int, list[Highlight]]:
    """``text``'s highlights per line (byte columns), with nothing remembered."""
    return SqlHighlighter().highlights(text)


def _scan_line(line: str, open_: str, previous: str) -> _Scanned:
    """One line's highlights (byte columns), and the state the next line starts in."""
    spans: list[tuple[int, int | None, str]] = []  # character columns until the end
    position = 0
    if open_:
        closing = _CLOSE[open_].match(line)
        end = closing.end() if closing else None
        if open_ == "quoted":
            if previous == _TABLE:
                spans.append((0, end, "type"))
        else:
            spans.append((0, end, open_))
        if closing is None:
            return _in_bytes(line, spans), open_, previous
        position, open_ = closing.end(), ""
    for match in _TOKEN.finditer(line, position):
        kind = match.lastgroup
        start, end = match.span()
        if kind == "comment":
            unclosed = match.group().startswith("/*") and match.group("comment_end") is None
            spans.append((start, None if unclosed else end, "comment"))
            if unclosed:
                open_ = "comment"
            continue
        if kind == "string":
            unclosed = match.group("string_end") is None
            spans.append((start, None if unclosed else end, "string"))
            open_ = "string" if unclosed else ""
        elif kind == "number":
            spans.append((start, end, "float" if "." in match.group() else "number"))
        elif kind == "parameter":
            spans.append((start, end, "parameter"))
        elif kind == "word":
            word = match.group().upper()
            name = _word(word, previous, _CALL.match(line, end) is not None)
            if name:
                spans.append((start, end, name))
            previous = _TABLE if name == "type" else ("" if previous == "::" else word)
            continue
        elif kind == "quoted":
            unclosed = match.group("quoted_end") is None
            if previous in BEFORE_TABLE:
                spans.append((start, None if unclosed else end, "type"))
                previous = _TABLE
            else:
                previous = match.group()
            open_ = "quoted" if unclosed else ""
            continue
        elif kind == "dot" and previous == _TABLE:
            previous = "FROM"  # catalog.schema.table: every part names the table
            continue
        previous = match.group()
    return _in_bytes(line, spans), open_, previous


def _word(word: str, previous: str, called: bool) -> str | None:
    if previous == "::":
        return "type.builtin"
    if word in BOOLEANS:
        return "boolean"
    if word in CONDITIONALS:
        return "conditional"
    if word in ATTRIBUTES:
        return "attribute"
    if word in KEYWORDS:
        return "keyword"
    if called:
        return "function.call"
    if previous in BEFORE_TABLE:
        return "type"
    return None


def _in_bytes(line: str, spans: list[tuple[int, int | None, str]]) -> tuple[Highlight, ...]:
    if line.isascii():
        return tuple(spans)
    return tuple(
        (len(line[:start].encode()), None if end is None else len(line[:end].encode()), name)
        for start, end, name in spans
    )
