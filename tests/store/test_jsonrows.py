from __future__ import annotations

import json

import pyarrow as pa

from tui.engines.duckdb import DuckDBEngine
from tui.store.jsonrows import documents_json, iso_duration


def rows(sql: str) -> list[dict]:
    execution = DuckDBEngine().start(sql, {})
    batches = list(execution.batches())
    return json.loads(documents_json(pa.Table.from_batches(batches, schema=execution.schema)))


def test_every_duckdb_type_becomes_plain_json():
    (row,) = rows(
        """SELECT 1.50::DECIMAL(10,2) AS dec, 12::DECIMAL(38,0) AS whole,
        170141183460469231731687303715884105727::HUGEINT AS huge, [1, 2] AS list, {'a': 1, 'b': [true]} AS struct,
        TIMESTAMPTZ '2024-01-02 03:04:05.5+02' AS tz, TIMESTAMP '2024-01-02 03:04:05' AS ts, DATE '2024-05-06' AS d,
        TIME '12:00:01' AS t, INTERVAL '1 month 2 days 3 hours' AS iv, 'ab'::BLOB AS blob, '{"k": [1, {"x": null}]}'::JSON AS js,
        'not json'::VARCHAR AS s, NULL::INT AS n, 'nan'::DOUBLE AS nan, MAP([1], ['a']) AS m,
        '8c5b0a5e-3c1d-4f4e-9a57-000000000001'::UUID AS u, 'héllo 世界 🎉'::VARCHAR AS uni"""
    )
    assert row == {
        "dec": "1.50",
        "whole": 12,
        "huge": "170141183460469231731687303715884105727",
        "list": [1, 2],
        "struct": {"a": 1, "b": [True]},
        "tz": "2024-01-02T01:04:05.500000Z",
        "ts": "2024-01-02T03:04:05.000000",
        "d": "2024-05-06",
        "t": "12:00:01.000000",
        "iv": "P1M2DT3H",
        "blob": "YWI=",
        "js": {"k": [1, {"x": None}]},
        "s": "not json",
        "n": None,
        "nan": "NaN",
        "m": {"1": "a"},
        "u": "8c5b0a5e-3c1d-4f4e-9a57-000000000001",
        "uni": "héllo 世界 🎉",
    }


def test_no_rows_is_an_empty_array():
    assert rows("SELECT 1 AS x WHERE false") == []


def test_iso_durations():
    assert iso_duration() == "PT0S"
    assert iso_duration(months=14, days=1, nanoseconds=3_723_500_000_000) == "P1Y2M1DT1H2M3.5S"
    assert iso_duration(days=-2) == "-P2D"


TRICKY = """
SELECT * FROM (VALUES
  (1, 'plain', [1, NULL, 3], {'a': NULL, 'b': 'x"y'}, MAP(['k"1'], [1.5]), 12345678901234567890::HUGEINT, -0.0::DOUBLE,
   'inf'::DOUBLE, [[1], [], NULL], {'deep': {'deeper': [{'z': 'ok'}]}}, 123456789012345678::DECIMAL(18,0)),
  (2, E'tab\\tnew\\nline "quote" back\\\\slash \\x01 ctl', [], NULL, MAP([], []), NULL, 1e300::DOUBLE,
   'nan'::DOUBLE, NULL, {'deep': NULL}, NULL),
  (3, NULL, NULL, {'a': 5, 'b': NULL}, NULL, -170141183460469231731687303715884105727::HUGEINT, NULL,
   NULL, [[NULL]], NULL, -1::DECIMAL(18,0)),
  (4, '日本語 🎉 é', [42], {'a': 0, 'b': ''}, MAP(['x', 'y'], [NULL, 2.0]), 0::HUGEINT, 3.25, 1.0,
   [[2, 3]], {'deep': {'deeper': []}}, 0::DECIMAL(18,0))
) t(id, text, ints, struct, map, huge, d, special, nested, deep, dec)
"""


def test_fast_path_agrees_with_the_reference_path(monkeypatch):
    from tui.store import jsonrows
    from tui.store.jsonrows import dumps, to_documents

    monkeypatch.setattr(jsonrows, "FAST_PATH_MIN_ROWS", 0)  # these tables are small

    for sql in (TRICKY, "SELECT * FROM range(3) t(i)"):
        execution = DuckDBEngine().start(sql, {})
        table = pa.Table.from_batches(list(execution.batches()), schema=execution.schema)
        fast = json.loads(documents_json(table))
        reference = json.loads(dumps(to_documents(table)))
        assert fast == reference
        for offset in range(table.num_rows):  # slices carry offsets into nested buffers
            assert json.loads(documents_json(table.slice(offset, 2))) == reference[offset : offset + 2]


def test_demo_rows_agree_between_paths(tmp_path, monkeypatch):
    from tui.engines.demo import ensure_demo
    from tui.store import jsonrows
    from tui.store.jsonrows import dumps, to_documents

    monkeypatch.setattr(jsonrows, "FAST_PATH_MIN_ROWS", 0)

    execution = DuckDBEngine(ensure_demo(5000, tmp_path)).start("SELECT * FROM _events", {})
    table = pa.Table.from_batches(list(execution.batches()), schema=execution.schema)
    for offset in (0, 1234, 4990):
        piece = table.slice(offset, 1000)
        assert json.loads(documents_json(piece)) == json.loads(dumps(to_documents(piece)))


EDGE_VALUES = """
SELECT (2::UHUGEINT ** 127)::UHUGEINT AS u127, 340282366920938463463374607431768211455::UHUGEINT AS umax,
  5::UHUGEINT AS usmall, '12:34:56.5+05:30'::TIMETZ AS ttz, '23:00:00-08'::TIMETZ AS ttz2,
  MAP {[1, 2]: 'list key'} AS mlist, MAP {{'a': 1}: 2} AS mstruct, MAP {DATE '2020-01-01': 1} AS mdate,
  'nan'::DOUBLE AS n, 'inf'::FLOAT AS i, '-inf'::DOUBLE AS j, NULL::DOUBLE AS z,
  [1.5, 'nan'::DOUBLE, NULL] AS l, {'x': '-inf'::DOUBLE} AS st
"""


def test_values_that_used_to_come_out_wrong():
    (row,) = rows(EDGE_VALUES)
    assert row == {
        "u127": "170141183460469231731687303715884105728",  # was negative
        "umax": "340282366920938463463374607431768211455",  # was -1
        "usmall": 5,
        "ttz": "12:34:56.5+05:30",  # the offset was dropped
        "ttz2": "23:00:00-08",
        "mlist": {"[1,2]": "list key"},  # a non-scalar key made every page a 500
        "mstruct": {'{"a":1}': 2},
        "mdate": {"2020-01-01": 1},
        "n": "NaN",  # was null, like SQL NULL
        "i": "Infinity",
        "j": "-Infinity",
        "z": None,
        "l": [1.5, "NaN", None],
        "st": {"x": "-Infinity"},
    }


def test_the_edge_values_agree_between_paths(monkeypatch):
    from tui.store import jsonrows
    from tui.store.jsonrows import dumps, to_documents

    monkeypatch.setattr(jsonrows, "FAST_PATH_MIN_ROWS", 0)
    execution = DuckDBEngine().start(f"SELECT * FROM ({EDGE_VALUES}) UNION ALL SELECT * FROM ({EDGE_VALUES})", {})
    table = pa.Table.from_batches(list(execution.batches()), schema=execution.schema)
    reference = json.loads(dumps(to_documents(table)))
    assert json.loads(documents_json(table)) == reference
    assert reference[0]["umax"] == "340282366920938463463374607431768211455"
