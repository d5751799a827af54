"""Column control and cell ranges in the real app over the real service (Pilot): jump by name,
hide / show, narrow / widen, move, freeze, saved per result and restored on re-open; shift+arrow
selections copied as TSV / CSV / Markdown; the row-number column that does not shift."""

from __future__ import annotations

from textual.app import App, ComposeResult

from tests.app.helpers import grid_lines, grid_text, run_sql, settle, until
from tui.app.grid import ResultsGrid
from tui.app.grid.pages import RowPage

SIZE = (100, 30)
SQL = "SELECT range AS i, 'row ' || range AS label, range * 2 AS doubled, range % 3 AS bucket FROM range(300)"


def header(app) -> str:
    return grid_lines(app.grid)[0]


def names(app) -> list[str]:
    return header(app).split()[1:]


async def test_jump_hide_show_resize_move_and_freeze(service, make_app):
    async with service.client() as client:
        app = make_app(client)
        async with app.run_test(size=SIZE) as pilot:
            await run_sql(pilot, SQL)
            grid = app.grid
            grid.focus()
            assert names(app) == ["i", "label", "doubled", "bucket"]

            # g: a fuzzy picker of the column names
            await pilot.press("g")
            await pilot.pause()
            assert type(app.screen).__name__ == "PickerScreen"
            await pilot.press(*"dbl", "enter")
            await settle(pilot)
            assert grid.columns[grid.cursor_col][0] == "doubled"

            # -: hidden, the cursor moves on; the picker still lists it and picking shows it
            await pilot.press("minus")
            await settle(pilot)
            assert names(app) == ["i", "label", "bucket"]
            assert grid.columns[grid.cursor_col][0] == "bucket"
            await pilot.press("g")
            await pilot.pause()
            await pilot.press(*"doubled", "enter")
            await settle(pilot)
            assert names(app) == ["i", "label", "doubled", "bucket"]
            await pilot.press("minus", "minus")
            await settle(pilot)
            assert names(app) == ["i", "label"]
            await pilot.press("plus")
            await settle(pilot)
            assert names(app) == ["i", "label", "doubled", "bucket"]

            # < >: the current column narrower / wider
            # (hiding the last column moved the cursor left, to label)
            assert grid.columns[grid.cursor_col][0] == "label"
            before = grid.column_width(grid.cursor_col)
            await pilot.press("greater_than_sign")
            assert grid.column_width(grid.cursor_col) == before + 4
            await pilot.press("less_than_sign", "less_than_sign")
            await settle(pilot)
            assert grid.column_width(grid.cursor_col) == before - 4
            assert " ro… " in grid_text(app)  # "row 10" cut to 3 cells, the last the ellipsis
            await pilot.press("greater_than_sign")  # back to the width its values need
            assert grid.column_layout.widths == {}

            # H L: move the column
            await pilot.press("L")
            await settle(pilot)
            assert names(app) == ["i", "doubled", "label", "bucket"]
            await pilot.press("H", "H")
            await settle(pilot)
            assert names(app) == ["label", "i", "doubled", "bucket"]
            assert grid.cursor_col == 1  # still on label

            # z: freeze up to the current column
            await pilot.press("right", "z")
            await settle(pilot)
            assert grid.column_layout.frozen == 2
            await pilot.press("z")
            assert grid.column_layout.frozen == 1


async def test_the_layout_is_saved_per_result_and_restored_on_reopen(service, make_app, tmp_path):
    async with service.client() as client:
        app = make_app(client)
        async with app.run_test(size=SIZE) as pilot:
            await run_sql(pilot, SQL)
            first = app.current.query_id
            app.grid.focus()
            await pilot.press("right", "minus", "L", "greater_than_sign")
            await settle(pilot)
            arranged = names(app)
            assert arranged == ["i", "bucket", "doubled"]
            await run_sql(pilot, SQL)  # another result: its own, default layout
            assert names(app) == ["i", "label", "doubled", "bucket"]
        assert (tmp_path / "state" / "columns.json").exists()

        # a new session re-opens the first result: arranged as it was left
        app = make_app(client, sidebar=True)
        async with app.run_test(size=(140, 40)) as pilot:
            await until(pilot, lambda: app.source is not None)
            app.refresh_queries()
            await settle(pilot)
            await pilot.press("f4", "end", "enter")
            await until(pilot, lambda: app.current is not None and app.current.query_id == first)
            await until(pilot, lambda: app.grid.cache.row(0) is not None)
            await settle(pilot)
            assert names(app) == arranged
            assert app.grid.column_layout.widths


