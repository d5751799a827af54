"""The SQL the app writes: a filter built from a value the grid shows must keep exactly the
rows holding that value. Checked against the real service: values as the client decodes
them from pages, predicates run by ``result()`` in its DuckDB."""

from __future__ import annotations

import pytest

from tui.app.views.sql import (
    LiteralError,
    equals,
    filter_sql,
    in_range,
    label_value,
    literal,
    parse_view_sql,
    quote_ident,
    sort_sql,
    text_equals,
)

#: three rows, each column's values distinct between them (NULL in one row)
TYPED = """\
SELECT * FROM (VALUES
  (1, 10::BIGINT, 170141183460469231731687303715884105727::HUGEINT, 0.1 + 0.2, 1.1::REAL, 12.345::DECIMAL(18,3),
   'it''s "quoted"', 'ünï ✓ 中文', TIMESTAMP '2026-01-01 10:00:00.123456', TIMESTAMPTZ '2026-01-01 10:00:00+02',
   DATE '2026-01-01', TIME '10:00:00.5', true, '6f1c1ef6-1a5e-4b55-9d58-9a8a1c0e0001'::UUID,
   INTERVAL '1 year 2 months 3 days 04:05:06.5', 'a\\x00b'::BLOB, {'id': 'x', 'n': [1, 2]}, [1.5, 2.5]),
  (2, -10::BIGINT, (-170141183460469231731687303715884105727)::HUGEINT - 1, 1e300, -1.1::REAL, -0.001::DECIMAL(18,3),
   '', 'x', TIMESTAMP '1970-01-01 00:00:00', TIMESTAMPTZ '1999-12-31 23:59:59.999+00',
   DATE '1900-02-28', TIME '00:00:00', false, '6f1c1ef6-1a5e-4b55-9d58-9a8a1c0e0002'::UUID,
   INTERVAL '-1 day', ''::BLOB, {'id': 'it''s', 'n': []}, []),
  (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)
) AS t(
  "row", "big int", huge, dbl, "réal", "dec""imal", "str", "unicode ✓", ts, tstz, d, t, b, u, iv, bl, st, l
)"""


def test_identifiers_are_quoted_whatever_they_hold():
    assert quote_ident("amount") == '"amount"'
    assert quote_ident('a "b" c') == '"a ""b"" c"'
    assert quote_ident("select") == '"select"'


def test_literals_of_plain_values():
    assert literal("it's", "VARCHAR") == "'it''s'"
    assert literal(42, "BIGINT") == "42"
    assert literal(True, "BOOLEAN") == "TRUE"
    assert literal(None, "VARCHAR") == "NULL"
    assert literal(0.1, "DOUBLE") == "CAST('0.1' AS DOUBLE)"
    assert literal("2026-01-01T00:00:07.500000", "TIMESTAMP") == "CAST('2026-01-01T00:00:07.500000' AS TIMESTAMP)"
    assert literal("P1DT2H", "INTERVAL") == "CAST('1 days 2 hours' AS INTERVAL)"
    with pytest.raises(LiteralError):
        literal(float("inf"), "DOUBLE")


def test_predicates_and_queries():
    assert equals("odd name", "VARCHAR", None) == '"odd name" IS NULL'
    assert text_equals("n", "INTEGER", "5") == "CAST(\"n\" AS VARCHAR) = '5'"
    assert text_equals("s", "VARCHAR", "a'b") == "\"s\" = 'a''b'"
    assert in_range("x", "10", "20") == '"x" >= 10 AND "x" < 20'
    assert filter_sql("q'1", "TRUE", numbered=False) == "SELECT * FROM result_rows('q''1') WHERE (TRUE)"
    assert filter_sql("q", "TRUE", numbered=True) == "SELECT * FROM result('q') WHERE (TRUE)"
    assert sort_sql("q", "a", descending=True, numbered=False) == (
        'SELECT * FROM result_rows(\'q\') ORDER BY "a" DESC NULLS LAST, "folio_row"'
    )
    assert label_value("US", "VARCHAR") == "'US'"
    assert label_value(12, "INTEGER") == "12"
    assert label_value("x" * 50, "VARCHAR").endswith("…")


def test_the_views_the_app_writes_read_back_with_parent_and_label():
    predicate = equals("kind", "VARCHAR", 'say "x" it\'s')
    shape = parse_view_sql(filter_sql("q'1", predicate, numbered=False))
    assert shape is not None and (shape.kind, shape.parent) == ("filter", "q'1")
    assert shape.label == "kind = 'say \"x\" it''s'"  # the name unquoted, the string as written
    odd = parse_view_sql(filter_sql("q", equals("odd name", "VARCHAR", None), numbered=True))
    assert odd is not None and odd.label == '"odd name" IS NULL'
    down = parse_view_sql(sort_sql("q", 'a "b"', descending=True, numbered=True))
    assert down is not None and (down.kind, down.parent, down.label) == ("sort", "q", 'sorted by a "b" ↓')
    up = parse_view_sql(sort_sql("q", "amount", descending=False, numbered=False))
    assert up is not None and up.label == "sorted by amount ↑"
    # SQL a user wrote: their folio_row is theirs to see
    assert parse_view_sql("SELECT * FROM result_rows('q')") is None
    assert parse_view_sql("SELECT folio_row FROM result_rows('q') WHERE (a)") is None
    assert parse_view_sql("") is None


async def test_a_filter_on_a_shown_value_keeps_exactly_its_rows(service):
    async with service.client() as client:
        parent = await client.run(TYPED)
        columns = [(c.name, c.type) for c in parent.columns]
        assert len(parent.rows) == 3
        checked = 0
        for row in parent.rows:
            for name, type_name in columns:
                if name == "row":
                    continue
                predicate = equals(name, type_name, row[name])
                answer = await client.run(
                    f'SELECT list("row" ORDER BY "row") AS rows FROM result(\'{parent.query_id}\') WHERE {predicate}'
                )
                assert answer.rows[0]["rows"] == [row["row"]], (name, type_name, row[name], predicate)
                checked += 1
        assert checked == 3 * (len(columns) - 1)


async def test_a_frequency_label_filters_its_value(service):
    async with service.client() as client:
        parent = await client.run("SELECT * FROM (VALUES (true, 'a'), (false, 'b'), (NULL, 'c')) t(b, s)")
        for text, expected in (("true", "a"), ("false", "b"), (None, "c")):
            answer = await client.run(
                f"SELECT s FROM result('{parent.query_id}') WHERE {text_equals('b', 'BOOLEAN', text)}"
            )
            assert [r["s"] for r in answer.rows] == [expected]


async def test_each_frequency_row_filters_exactly_its_rows(service):
    """Enter on a frequency row: the filter keeps as many rows as the row counts, for every
    type (values, binned numbers and times, nested values as JSON, NULL)."""
    async with service.client() as client:
        # every column of TYPED, 1e300, the largest HUGEINTs and non-ASCII names included
        parent = await client.run(TYPED)
        columns = [(c.name, c.type) for c in parent.columns]
        for name, type_name in columns:
            started = await client.frequency(parent.query_id, name)
            await client.wait(started.query_id, timeout=30)
            table = await client.page(started.query_id, offset=0, docs=100)
            assert table.rows, name
            for row in table.rows:
                if row["low"] is not None and row["high"] is not None:
                    predicate = in_range(name, row["low"], row["high"])
                else:
                    predicate = text_equals(name, type_name, row["value"])
                answer = await client.run(f"SELECT count(*) AS n FROM result('{parent.query_id}') WHERE {predicate}")
                assert answer.rows[0]["n"] == row["count"], (name, type_name, row, predicate)
