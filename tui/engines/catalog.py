"""The source's catalog: its schemas, tables and views with their columns, and its SQL functions.

Each engine's catalog is read with folio's own SQL through the engine's ordinary
:meth:`~tui.engines.base.Engine.start` (the same connections, read-only sessions and sandbox as a
user's query), and only with reading statements over the engine's catalog: ``SELECT``s over
DuckDB's ``duckdb_*()`` functions, PostgreSQL's ``pg_catalog``, SQLite's ``sqlite_schema`` and
``pragma_table_info``; Spark's ``SHOW NAMESPACES``, ``SHOW TABLE EXTENDED`` and ``SHOW
FUNCTIONS`` (:mod:`tui.engines.spark_catalog`), which its sandbox admits as user SQL too. One
statement per kind of object (Spark: per namespace), never one per table, so a database with
thousands of tables answers in a few statements. Other engines have an empty catalog.

Row counts are the engine's cheap estimate where it keeps one (DuckDB ``estimated_size``,
PostgreSQL ``reltuples``, Spark's table statistics after ``ANALYZE TABLE``) and ``None``
otherwise: counting rows would scan every table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from tui.catalog import Catalog, Column, Relation
from tui.engines.base import Engine, EngineError

__all__ = ["Catalog", "CatalogError", "Column", "Relation", "read_catalog"]


class CatalogError(EngineError):
    """The engine's catalog could not be read."""


def select(engine: Engine, sql: str) -> list[tuple[Any, ...]]:
    """All rows of a catalog ``SELECT`` run through the engine's normal path (small results)."""
    execution = engine.start(sql, {})
    try:
        rows: list[tuple[Any, ...]] = []
        for batch in execution.batches():
            columns = [column.to_pylist() for column in batch.columns]
            rows.extend(zip(*columns, strict=True))
        return rows
    finally:
        execution.close()


def read_catalog(engine: Engine) -> Catalog:
    """The catalog of ``engine``, whichever engine it is."""
    reader = _READERS.get(engine.name)
    if reader is None:
        return Catalog(engine.name, (), ())
    try:
        return reader(engine)
    except EngineError as exc:
        raise CatalogError(f"cannot read the {engine.name} catalog: {exc.message}") from None


def _relations(tables: Iterable[tuple[Any, ...]], columns: Iterable[tuple[Any, ...]]) -> tuple[Relation, ...]:
    """Relations from ``(schema, name, kind, row_estimate, comment)`` rows and their
    ``(schema, name, column, type)`` rows (in column order)."""
    by_table: dict[tuple[str, str], list[Column]] = {}
    for schema, table, column, type_ in columns:
        by_table.setdefault((schema, table), []).append(Column(str(column), str(type_ or "")))
    return tuple(
        Relation(schema, name, kind, tuple(by_table.get((schema, name), ())), _estimate(estimate), comment)
        for schema, name, kind, estimate, comment in tables
    )


def _estimate(value: Any) -> int | None:
    """A row estimate, or None where the engine has none (PostgreSQL: -1 before any ANALYZE)."""
    return None if value is None or value < 0 else int(value)


# --- DuckDB ------------------------------------------------------------------------------------

_DUCKDB_SCHEMAS = """
SELECT schema_name FROM duckdb_schemas()
WHERE database_name = current_database() AND schema_name NOT IN ('information_schema', 'pg_catalog')
ORDER BY schema_name <> 'main', schema_name
"""
_DUCKDB_TABLES = """
SELECT schema_name, table_name, 'TABLE', estimated_size, comment FROM duckdb_tables()
WHERE database_name = current_database() AND NOT internal AND NOT temporary
UNION ALL
SELECT schema_name, view_name, 'VIEW', NULL, comment FROM duckdb_views()
WHERE database_name = current_database() AND NOT internal AND NOT temporary
ORDER BY 1, 2
"""
_DUCKDB_COLUMNS = """
SELECT schema_name, table_name, column_name, data_type FROM duckdb_columns()
WHERE database_name = current_database() AND NOT internal
ORDER BY schema_name, table_name, column_index
"""
_DUCKDB_FUNCTIONS = """
SELECT DISTINCT function_name FROM duckdb_functions()
WHERE function_type IN ('scalar', 'aggregate', 'macro', 'window', 'table', 'table_macro')
  AND function_name NOT LIKE '\\_\\_%' ESCAPE '\\' AND regexp_matches(function_name, '^[A-Za-z_][A-Za-z0-9_]*$')
ORDER BY 1
"""


def _duckdb(engine: Engine) -> Catalog:
    schemas = tuple(row[0] for row in select(engine, _DUCKDB_SCHEMAS))
    relations = _relations(select(engine, _DUCKDB_TABLES), select(engine, _DUCKDB_COLUMNS))
    functions = tuple(row[0] for row in select(engine, _DUCKDB_FUNCTIONS))
    return Catalog(engine.name, schemas, relations, functions)


# --- PostgreSQL -------------------------------------------------------------------------------

