"""SQL completion as pure functions: contexts, aliases, quoting, a 5,000-table catalog."""

from __future__ import annotations

from tui.app.editor.completion import CompletionIndex, _tokens, complete, quote_identifier, table_references
from tui.catalog import Catalog, Column, Relation

CATALOG = Catalog(
    "duckdb",
    ("main", "staging"),
    (
        Relation(
            "main", "_events", "TABLE", (Column("id", "BIGINT"), Column("kind", "VARCHAR"), Column("at", "TIMESTAMP"))
        ),
        Relation("main", "users", "TABLE", (Column("id", "INTEGER"), Column("name", "VARCHAR"))),
        Relation("main", "user sessions", "VIEW", (Column("user id", "INTEGER"),)),
        Relation("staging", "imports", "TABLE", (Column("path", "VARCHAR"),)),
    ),
    ("count", "sum", "upper", "unnest"),
)
INDEX = CompletionIndex(CATALOG)


def at_cursor(sql: str, index: CompletionIndex = INDEX):
    """Complete at the ``|`` in ``sql``."""
    cursor = sql.index("|")
    return complete(index, sql.replace("|", "", 1), cursor)


def texts(sql: str, index: CompletionIndex = INDEX) -> list[str]:
    completion = at_cursor(sql, index)
    assert completion is not None
    return [c.text for c in completion.candidates]


def test_keywords_functions_and_tables_by_prefix() -> None:
    assert texts("SEL|") == ["SELECT"]
    assert texts("sel|") == ["select"]  # keywords in the case they are typed in
    completion = at_cursor("SELECT u|")
    assert completion is not None and completion.prefix == "u" and completion.start == 7
    assert [(c.text, c.kind) for c in completion.candidates] == [
        ("users", "table"),
        ('"user sessions"', "view"),
        ("unnest", "function"),
        ("upper", "function"),
        ("unbounded", "keyword"),
        ("union", "keyword"),
        ("unnest", "keyword"),
        ("unpivot", "keyword"),
        ("update", "keyword"),
        ("using", "keyword"),
    ]


def test_after_from_only_tables_views_and_schemas() -> None:
    assert texts("SELECT * FROM |") == ["_events", "staging.imports", "users", '"user sessions"', "main", "staging"]
    assert texts("SELECT * FROM u|") == ["users", '"user sessions"']
    assert texts("SELECT * FROM users JOIN im|") == ["staging.imports"]
    assert texts("SELECT * FROM users, _e|") == ["_events"]
    assert texts("SELECT * FROM staging.|") == ["imports"]


def test_columns_of_the_statements_tables_come_first() -> None:
    assert texts("SELECT na| FROM users") == ["name", "natural"]
    assert texts("SELECT * FROM users WHERE i|")[:3] == ["id", "staging.imports", "ilike"]
    assert texts("SELECT k| FROM _events; SELECT * FROM users") == ["kind"]
    # with nothing typed, only what the statement is about
    assert texts("SELECT | FROM users") == ["id", "name"]


def test_alias_dot_completes_the_aliased_tables_columns() -> None:
    assert texts("SELECT e.| FROM _events e") == ["id", "kind", "at"]
    assert texts("SELECT e.k| FROM _events AS e JOIN users u ON u.id = e.id") == ["kind"]
    assert texts("SELECT u.| FROM _events AS e JOIN users u ON u.id = e.id") == ["id", "name"]
    assert texts('SELECT s.| FROM main."user sessions" s') == ['"user id"']
    assert texts("SELECT users.n| FROM users") == ["name"]
    assert texts("SELECT main.users.| FROM main.users") == ["id", "name"]
    completion = at_cursor("SELECT e.| FROM _events e")
    assert completion is not None and completion.qualified and completion.worth_showing


def test_the_word_being_typed_is_not_an_alias() -> None:
    assert "wh" not in texts("SELECT * FROM users wh|")
    assert texts("SELECT * FROM users wher|") == ["where"]


def test_table_references_with_schemas_aliases_and_lists() -> None:
    tokens = _tokens('SELECT * FROM s.events e, users AS "U" JOIN x ON true WHERE a, b')
    assert table_references(tokens) == {
        "events": ["s", "events"],
        "e": ["s", "events"],
        "users": ["users"],
        "U": ["users"],
        "x": ["x"],
    }


def test_quoted_names_and_quoting() -> None:
    assert texts('SELECT * FROM "us|') == ['"users"', '"user sessions"']
    assert quote_identifier("orders") == "orders"
    assert quote_identifier("my table") == '"my table"'
    assert quote_identifier('say "hi"') == '"say ""hi"""'
    assert quote_identifier("select") == '"select"'
    assert quote_identifier("Orders", "postgresql") == '"Orders"'
    assert quote_identifier("Orders", "duckdb") == "Orders"
    assert quote_identifier("a `b` c", "spark") == "`a ``b`` c`"  # "…" is a string in Spark
    assert quote_identifier("order", "spark") == "`order`" and quote_identifier("Orders", "spark") == "Orders"


def test_back_quoted_names_as_spark_writes_them() -> None:
    spark = CompletionIndex(
        Catalog(
            "spark",
            ("default",),
            (Relation("default", "user sessions", "TABLE", (Column("user id", "int"), Column("at", "timestamp"))),),
        )
    )
    assert texts("SELECT * FROM `us|", spark) == ["`user sessions`"]
    # a back-quoted table brings its columns into scope, and its alias too
    assert texts("SELECT u| FROM `user sessions`", spark)[:2] == ["`user id`", "`user sessions`"]
    assert texts("SELECT s.a| FROM `user sessions` s", spark) == ["at"]
    assert table_references(_tokens("FROM `a``b` x"))["x"] == ["a`b"]
    assert at_cursor("SELECT `user id`|", spark) is None  # closed: nothing more to type


def test_nothing_inside_strings_comments_or_closed_quotes() -> None:
    assert at_cursor("SELECT 'us|") is None
    assert at_cursor("SELECT 1 -- us|") is None
    assert at_cursor('SELECT "users"|') is None
    empty = at_cursor("SELECT 1 |")
    assert empty is not None and not empty.worth_showing


def test_an_empty_catalog_still_completes_keywords() -> None:
    assert texts("WH|", CompletionIndex(None)) == ["WHEN", "WHERE"]


def test_five_thousand_tables() -> None:
    relations = tuple(
        Relation("public", f"table_{i:04d}", "TABLE", tuple(Column(f"col_{j}", "integer") for j in range(8)))
        for i in range(5000)
    )
    index = CompletionIndex(Catalog("postgresql", ("public",), relations, ("count",)))
    assert texts("SELECT * FROM table_499|", index) == [f"table_{4990 + i}" for i in range(10)]
    assert texts("SELECT t.col_1| FROM table_0042 t", index) == ["col_1"]
    assert len(texts("SELECT * FROM t|", index)) == 100  # bounded: the popup scrolls
