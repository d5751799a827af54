"""Statement kinds: which statements a key holder may run on a read-only source.

Unless the operator starts folio with ``--allow-writes``, only statements that read run:
``SELECT`` (and ``WITH``, ``VALUES``, ``TABLE``, ``FROM …``), ``EXPLAIN`` of one of those,
``DESCRIBE``, ``SHOW``, ``SUMMARIZE`` and read-only PRAGMAs. Everything else is refused
with :class:`StatementNotAllowed` before it reaches the database.

Each engine classifies with its own parser where it has one (DuckDB's ``extract_statements``,
SQLite's authorizer, in their modules); this module holds the shared vocabulary and the
conservative keyword reading used for PostgreSQL. The kind check is the first line only: what
a reading statement can still do (call a function that reads a file, say) is stopped by the
engine's own configuration (DuckDB's locked sandbox settings, PostgreSQL's read-only role and
transaction, SQLite's ``mode=ro``).
"""

from __future__ import annotations

import re

from tui.engines.base import EngineError, SqlError

#: the flag that lets every statement kind through
ALLOW_WRITES_FLAG = "--allow-writes"

#: first keywords of statements that only read (PostgreSQL and the keyword fallback)
READING_KEYWORDS = frozenset({"select", "with", "values", "table", "explain", "show", "describe", "summarize"})

#: the first keywords of PostgreSQL's statements (any other first word is a syntax error)
STATEMENT_KEYWORDS = READING_KEYWORDS | frozenset(
    [
        "abort",
        "alter",
        "analyze",
        "analyse",
        "begin",
        "call",
        "checkpoint",
        "close",
        "cluster",
        "comment",
        "commit",
        "copy",
        "create",
        "deallocate",
        "declare",
        "delete",
        "discard",
        "do",
        "drop",
        "end",
        "execute",
        "fetch",
        "grant",
        "import",
        "insert",
        "listen",
        "load",
        "lock",
        "merge",
        "move",
        "notify",
        "prepare",
        "reassign",
        "refresh",
        "reindex",
        "release",
        "reset",
        "revoke",
        "rollback",
        "savepoint",
        "security",
        "set",
        "start",
        "truncate",
        "unlisten",
        "update",
        "vacuum",
    ]
)

_EXPLAIN_OPTION = re.compile(r"\s*(?:analy[sz]e|verbose)\b", re.I)


class StatementNotAllowed(EngineError):
    """A statement of a kind the source does not run without ``--allow-writes``."""

    def __init__(self, kind: str):
        self.kind = kind
        super().__init__(
            f"{kind} statements are not allowed: folio serves this source read-only, so only statements "
            f"that read (SELECT, WITH, VALUES, EXPLAIN, DESCRIBE, SHOW, SUMMARIZE) run. The operator can "
            f"start folio with {ALLOW_WRITES_FLAG} to run every statement with the database's own rights."
        )


def skip_space_and_comments(sql: str, i: int = 0, *, parens: bool = True) -> int:
    """Index of the first character at or after ``i`` that is not whitespace, a comment or
    (with ``parens``) an opening parenthesis."""
    n = len(sql)
    while i < n:
        if sql[i].isspace() or (parens and sql[i] == "("):
            i += 1
        elif sql.startswith("--", i):
            nl = sql.find("\n", i)
            i = n if nl < 0 else nl + 1
        elif sql.startswith("/*", i):
            close = sql.find("*/", i + 2)
            i = n if close < 0 else close + 2
        else:
            break
    return i


def first_keyword(sql: str) -> str:
    """The statement's first word, lower-cased, past whitespace, comments and parentheses."""
    i = skip_space_and_comments(sql)
    j = i
    while j < len(sql) and (sql[j].isalnum() or sql[j] == "_"):
        j += 1
    return sql[i:j].lower()


def explained(sql: str) -> str:
    """The statement an ``EXPLAIN [ANALYZE] [VERBOSE] [(options)]`` wraps (``EXPLAIN ANALYZE``
    runs it, so what it wraps is what counts)."""
    i = skip_space_and_comments(sql)
    if sql[i : i + 7].lower() != "explain":
        return sql
    i += 7
    while True:
        i = skip_space_and_comments(sql, i, parens=False)
        if i < len(sql) and sql[i] == "(":  # PostgreSQL's EXPLAIN (ANALYZE, FORMAT json) …
            close = sql.find(")", i)
            i = len(sql) if close < 0 else close + 1
            continue
        match = _EXPLAIN_OPTION.match(sql, i)
        if not match:
            return sql[i:]
        i = match.end()


def keyword_kind(sql: str) -> str:
    """The kind of ``sql`` by its first keyword (``EXPLAIN`` looks through to what it explains),
    upper-cased for messages: ``SELECT``, ``COPY``, ``SET`` …"""
    keyword = first_keyword(sql)
    if keyword == "explain":
        inner = first_keyword(explained(sql))
        return inner.upper() if inner and inner not in READING_KEYWORDS else "EXPLAIN"
    return keyword.upper() or "empty"


def check_keyword(sql: str) -> str:
    """The conservative check by first keyword: the statement's kind, or
    :class:`StatementNotAllowed` when it is not one that only reads."""
    kind = keyword_kind(sql)
    if kind == "empty":
        raise SqlError("the query is empty: there is no statement to run")
    if first_keyword(sql) not in STATEMENT_KEYWORDS:  # a typo, not a kind: say so as the server would
        start = skip_space_and_comments(sql)
        line = sql.count("\n", 0, start) + 1
        column = start - (sql.rfind("\n", 0, start) + 1) + 1
        raise SqlError(f'syntax error at or near "{sql[start:].split(None, 1)[0]}"', line=line, column=column)
    if kind.lower() not in READING_KEYWORDS:
        raise StatementNotAllowed(kind)
    return kind
