"""The grid's page loading (tui/app/grid/page_loading.py): how often it asks again for a page
that failed, and which pages it fetches ahead, over a row source the test controls."""

from __future__ import annotations

from tests.app.grid.harness import COLUMNS, FlakySource, Ticks, grid_over
from tests.app.helpers import grid_lines, until
from tui.app.grid.page_loading import RETRY_MAX, retry_delay
from tui.app.grid.pages import RowPage


async def test_failed_page_retries_back_off_and_a_page_that_arrives_resets_them():
    ticks = Ticks()
    source = FlakySource(total=1_000)
    source.down = True
    async with grid_over(source, columns=COLUMNS, total=1_000, ticks=ticks, max_pages=2) as (pilot, grid):
        await until(pilot, lambda: grid.retry_delay(0) == 0.5)
        assert "Server unreachable · retrying in 0.5 s" in grid.border_subtitle
        assert "···" in "\n".join(grid_lines(grid))

        # each failure in a row doubles the wait; before it is over the page is not asked for
        for expected in (1, 2, 4, 8, 15, 15):
            asked = len(source.fetches)
            previous = grid.retry_delay(0)
            assert previous is not None
            ticks.now += previous - 0.01
            grid.refresh()
            await pilot.pause()
            assert len(source.fetches) == asked  # not yet
            ticks.now += 0.01
            grid.refresh()
            await until(pilot, lambda: grid.retry_delay(0) == expected)
            assert len(source.fetches) == asked + 1
            assert f"retrying in {expected:g} s" in grid.border_subtitle

        # the server is back: the next retry brings the rows, and the backoff is forgotten
        source.down = False
        ticks.now += RETRY_MAX
        grid.refresh()
        await until(pilot, lambda: grid.cache.row(0) is not None)
        assert grid.retry_delay(0) is None
        assert "row 0" in "\n".join(grid_lines(grid))
        assert "retrying" not in grid.border_subtitle

        # page 0 leaves the cache (two pages at most) and fails when asked for again: its wait
        # starts again from the first, short one
        for row in (500, 900):
            grid.go_to_row(row)
            await until(pilot, lambda: grid.cache.row(row) is not None)
        assert 0 not in grid.cache
        source.down = True
        grid.go_to_row(0)
        await until(pilot, lambda: grid.retry_delay(0) is not None)
        assert grid.retry_delay(0) == 0.5
        assert "retrying in 0.5 s" in grid.border_subtitle


async def test_the_last_page_is_fetched_before_end_is_pressed():
    """End at 10M rows took 110-138 ms, most of it the page fetched on the key: the first and
    the last page are fetched ahead when the query completes, so End and Home only paint."""
    source = FlakySource(total=100_000)
    async with grid_over(source, columns=COLUMNS, total=100_000) as (pilot, grid):
        await until(pilot, lambda: 0 in grid.cache)
        assert 99_900 not in source.fetches  # a result opened complete (a REST source, a view)
        grid.finish(100_000)  # what the app calls when its query completed
        await until(pilot, lambda: 999 in grid.cache)
        assert 99_900 in source.fetches  # the last page's offset, asked for without a key
        asked = len(source.fetches)
        await pilot.press("end")
        await pilot.pause()
        assert "row 99999" in "\n".join(grid_lines(grid))
        assert len(source.fetches) == asked  # End needed no request


async def test_retry_now_forgets_the_backoff():
    ticks = Ticks()
    source = FlakySource(total=1_000)
    source.down = True
    async with grid_over(source, columns=COLUMNS, total=1_000, ticks=ticks) as (pilot, grid):
        await until(pilot, lambda: grid.retry_delay(0) == 0.5)
        ticks.now += 0.5
        grid.refresh()
        await until(pilot, lambda: grid.retry_delay(0) == 1)
        asked = source.fetches.count(0)
        source.down = False
        grid.retry_now()  # what the app does when another request got through
        await until(pilot, lambda: grid.cache.row(0) is not None)
        assert source.fetches.count(0) == asked + 1  # (the last page is asked for too: End)
        assert grid.retry_delay(0) is None


def test_retry_delay_doubles_up_to_its_cap():
    assert [retry_delay(n) for n in range(1, 9)] == [0.5, 1, 2, 4, 8, 15, 15, 15]
    assert retry_delay(100_000) == RETRY_MAX  # a server down for days: no overflow


async def test_end_needs_no_request_when_the_last_screen_starts_on_the_page_before_a_short_last_one():
    """100,010 rows in pages of 100: the last page holds 10 rows, so the last screen shows the
    end of the page before it too; both are fetched when the query completes."""
    source = FlakySource(total=100_010)
    async with grid_over(source, columns=COLUMNS, total=100_010) as (pilot, grid):
        await until(pilot, lambda: 0 in grid.cache)
        grid.finish(100_010)
        await until(pilot, lambda: {999, 1000} <= set(grid.cache.indexes) and not grid.cache.in_flight)
        asked = len(source.fetches)
        await pilot.press("end")
        await pilot.pause()
        lines = grid_lines(grid)
        assert "row 100009" in lines[-1] and "row 99999" in "\n".join(lines)
        assert "···" not in "\n".join(lines)  # no placeholder: every row on screen was there
        assert len(source.fetches) == asked  # End needed no request


async def test_a_page_ahead_is_asked_for_only_once_the_keys_frame_is_painted():
    """Taking a page in (decoding, widths) costs milliseconds on the event loop: a page fetched
    ahead of the screen must not delay the frame of the key that made it wanted."""
    source = FlakySource(total=10_000)
    async with grid_over(source, columns=COLUMNS, total=10_000) as (pilot, grid):
        await until(pilot, lambda: 0 in grid.cache)
        grid.focus()
        # the frames handed to the driver, by the row at their top (the app's one place that
        # says "this was painted"; headless, the driver writes nothing)
        painted: list[int] = []
        app = pilot.app
        display = app._display

        def counting(screen, update):  # type: ignore[no-untyped-def]
            painted.append(int(grid.scroll_offset.y))
            display(screen, update)

        app._display = counting  # type: ignore[method-assign]
        painted_before: dict[int, list[int]] = {}
        fetch = source.fetch

        async def noted(offset: int, docs: int) -> RowPage:
            painted_before[offset] = list(painted)
            return await fetch(offset, docs)

        source.fetch = noted  # type: ignore[method-assign]
        while 100 not in painted_before:
            await pilot.press("pagedown")
            await pilot.pause()
        top = int(grid.scroll_offset.y)
        assert 0 < top < 100  # page 1 was asked for ahead of the screen…
        assert top in painted_before[100]  # …after the screen at its new place was painted
        await until(pilot, lambda: 1 in grid.cache)
