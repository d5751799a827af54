"""SQL highlighting for the editor: a scanner, not a parser.

Textual's ``TextArea`` highlights through tree-sitter, whose SQL grammar costs the app ≈23 MiB
(its parse tables resident, and a syntax tree of every buffer) to colour what a scanner colours
the same: keywords, strings, numbers, comments, function calls, table names and casts. This
module maps a buffer to the ``TextArea``'s highlight form (per line, ``(start, end, name)`` with
UTF-8 byte columns, ``end`` ``None`` for "to the end of the line") under the highlight names of
Textual's SQL query, so its themes colour them. Pure functions, no Textual.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

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
    (?P<comment>--[^\n]*|/\*.*?(?:\*/|\Z))
    | (?P<string>[eE]?'(?:[^']|'')*(?:'|\Z))
    | (?P<quoted>"(?:[^"]|"")*(?:"|\Z))
    | (?P<cast>::)
    | (?P<parameter>[:$][A-Za-z_0-9]+|\?)
    | (?P<number>(?<![\w.])(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?(?![\w]))
    | (?P<word>[A-Za-z_][A-Za-z0-9_$]*)
    | (?P<open>\()
    | (?P<dot>\.)
    | (?P<other>[^\s\w'"().:$?-]+|-)
    """,
    re.S | re.X,
)
_CALL = re.compile(r"\s*\(")
#: ``previous`` after a table's name, so a ``.`` continues it
_TABLE = "<table>"


def sql_spans(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, highlight name) character spans of ``text``, in order."""
    previous = ""  # the last word or punctuation that decides what a word is
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        start, end = match.span()
        if kind == "comment":
            yield start, end, "comment"
            continue
        if kind == "string":
            yield start, end, "string"
        elif kind == "number":
            yield start, end, "float" if "." in match.group() else "number"
        elif kind == "parameter":
            yield start, end, "parameter"
        elif kind == "word":
            word = match.group().upper()
            if previous == "::":
                yield start, end, "type.builtin"
            elif word in BOOLEANS:
                yield start, end, "boolean"
            elif word in CONDITIONALS:
                yield start, end, "conditional"
            elif word in ATTRIBUTES:
                yield start, end, "attribute"
            elif word in KEYWORDS:
                yield start, end, "keyword"
            elif _CALL.match(text, end):
                yield start, end, "function.call"
            elif previous in BEFORE_TABLE:
                yield start, end, "type"
                previous = _TABLE
                continue
            previous = word if previous != "::" else ""
            continue
        elif kind == "quoted" and previous in BEFORE_TABLE:
            yield start, end, "type"
            previous = _TABLE
            continue
        elif kind == "dot" and previous == _TABLE:
            previous = "FROM"  # catalog.schema.table: every part names the table
            continue
        previous = match.group()


def sql_highlights(text: str) -> dict[int, list[Highlight]]:
    """``text``'s highlights per line, as ``TextArea._highlights`` holds them (byte columns)."""
    lines = text.split("\n")
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    highlights: dict[int, list[Highlight]] = {}
    row = 0
    for start, end, name in sql_spans(text):
        while starts[row + 1] <= start:
            row += 1
        first = row
        while starts[row + 1] < end:
            row += 1
        for line_index in range(first, row + 1):
            line = lines[line_index]
            begin = max(start - starts[line_index], 0)
            stop = end - starts[line_index]
            highlights.setdefault(line_index, []).append(
                (_bytes(line, begin), _bytes(line, stop) if stop <= len(line) else None, name)
            )
    return highlights


def _bytes(line: str, column: int) -> int:
    return column if line.isascii() else len(line[:column].encode())
