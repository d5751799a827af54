"""SQL completion: what may come at the cursor, from the source's catalog and the statement.

Pure functions over a :class:`CompletionIndex` (built once per catalog, off the event loop),
no Textual, so the editor's popup asks a worker thread and shows what comes back.

What is offered where:

* after ``FROM`` / ``JOIN`` / ``INTO`` / ``UPDATE`` / ``TABLE`` (and a ``,`` in a ``FROM`` list):
  tables and views (``schema.table`` outside the default schema) and schemas;
* after ``x.``: the columns of ``x`` when ``x`` is an alias or a table of the current statement
  (``e.`` after ``FROM _events e``), else the tables of schema ``x``; after ``s.t.``, the
  columns of ``s.t``;
* elsewhere: the columns of the statement's tables, its aliases, tables, functions and keywords.

Names that SQL would not read back as typed (spaces, reserved words, upper case in
PostgreSQL) are inserted as quoted identifiers; a typed ``"`` completes quoted names as is.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass

from tui.app.editor.statements import _code_spans
from tui.catalog import Catalog, Relation


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


#: most candidates a completion offers (the popup scrolls)
LIMIT = 100

KEYWORDS = _words(
    """
    ALL ALTER ANALYZE AND ANY AS ASC ATTACH BETWEEN BY CASE CAST COPY CREATE CROSS CUBE CURRENT_DATE
    CURRENT_TIMESTAMP DELETE DESC DESCRIBE DISTINCT DROP ELSE END EXCEPT EXCLUDE EXISTS EXPLAIN
    FALSE FILTER FIRST FOLLOWING FROM FULL GROUP HAVING ILIKE IN INNER INSERT INTERSECT INTERVAL
    INTO IS JOIN LAST LATERAL LEFT LIKE LIMIT NATURAL NOT NULL NULLS OFFSET ON OR ORDER OUTER OVER
    PARTITION PIVOT PRECEDING QUALIFY RANGE RECURSIVE REPLACE RETURNING RIGHT ROLLUP ROW ROWS SELECT
    SET SHOW SUMMARIZE TABLE THEN TRUE UNBOUNDED UNION UNNEST UNPIVOT UPDATE USING VALUES VIEW WHEN
    WHERE WINDOW WITH
    """
)
#: words that end a table reference, so they are never taken for its alias
_CLAUSE_WORDS = frozenset(
    _words(
        """
    ON USING WHERE GROUP ORDER HAVING LIMIT OFFSET JOIN INNER LEFT RIGHT FULL OUTER CROSS NATURAL
    UNION EXCEPT INTERSECT WINDOW QUALIFY SELECT FROM SET VALUES RETURNING AS LATERAL ASOF
    POSITIONAL ANTI SEMI TABLESAMPLE USING SAMPLE
    """
    )
)
_RELATION_WORDS = frozenset({"FROM", "JOIN", "INTO", "UPDATE", "TABLE", "DESCRIBE", "SUMMARIZE"})
#: clauses that end a FROM list (a ``,`` after them separates expressions, not tables)
_LIST_CLAUSES = frozenset({"SELECT", "WHERE", "GROUP", "ORDER", "HAVING", "SET", "VALUES", "ON", "BY"})
#: words a bare name may not be (SQL's reserved words common to the three engines)
_RESERVED = frozenset(
    _words(
        """
        ALL AND ANY AS ASC BETWEEN BY CASE CAST CHECK COLUMN CONSTRAINT CREATE CROSS DEFAULT DESC
        DISTINCT ELSE END EXCEPT FALSE FOR FOREIGN FROM FULL GRANT GROUP HAVING IN INNER INTERSECT
        INTO IS JOIN LEFT LIKE LIMIT NATURAL NOT NULL OFFSET ON OR ORDER OUTER PRIMARY REFERENCES
        RIGHT SELECT TABLE THEN TO TRUE UNION UNIQUE USER USING WHEN WHERE WINDOW WITH
        """
    )
)
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_TOKEN = re.compile(
    r"""(?P<quoted>"(?:[^"]|"")*"?|`(?:[^`]|``)*`?)
      | (?P<word>[A-Za-z_][A-Za-z0-9_$]*)
      | (?P<string>'(?:[^']|'')*'?)
      | (?P<comment>--[^\n]*|/\*(?:.|\n)*?(?:\*/|\Z))
      | (?P<space>\s+)
      | (?P<other>.)""",
    re.X,
)

#: kinds in the order they are offered
KIND_ORDER = ("column", "alias", "table", "view", "schema", "function", "keyword")


@dataclass(frozen=True, slots=True)
class Candidate:
    #: what replaces the typed prefix
    text: str
    #: what the popup shows
    label: str
    #: ``column``, ``alias``, ``table``, ``view``, ``schema``, ``function`` or ``keyword``
    kind: str
    #: the column's type, the table's schema…
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Completion:
    """Candidates for the text between ``start`` and ``end`` (the cursor), which they replace."""

    start: int
    end: int
    prefix: str
    candidates: tuple[Candidate, ...]
    #: the word follows ``x.`` (a popup opens on the dot itself, before anything is typed)
    qualified: bool = False

    @property
    def worth_showing(self) -> bool:
        """Whether a popup should open by itself: something typed, or just after a dot."""
        return bool(self.candidates) and (bool(self.prefix) or self.qualified)


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str
    text: str
    start: int
    end: int

    @property
    def upper(self) -> str:
        return self.text.upper() if self.kind == "word" else ""

    @property
    def name(self) -> str:
        """The identifier this token spells (quotes removed), or ''."""
        if self.kind == "word":
            return self.text
        if self.kind == "quoted":  # "…", or `…` (Spark's)
            quote = self.text[0]
            inner = self.text[1:-1] if _closed(self.text) else self.text[1:]
            return inner.replace(quote * 2, quote)
        return ""


def quote_identifier(name: str, engine: str = "") -> str:
    """``name`` as SQL reads it back: bare when it can be, else double-quoted (back-quoted in
    Spark, whose double quotes make a string)."""
    bare = _PLAIN.match(name) and name.upper() not in _RESERVED
    if bare and not (engine == "postgresql" and name != name.lower()):
        return name
    if engine == "spark":
        return _quoted(name, "`")
    return _quoted(name)


class CompletionIndex:
    """Lookups over one catalog, built once (5,000 tables: a few milliseconds)."""

    def __init__(self, catalog: Catalog | None = None, keywords: Iterable[str] = KEYWORDS):
        catalog = catalog or Catalog("", (), ())
        self.catalog = catalog
        self.engine = catalog.engine
        self.default_schema = catalog.schemas[0] if catalog.schemas else ""
        self.by_name: dict[str, list[Relation]] = {}
        self.by_schema: dict[str, list[Relation]] = {}
        for relation in catalog.relations:
            self.by_name.setdefault(relation.name.lower(), []).append(relation)
            self.by_schema.setdefault(relation.schema.lower(), []).append(relation)
        self.schemas = {schema.lower(): schema for schema in catalog.schemas}
        general = [Candidate(word, word, "keyword") for word in keywords]
        general += [Candidate(name, name, "function") for name in catalog.functions]
        relations = [self._relation_candidate(r) for r in catalog.relations]
        relations += [Candidate(quote_identifier(s, self.engine), s, "schema") for s in catalog.schemas]
        self._general = _Sorted(general + relations)
        self._relations = _Sorted(relations)

    def reference(self, relation: Relation, *, qualified: bool | None = None) -> str:
        """How SQL names ``relation``: quoted as needed, with its schema outside the default one."""
        name = quote_identifier(relation.name, self.engine)
        if qualified is None:
            qualified = relation.schema != self.default_schema
        return f"{quote_identifier(relation.schema, self.engine)}.{name}" if qualified else name

    def _relation_candidate(self, relation: Relation, *, qualified: bool | None = None) -> Candidate:
        kind = "view" if relation.kind == "VIEW" else "table"
        return Candidate(self.reference(relation, qualified=qualified), relation.name, kind, relation.schema)

    def find(self, parts: list[str]) -> Relation | None:
        """The relation named by ``[table]`` or ``[schema, table]`` (the default schema first)."""
        if not parts:
            return None
        matches = self.by_name.get(parts[-1].lower(), [])
        if len(parts) > 1:
            matches = [r for r in matches if r.schema.lower() == parts[-2].lower()]
        exact = [r for r in matches if r.name == parts[-1]]
        matches = exact or matches
        return next((r for r in matches if r.schema == self.default_schema), matches[0] if matches else None)

    def columns(self, relation: Relation) -> list[Candidate]:
        return [Candidate(quote_identifier(c.name, self.engine), c.name, "column", c.type) for c in relation.columns]


class _Sorted:
    """Candidates sorted by lower-cased label, for prefix lookups by bisection."""

    def __init__(self, candidates: list[Candidate]):
        pairs = sorted(((c.label.lower(), c) for c in candidates), key=lambda pair: pair[0])
        self.keys = [key for key, _ in pairs]
        self.items = [item for _, item in pairs]

    def starting_with(self, prefix: str, limit: int) -> list[Candidate]:
        prefix = prefix.lower()
        found: list[Candidate] = []
        for index in range(bisect.bisect_left(self.keys, prefix), len(self.keys)):
            if not self.keys[index].startswith(prefix) or len(found) >= limit:
                break
            found.append(self.items[index])
        return found


def _tokens(text: str, start: int = 0) -> list[_Token]:
    return [
        _Token(m.lastgroup or "other", m.group(), m.start() + start, m.end() + start)
        for m in _TOKEN.finditer(text)
        if m.lastgroup != "space"
    ]


def statement_bounds(text: str, cursor: int) -> tuple[int, int]:
    """Start and end offsets of the statement the cursor is in (``;`` separated)."""
    start, end = 0, len(text)
    for index, char in _code_spans(text):
        if char != ";":
            continue
        if index < cursor:
            start = index + 1
        else:
            end = index
            break
    return start, end


def table_references(tokens: list[_Token]) -> dict[str, list[str]]:
    """Names a statement's ``FROM``/``JOIN`` lists bring into scope → the table they name.

    ``FROM s.events e, users`` gives ``{"e": ["s", "events"], "events": ["s", "events"],
    "users": ["users"]}`` (keys lower-cased unless quoted).
    """
    scope: dict[str, list[str]] = {}
    in_from = False
    index = 0
    while index < len(tokens):
        token = tokens[index]
        word = token.upper
        if word in ("FROM", "JOIN") or (token.text == "," and in_from):
            in_from = True if word == "FROM" else in_from
            index = _reference(tokens, index + 1, scope)
            continue
        if word in _LIST_CLAUSES or token.text in (")", "("):
            in_from = False
        index += 1
    return scope


def _reference(tokens: list[_Token], index: int, scope: dict[str, list[str]]) -> int:
    """Read ``name[.name…] [AS] [alias]`` at ``index`` into ``scope``; the index after it."""
    parts: list[str] = []
    while index < len(tokens) and tokens[index].kind in ("word", "quoted") and tokens[index].upper not in _CLAUSE_WORDS:
        parts.append(tokens[index].name)
        if index + 1 < len(tokens) and tokens[index + 1].text == ".":
            index += 2
            continue
        index += 1
        break
    if not parts:
        return index
    scope[_key(tokens[index - 1])] = parts
    if index < len(tokens) and tokens[index].upper == "AS":
        index += 1
    if index < len(tokens) and tokens[index].kind in ("word", "quoted") and tokens[index].upper not in _CLAUSE_WORDS:
        scope[_key(tokens[index])] = parts
        index += 1
    return index


def _key(token: _Token) -> str:
    return token.name if token.kind == "quoted" else token.name.lower()


def _in_relation_position(before: list[_Token]) -> bool:
    """Whether a name typed after ``before`` names a table (``FROM x``, ``JOIN x``, ``FROM a, x``)."""
    if not before:
        return False
    last = before[-1]
    if last.upper in _RELATION_WORDS:
        return True
    if last.text != ",":
        return False
    depth = 0
    for token in reversed(before[:-1]):
        if token.text == ")":
            depth += 1
        elif token.text == "(":
            if depth == 0:
                return False
            depth -= 1
        elif depth == 0 and token.upper == "FROM":
            return True
        elif depth == 0 and token.upper in _LIST_CLAUSES:
            return False
    return False


def complete(index: CompletionIndex, text: str, cursor: int, *, limit: int = LIMIT) -> Completion | None:
    """What may replace the word before ``cursor`` in ``text``; ``None`` where nothing fits
    (inside a string or a comment, just after a closed quoted name)."""
    start, end = statement_bounds(text, cursor)
    before = _tokens(text[start:cursor], start)
    prefix_token: _Token | None = None
    if before and before[-1].end == cursor:
        last = before[-1]
        if last.kind in ("string", "comment") or (last.kind == "quoted" and _closed(last.text)):
            return None
        if last.kind in ("word", "quoted"):
            prefix_token, before = last, before[:-1]
    prefix = prefix_token.text if prefix_token else ""
    needle = prefix_token.name if prefix_token else ""
    qualifier: list[str] = []
    while len(before) >= 2 and before[-1].text == "." and before[-2].kind in ("word", "quoted"):
        qualifier.insert(0, before[-2].name)
        before = before[:-2]
    # the word being typed is not yet anything (``FROM users wh|`` is no alias ``wh``)
    typing = prefix_token.start if prefix_token else -1
    statement = [
        t for t in _tokens(text[start:end], start) if t.kind not in ("comment", "string") and t.start != typing
    ]
    scope = table_references(statement)

    if qualifier:
        found = _qualified(index, qualifier, scope, needle, limit)
    elif _in_relation_position(before):
        found = index._relations.starting_with(needle, limit)
        found += [c for c in index._general.starting_with(needle, limit) if c.kind == "schema"]
    else:
        found = _anywhere(index, scope, needle, limit)
    if prefix[:1] in ('"', "`"):  # a quoted name being typed: match it as typed, insert it quoted alike
        found = [
            Candidate(_quoted(c.label, prefix[0]), c.label, c.kind, c.detail)
            for c in found
            if c.kind != "keyword" and c.label.startswith(needle)
        ]
    else:
        found = [_cased(c, needle) for c in found]
    found = sorted(_distinct(found), key=lambda c: KIND_ORDER.index(c.kind))[:limit]
    begin = prefix_token.start if prefix_token else cursor
    return Completion(begin, cursor, prefix, tuple(found), qualified=bool(qualifier))


def _closed(quoted: str) -> bool:
    quote = quoted[:1]
    return len(quoted) > 1 and quoted.endswith(quote) and (len(quoted) - len(quoted.rstrip(quote))) % 2 == 1


def _quoted(name: str, quote: str = '"') -> str:
    return quote + name.replace(quote, quote * 2) + quote


def _qualified(
    index: CompletionIndex, qualifier: list[str], scope: dict[str, list[str]], needle: str, limit: int
) -> list[Candidate]:
    """Candidates after ``x.`` or ``s.t.``."""
    if len(qualifier) == 1:
        target = scope.get(qualifier[0]) or scope.get(qualifier[0].lower())
        relation = index.find(target) if target else None
        if relation is None and qualifier[0].lower() not in index.schemas:
            relation = index.find(qualifier)
        if relation is not None:
            return _matching(index.columns(relation), needle)
        relations = index.by_schema.get(qualifier[0].lower(), [])
        candidates = [index._relation_candidate(r, qualified=False) for r in relations]
        return _matching(candidates, needle)[:limit]
    relation = index.find(qualifier[-2:])
    return _matching(index.columns(relation), needle) if relation else []


def _anywhere(index: CompletionIndex, scope: dict[str, list[str]], needle: str, limit: int) -> list[Candidate]:
    found: list[Candidate] = []
    seen: set[tuple[str, str]] = set()
    for alias, parts in scope.items():
        relation = index.find(parts)
        if relation is None:
            continue
        if (relation.schema, relation.name) not in seen:
            seen.add((relation.schema, relation.name))
            found += _matching(index.columns(relation), needle)
        if alias != parts[-1].lower() and alias != parts[-1]:
            found += _matching([Candidate(alias, alias, "alias", relation.name)], needle)
    if not needle:
        return found  # with nothing typed, only what the statement is about
    return found + index._general.starting_with(needle, limit)


def _matching(candidates: list[Candidate], needle: str) -> list[Candidate]:
    needle = needle.lower()
    return [c for c in candidates if c.label.lower().startswith(needle)]


def _cased(candidate: Candidate, needle: str) -> Candidate:
    """Keywords in the case the user types them in (``sel`` → ``select``)."""
    if candidate.kind == "keyword" and needle and needle == needle.lower():
        return Candidate(candidate.text.lower(), candidate.label, candidate.kind, candidate.detail)
    return candidate


def _distinct(candidates: list[Candidate]) -> list[Candidate]:
    seen: set[tuple[str, str]] = set()
    out = []
    for candidate in candidates:
        key = (candidate.text, candidate.kind)
        if key not in seen:
            seen.add(key)
            out.append(candidate)
    return out
