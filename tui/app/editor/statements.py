"""Find the statement under the cursor, its ``:name`` parameters, and map error positions back.

A small scanner that knows SQL's quoting and comments (so a ``;`` or ``:x`` inside a string is
not a separator or a parameter) and nothing else. Pure functions, no Textual.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Statement:
    sql: str
    #: where ``sql`` starts in the buffer (0-based line and column) and its character offsets
    line: int
    column: int
    start: int
    end: int


def _code_spans(text: str):
    """Yield (index, char) for characters outside strings and comments, plus ``;`` markers."""
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in ("'", '"', "`"):
            close = text.find(ch, i + 1)
            while close != -1 and close + 1 < n and text[close + 1] == ch:  # doubled quote
                close = text.find(ch, close + 2)
            i = n if close == -1 else close + 1
            continue
        if ch == "-" and text.startswith("--", i):
            newline = text.find("\n", i)
            i = n if newline == -1 else newline
            continue
        if ch == "/" and text.startswith("/*", i):
            close = text.find("*/", i + 2)
            i = n if close == -1 else close + 2
            continue
        yield i, ch
        i += 1


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset)
    column = offset - (text.rfind("\n", 0, offset) + 1)
    return line, column


def _statement(text: str, start: int, end: int) -> Statement | None:
    chunk = text[start:end]
    stripped = chunk.strip()
    if not stripped:
        return None
    lead = len(chunk) - len(chunk.lstrip())
    begin = start + lead
    line, column = _position(text, begin)
    return Statement(stripped, line, column, begin, begin + len(stripped))


def split_statements(text: str) -> list[Statement]:
    statements: list[Statement] = []
    start = 0
    for i, ch in _code_spans(text):
        if ch == ";":
            statement = _statement(text, start, i)
            if statement:
                statements.append(statement)
            start = i + 1
    statement = _statement(text, start, len(text))
    if statement:
        statements.append(statement)
    return statements


def statement_at(text: str, offset: int) -> Statement | None:
    """The statement the cursor at ``offset`` is in, or the last one before it (the cursor
    usually rests just after a statement's ``;``)."""
    statements = split_statements(text)
    before = [statement for statement in statements if statement.start <= offset]
    if before:
        return before[-1]
    return statements[0] if statements else None


def selection_statement(text: str, start: int, end: int) -> Statement | None:
    start, end = sorted((start, end))
    return _statement(text, start, end)


def parameters(sql: str) -> list[str]:
    """``:name`` parameters in order of first use; ``::type`` casts are not parameters."""
    names: list[str] = []
    for i, ch in _code_spans(sql):
        if ch != ":" or (i > 0 and sql[i - 1] == ":") or sql.startswith("::", i):
            continue
        match = _NAME.match(sql, i + 1)
        if match and match.group() not in names:
            names.append(match.group())
    return names


def error_position(statement: Statement, line: int | None, column: int | None) -> tuple[int, int] | None:
    """The buffer position (0-based) of an error the server reported at 1-based ``line`` and
    ``column`` of ``statement``."""
    if not line:
        return None
    column = max(1, column or 1)
    if line == 1:
        return statement.line, statement.column + column - 1
    return statement.line + line - 1, column - 1


def offset_of(text: str, line: int, column: int) -> int:
    lines = text.split("\n")
    line = max(0, min(line, len(lines) - 1))
    return sum(len(part) + 1 for part in lines[:line]) + min(column, len(lines[line]))
