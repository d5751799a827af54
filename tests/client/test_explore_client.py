"""QueryClient's explore calls (find, profile, frequency, derived_from) against the real service."""

from __future__ import annotations

import pytest

from tui.client import NotFound, SyncQueryClient
from tui.client.errors import FolioError
from tui.client.results import FindResult
from tui.wire import QueryStatus

PARENT = "SELECT i, CASE WHEN i = 900 THEN 'needle' ELSE 'hay' END AS s FROM range(1000) t(i)"


async def test_find_next_previous_and_continued(client):
    parent = await client.run(PARENT, initial_docs=10)
    assert await client.find(parent.query_id, "NEEDLE") == FindResult(900, "s", 900, False)
    assert await client.find(parent.query_id, "needle", start=901) == FindResult(None, None, 1000, True)
    assert (await client.find(parent.query_id, "needle", start=999, direction="prev")).match == 900
    assert (await client.find(parent.query_id, "needle", direction="prev")).match == 900  # from the end
    assert (await client.find(parent.query_id, "needle", start=899, direction="prev")).done
    assert (await client.find(parent.query_id, "^ne+dle$", regex=True, column="s")).match == 900
    assert (await client.find(parent.query_id, "Needle", case=True)).match is None
    assert (await client.find_all_the_way(parent.query_id, "needle")).match == 900
    with pytest.raises(FolioError) as caught:
        await client.find(parent.query_id, "x", column="nope")
    assert caught.value.status_code == 400


async def test_profile_and_frequency_are_derived_queries(client):
    parent = await client.run(PARENT, initial_docs=10)
    profile = await client.profile(parent.query_id)
    info = await client.wait(profile.query_id)
    assert info.status is QueryStatus.COMPLETED and info.derived_from == parent.query_id
    page = await client.page(profile.query_id, offset=0, docs=10)
    assert [r["column"] for r in page.rows] == ["i", "s"]
    frequency = await client.frequency(parent.query_id, "s")
    await client.wait(frequency.query_id)
    page = await client.page(frequency.query_id, offset=0, docs=10)
    assert [(r["value"], r["count"]) for r in page.rows] == [("hay", 999), ("needle", 1)]
    listed = {q.query_id: q.derived_from for q in await client.list()}
    assert listed[frequency.query_id] == parent.query_id and listed[parent.query_id] is None


async def test_result_sql_through_run(client):
    parent = await client.run(PARENT, initial_docs=10)
    result = await client.run(f"SELECT folio_row FROM result_rows('{parent.query_id}') WHERE s = 'needle'")
    assert result.rows == [{"folio_row": 900}]
    with pytest.raises(NotFound):
        await client.run("SELECT * FROM result('unknown:x:0')")


def test_sync_facade(live_service):
    with SyncQueryClient(live_service.base_url, live_service.api_key) as client:
        parent = client.run(PARENT, initial_docs=10)
        assert client.find(parent.query_id, "needle").match == 900
        profile = client.profile(parent.query_id)
        assert client.wait(profile.query_id).derived_from == parent.query_id
        frequency = client.frequency(parent.query_id, "i")
        assert client.wait(frequency.query_id).status is QueryStatus.COMPLETED
