"""Profile and frequency tables of a stored result, as SQL over ``result('<id>')``.

Both are generated from the parent's schema and run as ordinary derived queries, so they are
stored, paged, listed and cancellable like any other query, and bounded in memory like every
query over stored results. Distinct counts and quantiles are DuckDB's approximate aggregates
(HyperLogLog, t-digest): exact ones would hold every value of a column in memory.
"""

from __future__ import annotations

import pyarrow as pa

from tui.engines.base import field_type_name

#: columns of a profile result, in order
PROFILE_COLUMNS = ("column", "type", "count", "nulls", "distinct_approx", "min", "max", "mean", "p25", "p50", "p75")
#: columns of a frequency result, in order
FREQUENCY_COLUMNS = ("value", "count", "percent", "low", "high")
#: about this many bins for a numeric or time column
BINS = 20


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _is_number(type_: pa.DataType) -> bool:
    return pa.types.is_integer(type_) or pa.types.is_floating(type_) or pa.types.is_decimal(type_)


def _is_decimal_text(field: pa.Field) -> bool:
    """A number an engine stored as its exact text (PostgreSQL ``numeric``): profiled and
    binned by its value, not as a string."""
    type_name = field_type_name(field).lower()
    return (pa.types.is_string(field.type) or pa.types.is_large_string(field.type)) and type_name.startswith(
        ("numeric", "decimal")
    )


def _is_time(type_: pa.DataType) -> bool:
    return pa.types.is_timestamp(type_) or pa.types.is_date(type_)


def _is_nested(type_: pa.DataType) -> bool:
    return pa.types.is_nested(type_)


def _text(expr: str, type_: pa.DataType) -> str:
    """``expr`` as the text a user reads: JSON for nested values, else DuckDB's own text."""
    if _is_nested(type_):
        return f"to_json({expr})::VARCHAR"
    return f"({expr})::VARCHAR"


def _orderable(type_: pa.DataType) -> bool:
    """Worth a min and max: not NULL-typed, and not nested (the least of a struct or list
    orders by its first field or element, says little, and cost a second per 10M rows)."""
    return not pa.types.is_null(type_) and not _is_nested(type_)


def profile_sql(query_id: str, schema: pa.Schema) -> str:
    """One row per column of the result ``query_id`` (whose schema is ``schema``), one scan."""
    source = f"result({literal(query_id)})"
    aggregates = ["count(*) AS n"]
    rows = []
    for k, field in enumerate(schema):
        col, type_ = ident(field.name), field.type
        aggregates += [f"count({col}) AS c{k}", f"approx_count_distinct({col}) AS d{k}"]
        decimal_text = _is_decimal_text(field)
        value = f"TRY_CAST({col} AS DOUBLE)" if decimal_text else col
        if decimal_text:  # the exact text of the smallest and largest value
            aggregates += [f"arg_min({col}, {value}) AS lo{k}", f"arg_max({col}, {value}) AS hi{k}"]
        elif _orderable(type_):
            aggregates += [f"{_text(f'min({col})', type_)} AS lo{k}", f"{_text(f'max({col})', type_)} AS hi{k}"]
        else:
            aggregates += [f"NULL::VARCHAR AS lo{k}", f"NULL::VARCHAR AS hi{k}"]
        if _is_number(type_) or decimal_text:
            aggregates.append(f"avg({value}::DOUBLE) AS m{k}")
            # one digest for the three quantiles: three calls cost three times as much
            aggregates.append(f"approx_quantile({value}, [0.25, 0.5, 0.75]) AS q{k}")
            quantiles = f"q{k}[1]::VARCHAR, q{k}[2]::VARCHAR, q{k}[3]::VARCHAR"
        else:
            aggregates.append(f"NULL::DOUBLE AS m{k}")
            quantiles = "NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR"
        rows.append(
            f"SELECT {k} AS k, {literal(field.name)}, {literal(field_type_name(field))}, c{k}, n - c{k}, d{k}, "
            f"lo{k}, hi{k}, m{k}, {quantiles} FROM s"
        )
    if not rows:  # a result without columns has an empty profile
        names = ", ".join(ident(c) for c in PROFILE_COLUMNS)
        empty = "NULL::VARCHAR, NULL::VARCHAR, 0::BIGINT, 0::BIGINT, 0::BIGINT, NULL::VARCHAR, NULL::VARCHAR, "
        empty += "NULL::DOUBLE, NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR"
        return f"SELECT * FROM (SELECT {empty}) t({names}) WHERE false"
    names = ", ".join(["k", *(ident(c) for c in PROFILE_COLUMNS)])
    return (
        f"WITH s AS MATERIALIZED (SELECT {', '.join(aggregates)} FROM {source})\n"
        f"SELECT * EXCLUDE (k) FROM ({' UNION ALL '.join(rows)}) AS p({names}) ORDER BY k"
    )


