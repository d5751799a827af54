from __future__ import annotations

from datetime import date, datetime

import pytest

from tui.engines.base import ParameterError
from tui.engines.params import bind, coerce, rewrite


def test_rewrite_leaves_literals_comments_and_casts_alone():
    sql = "SELECT :a, ':b', \":c\", x::INT, $$ :d $$ -- :e\n, :f /* :g */, t.a:b"
    assert rewrite(sql, "dollar") == (
        "SELECT $a, ':b', \":c\", x::INT, $$ :d $$ -- :e\n, $f /* :g */, t.a:b",
        ["a", "f"],
    )
    text, names = rewrite("SELECT :a, '100%'", "pyformat")
    assert text == "SELECT %(a)s, '100%%'" and names == ["a"]
    assert rewrite("SELECT :a", "colon") == ("SELECT :a", ["a"])


def test_bind_requires_every_name():
    assert bind("SELECT :a + :a", {"a": 1, "unused": 2}, "dollar") == ("SELECT $a + $a", {"a": 1})
    with pytest.raises(ParameterError, match=":b"):
        bind("SELECT :a, :b", {"a": 1}, "dollar")


@pytest.mark.parametrize(
    "type_, value, expected",
    [
        ("int", "42", 42),
        ("float", "1.5", 1.5),
        ("bool", "True", True),
        ("boolean", "false", False),
        ("string", "x", "x"),
        ("date", "2024-01-02", date(2024, 1, 2)),
        ("datetime", "2024-01-02 03:04:05", datetime(2024, 1, 2, 3, 4, 5)),
        ("int", 7, 7),
        ("whatever", "v", "v"),
    ],
)
def test_coerce_reads_what_the_official_client_sends(type_, value, expected):
    assert coerce(type_, value) == expected


@pytest.mark.parametrize("type_, value", [("int", "x"), ("bool", "maybe"), ("date", "yesterday"), ("float", "")])
def test_coerce_rejects_values_that_do_not_fit(type_, value):
    with pytest.raises(ParameterError):
        coerce(type_, value)