async def test_select_a_range_and_copy_it_as_tsv_csv_or_markdown(service, make_app):
    async with service.client() as client:
        app = make_app(client)
        async with app.run_test(size=SIZE) as pilot:
            await run_sql(pilot, SQL)
            app.grid.focus()
            await pilot.press("down", "shift+down", "shift+down", "shift+right")
            await pilot.press("c")
            assert app.clipboard == "i\tlabel\n1\trow 1\n2\trow 2\n3\trow 3\n"
            await pilot.press("C")
            await pilot.pause()
            await pilot.press(*"mark", "enter")
            await settle(pilot)
            assert app.clipboard.splitlines() == [
                "| i | label |",
                "|---|---|",
                "| 1 | row 1 |",
                "| 2 | row 2 |",
                "| 3 | row 3 |",
            ]
            await pilot.press("C")
            await pilot.pause()
            await pilot.press(*"csv", "enter")
            await settle(pilot)
            assert app.clipboard == "i,label\n1,row 1\n2,row 2\n3,row 3\n"

            # a move without shift ends the selection: c copies the cell again
            await pilot.press("down", "c")
            assert app.grid.cell_range is None
            assert app.clipboard == "row 4"

            # Y: the current column's values on screen
            await pilot.press("Y")
            body = app.grid.body_height
            assert app.clipboard.splitlines() == [f"row {n}" for n in range(body)]


class OneSource:
    """Rows of a query that is still running until the test says it completed."""

    completed = False

    async def fetch(self, offset: int, docs: int) -> RowPage:
        rows = [{"i": i, "label": f"row {i}"} for i in range(offset, min(offset + docs, 120))]
        return RowPage(offset, rows, [("i", "BIGINT"), ("label", "VARCHAR")], running=not self.completed)


class GridApp(App[None]):
    def compose(self) -> ComposeResult:
        yield ResultsGrid(id="grid", page_size=100)


async def test_the_row_number_column_does_not_shift_when_a_query_completes():
    app = GridApp()
    async with app.run_test(size=(80, 20)) as pilot:
        grid = app.query_one(ResultsGrid)
        source = OneSource()
        grid.open(source, key="q", running=True, first=await source.fetch(0, 100))
        grid.grow(120)
        await pilot.pause()
        before = grid_lines(grid)[0]
        assert grid.running
        source.completed = True  # pages fetched from now on (finish() fetches the last) say so
        grid.finish(120)
        await pilot.pause()
        after = grid_lines(grid)[0]
        assert not grid.running
        # the same header, column for column: nothing moved right or left
        assert after == before
        assert [i for i, ch in enumerate(after) if ch != " "] == [i for i, ch in enumerate(before) if ch != " "]


async def test_export_what_i_see_writes_the_shown_columns_in_their_order(service, make_app, tmp_path):
    target = tmp_path / "seen.csv"
    async with service.client() as client:
        app = make_app(client, export_dir=tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await run_sql(pilot, SQL)
            app.grid.focus()
            await pilot.press("right", "minus", "L")  # label hidden, then doubled after bucket
            await settle(pilot)
            assert names(app) == ["i", "bucket", "doubled"]
            await pilot.press("e")
            await pilot.pause()
            box = app.screen.query_one("#export-shown")
            assert box.value and "3 shown columns of 4" in str(box.label)
            app.screen.query_one("#export-path").value = str(target)
            await pilot.press("enter")
            await until(pilot, lambda: target.exists(), timeout=60)
            await settle(pilot)
    lines = target.read_text().splitlines()
    assert lines[0].replace('"', "") == "i,bucket,doubled" and len(lines) == 301
    assert lines[5].replace('"', "") == "4,1,8"


async def test_export_offers_no_choice_when_every_column_is_shown(service, make_app):
    async with service.client() as client:
        app = make_app(client)
        async with app.run_test(size=SIZE) as pilot:
            await run_sql(pilot, SQL)
            app.grid.focus()
            await pilot.press("e")
            await pilot.pause()
            assert type(app.screen).__name__ == "ExportScreen"
            assert not app.screen.query("#export-shown")


LATE_SQL = (
    "SELECT range AS i, CASE WHEN range = 9999 THEN 'a much longer value, at the very end' ELSE 'x' END AS s "
    "FROM range(10000)"
)


async def test_columns_are_as_wide_as_the_longest_value_of_the_whole_result(service, make_app):
    async with service.client() as client:
        # the service measured every value it stored: the widths come with each page
        result = await client.run(LATE_SQL, initial_docs=10)
        page = await client.page(result.query_id, offset=20, docs=10)
        assert result.column_widths == page.column_widths == (4, 36)

        app = make_app(client)
        async with app.run_test(size=SIZE) as pilot:
            await run_sql(pilot, LATE_SQL)
            grid = app.grid
            await until(pilot, lambda: grid.total == 10_000)
            # sized before the last page was ever fetched, and it does not change on the way
            assert grid.column_width(1) == 36
            assert grid.cache.row(9_999) is None
            before = header(app)
            grid.focus()
            await pilot.press("end")
            await until(pilot, lambda: grid.cache.row(9_999) is not None)
            await settle(pilot)
            assert header(app) == before
            assert "a much longer value, at the very end" in grid_text(app)
