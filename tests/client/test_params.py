"""Parameters are typed exactly as the official rockset client types them."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

import pytest
from rockset.rockset_client import convert_to_rockset_type

from tui.client.params import parameter_type, to_query_parameters

SAMPLES = [1, "x", True, False, 1.5, datetime(2024, 1, 2, 3, 4, 5), date(2024, 1, 2), 0, ""]


@pytest.mark.parametrize("value", SAMPLES, ids=repr)
def test_type_names_match_the_official_client(value):
    assert parameter_type(value) == convert_to_rockset_type(value)


def test_dict_becomes_triples_with_string_values_like_rs_sql():
    got = to_query_parameters(
        {"a": 1, "b": "x", "c": True, "d": 1.5, "e": datetime(2024, 1, 2, 3, 4, 5), "f": date(2024, 1, 2)}
    )
    assert got == [
        {"name": "a", "type": "int", "value": "1"},
        {"name": "b", "type": "string", "value": "x"},
        {"name": "c", "type": "bool", "value": "True"},
        {"name": "d", "type": "float", "value": "1.5"},
        {"name": "e", "type": "datetime", "value": "2024-01-02 03:04:05"},
        {"name": "f", "type": "date", "value": "2024-01-02"},
    ]


def test_folio_extensions_and_explicit_triples():
    got = to_query_parameters({"n": None, "d": Decimal("1.10"), "t": time(1, 2, 3)})
    assert got == [
        {"name": "n", "type": "null", "value": None},
        {"name": "d", "type": "decimal", "value": "1.10"},
        {"name": "t", "type": "time", "value": "01:02:03"},
    ]
    explicit = [{"name": "d", "type": "date", "value": "2024-01-02"}]
    assert to_query_parameters(explicit) == explicit
    assert to_query_parameters({}) == [] and to_query_parameters(None) is None


def test_unsupported_values_are_refused():
    with pytest.raises(TypeError):
        to_query_parameters({"x": object()})
    with pytest.raises(TypeError):
        to_query_parameters(["not a mapping"])  # type: ignore[list-item]
