"""Query parameters: a plain ``{name: value}`` dict to Rockset ``QueryParameter`` triples.

The type of each parameter is inferred from its Python value exactly as the official ``rockset``
client's ``sql()`` does (``bool`` before ``int``, ``datetime`` before ``date``), and the value is
sent as ``str(value)``, so a server sees the same body from either client. folio also accepts
``None``, ``Decimal`` and ``time``, which the server's coercion understands.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

__all__ = ["parameter_type", "to_query_parameters"]


def parameter_type(value: Any) -> str:
    """The Rockset type name for ``value``; ``TypeError`` for a type Rockset has no name for."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, datetime):  # before date: a datetime is a date
        return "datetime"
    if isinstance(value, date):
        return "date"
    if isinstance(value, time):
        return "time"
    if isinstance(value, Decimal):
        return "decimal"
    raise TypeError(f"parameter value of type {type(value).__name__} is not supported")


def to_query_parameters(
    parameters: Mapping[str, Any] | Iterable[Mapping[str, Any]] | None,
) -> list[dict[str, Any]] | None:
    """``{"a": 1}`` → ``[{"name": "a", "type": "int", "value": "1"}]``.

    Already-built triples (dicts with ``name``/``type``/``value``) pass through unchanged, so a
    caller that needs an explicit type (``"2024-01-02"`` as a ``date``) can still say so.
    """
    if parameters is None:
        return None
    if isinstance(parameters, Mapping):
        return [
            {"name": str(name), "type": parameter_type(value), "value": None if value is None else str(value)}
            for name, value in parameters.items()
        ]
    triples = []
    for item in parameters:
        if not isinstance(item, Mapping) or "name" not in item:
            raise TypeError("parameters must be a mapping or a list of {name, type, value} mappings")
        triples.append({"name": item["name"], "type": item.get("type", "string"), "value": item.get("value")})
    return triples