def frequency_sql(query_id: str, field: pa.Field) -> str:
    """How often each value of column ``field`` occurs in result ``query_id``: numbers and
    times in about :data:`BINS` bins of a round width, ordered by bin; other values by count."""
    source = f"result({literal(query_id)})"
    col, type_ = ident(field.name), field.type
    if _is_number(type_) or _is_decimal_text(field):
        return _numeric_bins(source, col, integral=pa.types.is_integer(type_))
    if _is_time(type_):
        return _time_bins(source, col, type_)
    return (
        f"SELECT {_text('v', type_)} AS value, n AS count, n * 100.0 / sum(n) OVER () AS percent, "
        f"NULL::VARCHAR AS low, NULL::VARCHAR AS high "
        f"FROM (SELECT {col} AS v, count(*) AS n FROM {source} GROUP BY ALL) "
        f"ORDER BY count DESC, value NULLS LAST"
    )


def _numeric_bins(source: str, col: str, *, integral: bool) -> str:
    step = "mag * CASE WHEN raw / mag <= 1 THEN 1 WHEN raw / mag <= 2 THEN 2 WHEN raw / mag <= 5 THEN 5 ELSE 10 END"
    least = "1.0" if integral else "0.0"
    # the bounds as text: no more decimals than the step has, integers without any
    fmt = "CASE WHEN digits = 0 THEN round({x})::HUGEINT::VARCHAR ELSE round({x}, digits)::VARCHAR END"
    return f"""
WITH src AS (SELECT TRY_CAST({col} AS DOUBLE) AS x FROM {source}),
b AS MATERIALIZED (
    SELECT min(x) FILTER (WHERE isfinite(x)) AS lo, max(x) FILTER (WHERE isfinite(x)) AS hi FROM src),
r AS MATERIALIZED (
    SELECT lo, hi, (hi - lo) / {BINS} AS raw,
           CASE WHEN hi > lo THEN pow(10, floor(log10((hi - lo) / {BINS}))) END AS mag FROM b),
s AS MATERIALIZED (
    SELECT greatest(coalesce({step}, 1.0), {least}) AS step FROM r),
d AS MATERIALIZED (SELECT step, greatest(0, -floor(log10(step)))::INTEGER AS digits FROM s),
g AS (
    SELECT CASE WHEN isfinite(x) THEN floor(x / d.step) * d.step END AS bin,
           CASE WHEN NOT isfinite(x) THEN x::VARCHAR END AS other,
           count(*) AS n
    FROM src, d GROUP BY ALL)
SELECT CASE WHEN bin IS NULL THEN other
            ELSE '[' || {fmt.format(x="bin")} || ', ' || {fmt.format(x="bin + step")} || ')' END AS value,
       n AS count, n * 100.0 / sum(n) OVER () AS percent,
       CASE WHEN bin IS NOT NULL THEN {fmt.format(x="bin")} END AS low,
       CASE WHEN bin IS NOT NULL THEN {fmt.format(x="bin + step")} END AS high
FROM g, d ORDER BY bin NULLS LAST, other NULLS LAST"""


_TIME_UNITS = (  # (longer than this many seconds, bin unit, label format)
    (3 * 366 * 86400, "year", "%Y"),
    (90 * 86400, "month", "%Y-%m"),
    (3 * 86400, "day", "%Y-%m-%d"),
    (3 * 3600, "hour", "%Y-%m-%d %H:00"),
    (3 * 60, "minute", "%Y-%m-%d %H:%M"),
)


def _time_bins(source: str, col: str, type_: pa.DataType) -> str:
    if pa.types.is_date(type_):
        sql_type = "DATE"
    elif type_.tz:
        sql_type = "TIMESTAMPTZ"
    else:
        sql_type = "TIMESTAMP"
    as_ts = "TIMESTAMPTZ" if sql_type == "TIMESTAMPTZ" else "TIMESTAMP"
    unit = " ".join(f"WHEN span > {s} THEN '{u}'" for s, u, _ in _TIME_UNITS)
    label = " ".join(f"WHEN '{u}' THEN strftime(bin, '{f}')" for _, u, f in _TIME_UNITS)
    step = " ".join(f"WHEN '{u}' THEN INTERVAL 1 {u.upper()}" for _, u, _ in _TIME_UNITS)
    kw = "TIMESTAMPTZ" if sql_type == "TIMESTAMPTZ" else sql_type
    return f"""
WITH src AS (SELECT {col}::{as_ts} AS x FROM {source}),
b AS MATERIALIZED (SELECT epoch(max(x)) - epoch(min(x)) AS span FROM src),
u AS MATERIALIZED (SELECT CASE {unit} ELSE 'second' END AS unit FROM b),
g AS (SELECT date_trunc(u.unit, x) AS bin, count(*) AS n FROM src, u GROUP BY ALL),
h AS (SELECT bin, bin + CASE u.unit {step} ELSE INTERVAL 1 SECOND END AS bin_end, n, u.unit FROM g, u)
SELECT CASE WHEN bin IS NULL THEN NULL
            ELSE CASE unit {label} ELSE strftime(bin, '%Y-%m-%d %H:%M:%S') END END AS value,
       n AS count, n * 100.0 / sum(n) OVER () AS percent,
       CASE WHEN bin IS NOT NULL THEN '{kw} ''' || CAST(bin AS {sql_type})::VARCHAR || '''' END AS low,
       CASE WHEN bin IS NOT NULL THEN '{kw} ''' || CAST(bin_end AS {sql_type})::VARCHAR || '''' END AS high
FROM h ORDER BY bin NULLS LAST"""
