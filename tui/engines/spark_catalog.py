"""A Spark source's catalog, read with Spark's own ``SHOW`` commands.

Spark Connect has no catalog views to ``SELECT`` from (no ``information_schema`` in open-source
Spark), so the reader runs, through the engine's ordinary sandboxed path:

* ``SHOW NAMESPACES``: the current catalog's namespaces, those the credentials may see, and
  ``SELECT current_database()``, which is listed first (normally ``default``);
* per namespace, ``SHOW TABLE EXTENDED IN ns LIKE '*'``: every table and view in one statement,
  each with an ``information`` text that holds its type, comment, statistics and its schema as
  Spark's ``treeString`` (parsed here back into Spark's type names, ``bigint``,
  ``array<string>``, ``struct<a:int>``, the names a query's ``column_fields`` show);
* ``SHOW FUNCTIONS``: built-in and the current namespace's functions.

So a read costs ``3 + namespaces`` statements, never one per table. Spark versions or catalogs
that cannot run ``SHOW TABLE EXTENDED`` (Spark 3.x on a v2 catalog such as Iceberg) get
``SHOW TABLES IN ns`` instead: the names, without columns.

Session temporary views are left out (they are listed in every namespace, and belong to one
session); row estimates come from the table's statistics where ``ANALYZE TABLE`` left some.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tui.catalog import Catalog, Column, Relation
from tui.engines.base import Engine, EngineError, SqlError
from tui.engines.catalog import select

#: listed next after the session's current namespace (normally the same)
DEFAULT_NAMESPACE = "default"

#: ``treeString``'s names for the types whose SQL name differs (``integer`` is ``int`` in SQL)
_SQL_TYPE_NAMES = {"byte": "tinyint", "short": "smallint", "integer": "int", "long": "bigint"}
#: one field of a ``treeString``: `` |-- name: type (nullable = true)``, deeper levels `` |    |-- …``
_TREE_LINE = re.compile(r"^ \|((?:    \|)*)-- (.*?)(?: \((?:nullable|containsNull|valueContainsNull) = \w+\))?$")
_SCHEMA_HEADER = "Schema: root\n"
_ROWS = re.compile(r"\b(\d+) rows\b")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: what Spark's ``escapeMetaCharacters`` writes for control characters in a field name
_ESCAPES = {"\\n": "\n", "\\r": "\r", "\\t": "\t", "\\f": "\f", "\\b": "\b", "\\v": "\v", "\\a": "\a"}
_ESCAPED = re.compile("|".join(re.escape(e) for e in _ESCAPES))


def read_spark_catalog(engine: Engine) -> Catalog:
    """The catalog of a Spark engine (see the module's docstring for what it runs)."""
    namespaces = [_namespace_parts(row[0]) for row in select(engine, "SHOW NAMESPACES")]
    # the session's own first: unqualified names resolve there (completion leaves it unwritten)
    current = _namespace_parts(select(engine, "SELECT current_database()")[0][0])
    namespaces.sort(key=lambda parts: (parts != current, parts != [DEFAULT_NAMESPACE], parts))
    schemas: list[str] = []
    relations: list[Relation] = []
    for parts in namespaces:
        schema = ".".join(parts)
        schemas.append(schema)
        relations.extend(_relations(engine, schema, ".".join(map(_quote, parts))))
    return Catalog(engine.name, tuple(schemas), tuple(relations), _functions(engine))


def _relations(engine: Engine, schema: str, namespace_sql: str) -> list[Relation]:
    try:
        rows = select(engine, f"SHOW TABLE EXTENDED IN {namespace_sql} LIKE '*'")
    except SqlError:  # not supported by this Spark or catalog: the names alone
        rows = [(*row[:3], None) for row in select(engine, f"SHOW TABLES IN {namespace_sql}")]
    found = [
        _relation(schema, str(name), information)
        for _, name, temporary, information in rows
        if not temporary  # the session's temporary views show up in every namespace
    ]
    return sorted(found, key=lambda relation: relation.name)


def _relation(schema: str, name: str, information: str | None) -> Relation:
    if information is None:
        return Relation(schema, name, "TABLE")
    head, columns = _split_information(information)
    kind = "VIEW" if "VIEW" in head.get("Type", "").upper() else "TABLE"
    rows = _ROWS.search(head.get("Statistics", ""))
    return Relation(schema, name, kind, columns, int(rows.group(1)) if rows else None, head.get("Comment"))


def _split_information(information: str) -> tuple[dict[str, str], tuple[Column, ...]]:
    """``SHOW TABLE EXTENDED``'s ``Key: value`` lines (the first of each key) and the columns of
    its ``Schema: root`` tree, which Spark writes last (so a comment cannot fake it)."""
    start = information.rfind("\n" + _SCHEMA_HEADER)
    head_text = information if start < 0 else information[:start]
    head: dict[str, str] = {}
    for line in head_text.splitlines():
        key, sep, value = line.partition(": ")
        if sep and key not in head:
            head[key] = value
    if start < 0:
        return head, ()
    tree = information[start + 1 + len(_SCHEMA_HEADER) :].splitlines()
    return head, tuple(Column(node.name, node.sql_type()) for node in _parse_tree(tree))


@dataclass
class _Field:
    """One node of a ``treeString``: a column, a struct field, an array's ``element`` or a map's
    ``key``/``value``, with the nodes below it."""

    name: str
    type_name: str
    children: list[_Field] = field(default_factory=list)

    def sql_type(self) -> str:
        """Spark's ``simpleString`` of the type: the tree only says ``array``, ``map``, ``struct``."""
        kids = self.children
        if self.type_name == "array" and len(kids) == 1:
            return f"array<{kids[0].sql_type()}>"
        if self.type_name == "map" and len(kids) == 2:
            return f"map<{kids[0].sql_type()},{kids[1].sql_type()}>"
        if self.type_name == "struct":
            return "struct<" + ",".join(f"{kid.name}:{kid.sql_type()}" for kid in kids) + ">"
        return _SQL_TYPE_NAMES.get(self.type_name, self.type_name)


def _parse_tree(lines: list[str]) -> list[_Field]:
    """The top-level fields of a ``treeString`` (its lines after ``root``), nested ones attached."""
    top: list[_Field] = []
    path: list[_Field] = []  # the open field at each depth
    for line in lines:
        match = _TREE_LINE.match(line)
        if match is None:
            break  # the blank line after the tree
        depth = match.group(1).count("|")
        name, sep, type_name = match.group(2).rpartition(": ")  # a name may hold ": ", a type never does
        if not sep or depth > len(path):
            break  # not a tree Spark wrote: keep what was read
        node = _Field(_ESCAPED.sub(lambda m: _ESCAPES[m.group(0)], name), type_name)
        del path[depth:]
        (path[-1].children if path else top).append(node)
        path.append(node)
    return top


def _namespace_parts(text: Any) -> list[str]:
    """``SHOW NAMESPACES`` writes a namespace as SQL (back-quoted where needed, ``a.`b c```):
    its name parts."""
    parts: list[str] = []
    current: list[str] = []
    text = str(text)
    i, quoted = 0, False
    while i < len(text):
        ch = text[i]
        if ch == "`":
            if quoted and text.startswith("``", i):
                current.append("`")
                i += 1
            else:
                quoted = not quoted
        elif ch == "." and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    parts.append("".join(current))
    return parts


def _quote(part: str) -> str:
    """Always back-quoted: a namespace called ``update`` or ``set`` passes the sandbox's word check."""
    return "`" + part.replace("`", "``") + "`"


def _functions(engine: Engine) -> tuple[str, ...]:
    """Function names for completion: plain identifiers only (no operators such as ``!=``), a
    catalog function (``spark_catalog.default.plus1``) by its own name, and none that the
    engine's sandbox would refuse (``reflect``, ``replace`` on a read-only source)."""
    names = {str(row[0]).rsplit(".", 1)[-1] for row in select(engine, "SHOW FUNCTIONS")}
    return tuple(sorted(name for name in names if _IDENTIFIER.match(name) and _runs(engine, name)))


def _runs(engine: Engine, function: str) -> bool:
    try:
        engine.check(f"SELECT {function}()")
    except EngineError:
        return False
    return True
