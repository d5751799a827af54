"""``client.lambdas`` against the real service: save (and save again), list, execute, page, delete."""

from __future__ import annotations

import pytest

from tui.client import InvalidInput, NotFound


async def test_save_twice_makes_versions_and_execute_pages_like_a_query(client):
    first = await client.lambdas.save(
        "upto", "SELECT i FROM range(:n) t(i) ORDER BY i", default_parameters={"n": 5}, workspace="mine"
    )
    assert first.sql.default_parameters[0].model_dump() == {"name": "n", "type": "int", "value": "5"}
    second = await client.lambdas.save(
        "upto", "SELECT i * 10 AS i FROM range(:n) t(i) ORDER BY i", default_parameters={"n": 3}, workspace="mine"
    )
    assert second.version != first.version
    versions = await client.lambdas.versions("upto", workspace="mine")
    assert [v.version for v in versions] == [second.version, first.version]
    (listed,) = await client.lambdas.list()
    assert (listed.workspace, listed.name, listed.version_count) == ("mine", "upto", 2)
    assert listed.latest_version.parameters == ["n"]  # folio extension, kept as an extra field

    result = await client.lambdas.execute("upto", workspace="mine", parameters={"n": 25}, initial_docs=10)
    assert result.total == 25 and [r["i"] for r in result.rows] == [i * 10 for i in range(10)]
    page = await client.page(result.query_id, offset=20, docs=10)
    assert [r["i"] for r in page.rows] == [i * 10 for i in range(20, 25)]
    info = await client.info(result.query_id)
    assert info.query_lambda_path == f"mine.upto::{second.version}"
    old = await client.lambdas.execute("upto", workspace="mine", version=first.version)
    assert [r["i"] for r in old.rows] == [0, 1, 2, 3, 4]
    untyped = await client.lambdas.execute("upto", workspace="mine", parameters=[{"name": "n", "value": "2"}])
    assert [r["i"] for r in untyped.rows] == [0, 10]  # the default's type (int) applies

    deleted = await client.lambdas.delete("upto", workspace="mine")
    assert deleted.name == "upto"
    with pytest.raises(NotFound):
        await client.lambdas.execute("upto", workspace="mine")


async def test_bad_sql_and_missing_parameters_are_input_errors(client):
    with pytest.raises(InvalidInput, match="does not parse"):
        await client.lambdas.save("bad", "SELECT FROM WHERE")
    await client.lambdas.save("needs", "SELECT :a AS a")
    with pytest.raises(InvalidInput, match=":a"):
        await client.lambdas.execute("needs")
    with pytest.raises(ValueError):
        await client.lambdas.execute("needs", tag="t", version="v")
