"""The lambda store on its own: versions, the computed ``latest``, tags, orgs, reopening."""

from __future__ import annotations

import sqlite3

import pytest

from tests.conftest import FakeClock
from tui.store.lambdas import InvalidLambda, LambdaExists, LambdaNotFound, LambdaStore, Parameter
from tui.store.registry import Registry


@pytest.fixture
def path(tmp_path):
    return tmp_path / "registry.sqlite3"


def _save(store: LambdaStore, name="q", sql="SELECT :a", org="o", workspace="commons", **kwargs):
    if kwargs.pop("update", False):
        return store.update(
            org,
            workspace,
            name,
            sql=sql,
            parameters=None,
            description=None,
            is_public=False,
            user="u",
            create=kwargs.pop("create", False),
        )
    return store.create(
        org,
        workspace,
        name,
        sql=sql,
        parameters=[Parameter("a", "int", "1")],
        description=None,
        is_public=False,
        user="u",
    )


def test_versions_latest_and_tags(path):
    clock = FakeClock()
    store = LambdaStore(path, clock=clock)
    v1 = _save(store)
    clock.advance(seconds=1)
    v2 = _save(store, sql="SELECT :a + 1", update=True)
    # a new sql object replaces the old one, defaults and all; without one both are kept
    assert v2.seq == 2 and v2.default_parameters == ()
    kept = _save(store, sql=None, update=True)
    assert (kept.sql, kept.default_parameters) == ("SELECT :a + 1", ())
    store.delete_version("o", "commons", "q", kept.version)
    assert store.resolve_tag("o", "commons", "q", "latest") == v2
    store.set_tag("o", "commons", "q", "stable", v1.version)
    store.set_tag("o", "commons", "q", "stable", v2.version)  # an upsert
    assert [(t, v.version) for t, v in store.tags("o", "commons", "q")] == [
        ("latest", v2.version),
        ("stable", v2.version),
    ]
    store.delete_version("o", "commons", "q", v2.version)
    assert store.resolve_tag("o", "commons", "q", "latest") == v1
    with pytest.raises(LambdaNotFound, match="no tag 'stable'"):
        store.resolve_tag("o", "commons", "q", "stable")
    with pytest.raises(InvalidLambda):
        store.set_tag("o", "commons", "q", "latest", v1.version)
    with pytest.raises(LambdaExists):
        _save(store)
    store.delete_version("o", "commons", "q", v1.version)
    with pytest.raises(LambdaNotFound, match="not found"):
        store.get("o", "commons", "q")
    store.close()


def test_orgs_are_apart_and_everything_survives_reopening(path):
    store = LambdaStore(path, clock=FakeClock())
    mine = _save(store, workspace="reports")
    theirs = _save(store, org="other", workspace="reports")
    assert mine.version != theirs.version
    assert [q.latest.version for q in store.list("o")] == [mine.version]
    assert not store.workspace_exists("other-org", "reports") and store.workspace_exists("o", "reports")
    assert store.workspace_exists("anyone", "commons")
    store.close()
    again = LambdaStore(path, clock=FakeClock())
    assert again.version("o", "reports", "q", mine.version) == mine
    with pytest.raises(LambdaNotFound):
        again.version("o", "reports", "q", theirs.version)
    again.close()


def test_shares_the_registry_file_and_an_old_registry_gains_its_tables(path):
    old = sqlite3.connect(path)
    old.execute(
        "CREATE TABLE queries (query_id TEXT PRIMARY KEY, org TEXT NOT NULL, executed_by TEXT NOT NULL,"
        " sql TEXT NOT NULL, status TEXT NOT NULL, directory TEXT NOT NULL, submitted_at REAL NOT NULL,"
        " started_at REAL, finished_at REAL, expires_at REAL, row_count INTEGER, byte_size INTEGER,"
        " file_count INTEGER, elapsed_ms INTEGER, error TEXT, columns TEXT)"
    )
    old.close()
    registry = Registry(path)
    store = LambdaStore(path, clock=FakeClock())
    _save(store)
    columns = {row[1] for row in sqlite3.connect(path).execute("PRAGMA table_info(queries)")}
    assert "query_lambda_path" in columns
    store.close()
    registry.close()