#: schemas of the system, never shown (``pg_temp_*`` and ``pg_toast_temp_*`` included)
_PG_HIDDEN = "n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'"
_PG_SCHEMAS = f"""
SELECT n.nspname FROM pg_catalog.pg_namespace n
WHERE {_PG_HIDDEN} AND has_schema_privilege(n.oid, 'USAGE')
ORDER BY n.nspname <> 'public', n.nspname
"""
#: one row per table or view, its columns (those the role may read) aggregated into two arrays
_PG_RELATIONS = f"""
SELECT n.nspname, c.relname, CASE WHEN c.relkind IN ('v', 'm') THEN 'VIEW' ELSE 'TABLE' END,
       CASE WHEN c.relkind IN ('r', 'p', 'm') THEN c.reltuples::int8 END, d.description,
       cols.names, cols.types
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN LATERAL (SELECT has_table_privilege(c.oid, 'SELECT') AS whole) p
LEFT JOIN pg_catalog.pg_description d
       ON d.objoid = c.oid AND d.classoid = 'pg_catalog.pg_class'::regclass AND d.objsubid = 0
LEFT JOIN LATERAL (
    SELECT array_agg(a.attname::text ORDER BY a.attnum) AS names,
           array_agg(format_type(a.atttypid, a.atttypmod) ORDER BY a.attnum) AS types
    FROM pg_catalog.pg_attribute a
    WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      AND (p.whole OR has_column_privilege(c.oid, a.attnum, 'SELECT'))
) cols ON true
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND {_PG_HIDDEN} AND NOT c.relispartition
  AND has_schema_privilege(n.oid, 'USAGE')
  AND (p.whole OR has_any_column_privilege(c.oid, 'SELECT'))
ORDER BY 1, 2
"""
_PG_FUNCTIONS = """
SELECT DISTINCT p.proname FROM pg_catalog.pg_proc p
WHERE p.prokind IN ('f', 'a', 'w') AND pg_function_is_visible(p.oid)
  AND p.proname ~ '^[a-z][a-z0-9_]*$' AND p.proname NOT LIKE 'pg\\_%'
ORDER BY 1
"""


def _postgres(engine: Engine) -> Catalog:
    schemas = tuple(row[0] for row in select(engine, _PG_SCHEMAS))
    relations = tuple(
        Relation(schema, name, kind, tuple(map(Column, names or (), types or ())), _estimate(estimate), comment)
        for schema, name, kind, estimate, comment, names, types in select(engine, _PG_RELATIONS)
    )
    functions = tuple(row[0] for row in select(engine, _PG_FUNCTIONS))
    return Catalog(engine.name, schemas, relations, functions)


# --- SQLite ----------------------------------------------------------------------------------

_SQLITE_TABLES = """
SELECT 'main', name, CASE type WHEN 'view' THEN 'VIEW' ELSE 'TABLE' END, NULL, NULL
FROM sqlite_schema WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
ORDER BY name
"""
_SQLITE_COLUMNS = """
SELECT 'main', m.name, p.name, p.type
FROM sqlite_schema m JOIN pragma_table_info(m.name) p
WHERE m.type IN ('table', 'view') AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
ORDER BY m.name, p.cid
"""
#: SQLite's core functions, for builds without ``pragma_function_list``
SQLITE_FUNCTIONS = [
    "abs",
    "avg",
    "changes",
    "char",
    "coalesce",
    "count",
    "date",
    "datetime",
    "format",
    "glob",
    "group_concat",
    "hex",
    "ifnull",
    "iif",
    "instr",
    "julianday",
    "last_insert_rowid",
    "length",
    "like",
    "likelihood",
    "likely",
    "lower",
    "ltrim",
    "max",
    "min",
    "nullif",
    "printf",
    "quote",
    "random",
    "randomblob",
    "replace",
    "round",
    "rtrim",
    "sign",
    "soundex",
    "sqlite_version",
    "strftime",
    "string_agg",
    "substr",
    "substring",
    "sum",
    "time",
    "total",
    "total_changes",
    "trim",
    "typeof",
    "unhex",
    "unicode",
    "unixepoch",
    "unlikely",
    "upper",
    "zeroblob",
    "json",
    "json_array",
    "json_extract",
    "json_group_array",
    "json_group_object",
    "json_object",
    "json_type",
    "json_valid",
    "row_number",
    "rank",
    "dense_rank",
    "ntile",
    "lag",
    "lead",
    "first_value",
    "last_value",
    "nth_value",
    "percent_rank",
    "cume_dist",
]


def _sqlite(engine: Engine) -> Catalog:
    relations = _relations(select(engine, _SQLITE_TABLES), select(engine, _SQLITE_COLUMNS))
    try:
        functions = {row[0] for row in select(engine, "SELECT DISTINCT name FROM pragma_function_list")}
    except EngineError:  # built without introspection pragmas
        functions = set()
    functions = {name for name in functions if name.isidentifier() and not name.startswith("sqlite_")}
    return Catalog(engine.name, ("main",), relations, tuple(sorted(functions | set(SQLITE_FUNCTIONS))))


# --- Spark -------------------------------------------------------------------------------------


def _spark(engine: Engine) -> Catalog:
    from tui.engines.spark_catalog import read_spark_catalog  # it uses this module's select()

    return read_spark_catalog(engine)


_READERS: dict[str, Callable[[Engine], Catalog]] = {
    "duckdb": _duckdb,
    "postgresql": _postgres,
    "sqlite": _sqlite,
    "spark": _spark,
}
