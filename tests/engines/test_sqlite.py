"""The SQLite engine against real SQLite database files."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest

from tui.engines import SourceError, open_engine
from tui.engines.base import Cancelled, ParameterError, SqlError, field_type_name
from tui.engines.sqlite import SQLiteEngine, first_keyword
from tui.engines.statements import StatementNotAllowed

# a statement that never ends on its own
ENDLESS = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT max(x) AS m FROM c"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "shop.sqlite"
    with sqlite3.connect(path) as conn:
        conn.executescript(
            """
            CREATE TABLE items (
                id INTEGER PRIMARY KEY, name VARCHAR(20), price DECIMAL(10,2), weight REAL,
                added DATETIME, photo BLOB, note
            );
            INSERT INTO items VALUES (1, 'pen', 10, 0.5, '2024-01-02 03:04:05', x'00ff', 'a');
            INSERT INTO items VALUES (2, 'ink', 10.25, 1, NULL, NULL, 7);
            INSERT INTO items VALUES (3, NULL, NULL, NULL, NULL, NULL, NULL);
            """
        )
    conn.close()
    return path


@pytest.fixture
def engine(db: Path) -> Iterator[SQLiteEngine]:
    yield SQLiteEngine(db)


def run(engine: SQLiteEngine, sql: str, params: dict | None = None) -> pa.Table:
    execution = engine.start(sql, params or {})
    try:
        batches = list(execution.batches())
        return pa.Table.from_batches(batches, schema=execution.schema)
    finally:
        execution.close()


# -- types --------------------------------------------------------------------------------------


def test_declared_types_name_columns_and_values_pick_arrow_types(engine: SQLiteEngine) -> None:
    table = run(engine, "SELECT *, id * 2 AS twice, upper(name) AS shout FROM items ORDER BY id")
    types = {f.name: (f.type, field_type_name(f)) for f in table.schema}
    assert types == {
        "id": (pa.int64(), "INTEGER"),
        "name": (pa.string(), "VARCHAR(20)"),
        "price": (pa.float64(), "DECIMAL(10,2)"),  # 10 is stored as an integer; 10.25 as a real
        "weight": (pa.float64(), "REAL"),
        "added": (pa.string(), "DATETIME"),
        "photo": (pa.binary(), "BLOB"),
        "note": (pa.string(), "TEXT"),  # undeclared, 'a' and 7: a mixed column is text
        "twice": (pa.int64(), "INTEGER"),  # an expression: named by its storage class
        "shout": (pa.string(), "TEXT"),
    }
    assert table.to_pylist() == [
        {
            "id": 1,
            "name": "pen",
            "price": 10.0,
            "weight": 0.5,
            "added": "2024-01-02 03:04:05",
            "photo": b"\x00\xff",
            "note": "a",
            "twice": 2,
            "shout": "PEN",
        },
        {
            "id": 2,
            "name": "ink",
            "price": 10.25,
            "weight": 1.0,
            "added": None,
            "photo": None,
            "note": "7",
            "twice": 4,
            "shout": "INK",
        },
        {
            "id": 3,
            "name": None,
            "price": None,
            "weight": None,
            "added": None,
            "photo": None,
            "note": None,
            "twice": 6,
            "shout": None,
        },
    ]


def test_all_null_first_batch_takes_the_declared_affinity(engine: SQLiteEngine) -> None:
    table = run(engine, "SELECT id, price, weight, photo, name FROM items WHERE id = 3")
    assert [f.type for f in table.schema] == [pa.int64(), pa.float64(), pa.float64(), pa.binary(), pa.string()]


def test_later_values_are_converted_when_nothing_is_lost(tmp_path: Path) -> None:
    path = tmp_path / "drift.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (n, r, s)")
        conn.executemany("INSERT INTO t VALUES (?, ?, ?)", [(i, i + 0.5, f"s{i}") for i in range(10)])
        conn.execute("INSERT INTO t VALUES (3.0, 4, 5)")  # integral real, integer, number
    conn.close()
    eng = SQLiteEngine(path, batch_rows=10)  # the first batch is rows 1-10
    table = run(eng, "SELECT n, r, s FROM t ORDER BY rowid")
    assert [f.type for f in table.schema] == [pa.int64(), pa.float64(), pa.string()]
    assert table.slice(10).to_pylist() == [{"n": 3, "r": 4.0, "s": "5"}]


def test_a_later_value_that_does_not_fit_fails_with_a_cast_hint(tmp_path: Path) -> None:
    path = tmp_path / "drift.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (n)")
        conn.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(10)] + [("eleven",)])
    conn.close()
    eng = SQLiteEngine(path, batch_rows=10)
    with pytest.raises(SqlError, match=r"column 'n'.*row 11.*CAST") as caught:
        run(eng, "SELECT n FROM t ORDER BY rowid")
    assert "'eleven'" in caught.value.message
    assert run(eng, "SELECT CAST(n AS TEXT) AS n FROM t ORDER BY rowid").column("n")[10].as_py() == "eleven"


# -- parameters ---------------------------------------------------------------------------------


def test_parameters_are_bound_by_sqlite(engine: SQLiteEngine) -> None:
    table = run(
        engine,
        "SELECT id, :name AS echo, ':name' AS lit FROM items WHERE name = :name OR id = :id",
        {"name": "ink'; DROP TABLE items; --", "id": 1},
    )
    assert table.to_pylist() == [{"id": 1, "echo": "ink'; DROP TABLE items; --", "lit": ":name"}]
    assert run(engine, "SELECT count(*) AS n FROM items").to_pylist() == [{"n": 3}]


def test_missing_parameter_is_a_parameter_error(engine: SQLiteEngine) -> None:
    with pytest.raises(ParameterError, match=":missing"):
        engine.start("SELECT :given, :missing", {"given": 1})


# -- cancel -------------------------------------------------------------------------------------


def test_cancel_interrupts_a_running_statement(engine: SQLiteEngine) -> None:
    execution = engine.start(ENDLESS, {})
    outcome: dict[str, BaseException] = {}
    started = threading.Event()

    def consume() -> None:
        started.set()
        try:
            list(execution.batches())
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    started.wait()
    execution.cancel()
    thread.join(30)
    assert not thread.is_alive()
    assert isinstance(outcome.get("error"), Cancelled)
    execution.close()


def test_timeout_by_cancel_from_a_timer(engine: SQLiteEngine) -> None:
    execution = engine.start(ENDLESS, {})
    timer = threading.Timer(0.1, execution.cancel)
    timer.start()
    with pytest.raises(Cancelled):
        list(execution.batches())
    timer.join()
    execution.close()


def test_cancel_before_the_statement_starts(engine: SQLiteEngine) -> None:
    execution = engine.start(ENDLESS, {})
    execution.cancel()
    with pytest.raises(Cancelled):
        list(execution.batches())
    execution.close()
    execution.cancel()  # after close: harmless


# -- errors -------------------------------------------------------------------------------------


def test_syntax_error_comes_back_from_start_with_its_position(engine: SQLiteEngine) -> None:
    with pytest.raises(SqlError, match='near "ORDR": syntax error') as caught:
        engine.start("SELECT id,\n  name\n  FROM items WHERE id = :id ORDR BY name", {"id": 1})
    assert (caught.value.line, caught.value.column) == (3, 29)


def test_unknown_column(engine: SQLiteEngine) -> None:
    with pytest.raises(SqlError, match="no such column: nope") as caught:
        engine.start("SELECT id,\n nope FROM items", {})
    assert (caught.value.line, caught.value.column) == (2, 2)


def test_one_statement_at_a_time(engine: SQLiteEngine) -> None:
    with pytest.raises(SqlError, match="one statement"):
        engine.start("SELECT 1; DELETE FROM items", {})


def test_first_keyword() -> None:
    assert first_keyword(" -- c\n/* x */ (SELECT 1)") == "select"
    assert first_keyword("explain query plan select 1") == "explain"


# -- read-only and writes -------------------------------------------------------------------------


def test_read_only_by_default(engine: SQLiteEngine, db: Path, tmp_path: Path) -> None:
    for sql, kind in (
        ("INSERT INTO items (id) VALUES (9)", "INSERT"),
        ("DELETE FROM items", "DELETE"),
        ("CREATE TABLE x (a)", "CREATE"),
        ("WITH n AS (SELECT 9) INSERT INTO items (id) SELECT * FROM n", "INSERT"),
        ("PRAGMA user_version = 3", "PRAGMA"),
    ):
        with pytest.raises(StatementNotAllowed, match=f"^{kind} statements are not allowed.*--allow-writes"):
            run(engine, sql)
    # mode=ro covers the main file only: ATTACH and VACUUM INTO would create another one
    other = tmp_path / "other.sqlite"
    with pytest.raises(StatementNotAllowed, match="ATTACH"):
        run(engine, f"ATTACH '{other}' AS o")
    with pytest.raises(StatementNotAllowed, match="VACUUM"):
        run(engine, f"VACUUM INTO '{other}'")
    assert run(engine, "PRAGMA table_info(items)").num_rows > 0  # reporting PRAGMAs still run
    assert run(engine, "SELECT * FROM pragma_table_info('items')").num_rows > 0
    assert not other.exists()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM items").fetchone() == (3,)
    conn.close()


def test_writes_with_allow_writes(db: Path) -> None:
    eng = SQLiteEngine(db, allow_writes=True)
    assert run(eng, "INSERT INTO items (id, name) VALUES (:id, :name)", {"id": 9, "name": "cup"}).num_columns == 0
    assert run(eng, "UPDATE items SET name = 'mug' WHERE id = 9 RETURNING name").to_pylist() == [{"name": "mug"}]
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT name FROM items WHERE id = 9").fetchone() == ("mug",)
    conn.close()


def test_explain_and_pragma(engine: SQLiteEngine) -> None:
    assert run(engine, "EXPLAIN QUERY PLAN SELECT * FROM items WHERE id = 1").num_rows >= 1
    assert "name" in run(engine, "PRAGMA table_info(items)").column("name").to_pylist()


# -- streaming ----------------------------------------------------------------------------------


def test_large_result_streams_in_bounded_batches(engine: SQLiteEngine) -> None:
    rows = 200_000
    execution = engine.start(
        "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < :rows)"
        " SELECT n, hex(randomblob(8)) AS tag FROM c",
        {"rows": rows},
    )
    sizes, expected = [], 1
    try:
        for batch in execution.batches():
            assert batch.column("n")[0].as_py() == expected
            expected += batch.num_rows
            sizes.append(batch.num_rows)
    finally:
        execution.close()
    assert sum(sizes) == rows
    assert max(sizes) <= engine.batch_rows
    assert len(sizes) >= rows // engine.batch_rows


def test_wide_rows_get_smaller_batches(engine: SQLiteEngine, db: Path) -> None:
    cap = 1 << 20
    eng = SQLiteEngine(db, batch_bytes=cap)
    execution = eng.start(
        "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 400)"
        " SELECT n, zeroblob(100000) AS blob FROM c",
        {},
    )
    batches = list(execution.batches())
    execution.close()
    assert sum(b.num_rows for b in batches) == 400
    assert all(b.nbytes <= cap for b in batches[1:])  # the first fetch is small but not sized yet


def test_concurrent_queries_each_get_their_own_connection(engine: SQLiteEngine) -> None:
    results: list[int] = []

    def one(i: int) -> None:
        results.append(run(engine, "SELECT count(*) + :i AS n FROM items", {"i": i}).column("n")[0].as_py())

    threads = [threading.Thread(target=one, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [3 + i for i in range(8)]


# -- opening ------------------------------------------------------------------------------------


def test_open_engine_dispatches_sqlite_files(db: Path, tmp_path: Path) -> None:
    eng = open_engine(str(db))
    assert isinstance(eng, SQLiteEngine) and eng.describe().endswith("(read-only)")
    with pytest.raises(SourceError, match="no such SQLite database"):
        open_engine(str(tmp_path / "absent.sqlite"))
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not a database, just some bytes" * 100)
    with pytest.raises(SourceError, match="cannot open"):
        open_engine(str(junk))
