"""Pilot tests of query lambdas in the app: the sidebar's Saved tab runs one with parameters
(the result pages in the grid and appears under Queries), and ctrl+s saves the editor's
statement as one (again: a new version)."""

from __future__ import annotations

from textual.widgets import Input, OptionList, TabbedContent

from tests.app.conftest import page_requests
from tests.app.helpers import grid_text, settle, sidebar_text, status_text, until
from tui.app.editor.params import ParamsScreen
from tui.app.lambdas import SaveLambdaScreen
from tui.app.sidebar.saved import SavedLambdas

SIZE = (120, 36)
SQL = "SELECT range AS i, 'row ' || range AS label FROM range(:n) WHERE range >= :lo"


async def _show_saved(pilot) -> SavedLambdas:
    app = pilot.app
    app.action_focus_sidebar()
    app.sidebar.query_one(TabbedContent).active = "saved-tab"
    saved = app.sidebar.query_one(SavedLambdas)
    await until(pilot, lambda: saved.loaded)
    await settle(pilot)
    return saved


def _saved_text(saved: SavedLambdas) -> str:
    option_list = saved.query_one(OptionList)
    return "\n".join(str(option_list.get_option_at_index(i).prompt) for i in range(option_list.option_count))


async def test_the_saved_tab_runs_a_lambda_with_parameters_and_pages_it(service, make_app):
    async with service.client() as client:
        await client.lambdas.save("numbers", SQL, default_parameters={"n": 5000, "lo": 0})
        await client.lambdas.save("hello", "SELECT 'hi' AS greeting", workspace="reports")
        app = make_app(client, sidebar=True, page_size=1000)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            saved = await _show_saved(pilot)
            text = _saved_text(saved)
            assert "numbers v1" in text and ":n=5000 :lo=0" in text
            assert "reports.hello v1" in text and "no parameters" in text

            saved.query_one(OptionList).focus()
            saved.query_one(OptionList).highlighted = 0  # commons.numbers sorts first
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, ParamsScreen))
            form = app.screen
            assert form.query_one("#param-n", Input).value == "5000"  # prefilled with the defaults
            assert form.query_one("#param-lo", Input).value == "0"
            form.query_one("#param-lo", Input).value = "10"
            await pilot.click("#params-run")
            await until(pilot, lambda: app.current is not None and app.current.status == "COMPLETED")
            await settle(pilot)
            assert app.grid.total == 4990
            assert "row 10" in grid_text(app) and "COMPLETED" in status_text(app)
            # paged like any query: the end is one page request, not the rows in between
            before = len(page_requests(service.requests))
            app.grid.focus()
            await pilot.press("end")
            await settle(pilot)
            assert page_requests(service.requests)[before:] == [(4000, 1000)]  # the last page
            assert "row 4999" in grid_text(app) and "row 4998" in grid_text(app)

            (info,) = [q for q in await client.list() if q.query_id == app.current.query_id]
            assert info.query_lambda_path.startswith("commons.numbers::")
            app.sidebar.query_one(TabbedContent).active = "queries-tab"
            app.refresh_queries()
            await settle(pilot)
            assert app.current.query_id[:8] in sidebar_text(app)


async def test_a_missing_parameter_is_shown_not_crashed_on(service, make_app):
    async with service.client() as client:
        await client.lambdas.save("needs", "SELECT :x AS x")
        app = make_app(client, sidebar=True)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            saved = await _show_saved(pilot)
            saved.query_one(OptionList).focus()
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, ParamsScreen))
            app.screen.query_one("#param-x", Input).value = "42"
            await pilot.press("enter")
            await until(pilot, lambda: app.current is not None and app.current.status == "COMPLETED")
            await settle(pilot)
            assert "42" in grid_text(app)


async def test_ctrl_s_saves_the_statement_with_current_parameter_values_then_a_new_version(service, make_app):
    async with service.client() as client:
        app = make_app(client, sidebar=True)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            app.parameter_values.update({"n": "25", "lo": "3"})
            app.editor.load_text("SELECT 1;\n" + SQL)
            app.editor.move_cursor((1, 5))
            app.editor.focus()
            await pilot.press("ctrl+s")
            await until(pilot, lambda: isinstance(app.screen, SaveLambdaScreen))
            assert ":n=25 :lo=3" in str(app.screen.query_one("#save-defaults").render())
            await pilot.press(*"ranged", "enter")  # name, then on to the workspace
            await pilot.press("enter")
            await until(pilot, lambda: not isinstance(app.screen, SaveLambdaScreen))
            await settle(pilot)
            (found,) = await client.lambdas.list()
            assert (found.workspace, found.name, found.version_count) == ("commons", "ranged", 1)
            assert found.latest_version.sql.query == SQL
            defaults = {p.name: (p.type, p.value) for p in found.latest_version.sql.default_parameters}
            assert defaults == {"n": ("int", "25"), "lo": ("int", "3")}

            # the palette's command does the same; an existing name gets a new version
            app.parameter_values["lo"] = "7"
            app.action_save_lambda()
            await until(pilot, lambda: isinstance(app.screen, SaveLambdaScreen))
            app.screen.query_one("#save-name", Input).value = "ranged"
            await pilot.click("#save-go")
            await until(pilot, lambda: not isinstance(app.screen, SaveLambdaScreen))
            await settle(pilot)
            (found,) = await client.lambdas.list()
            assert found.version_count == 2
            assert {p.name: p.value for p in found.latest_version.sql.default_parameters}["lo"] == "7"
            saved = await _show_saved(pilot)
            assert "ranged v2" in _saved_text(saved)


async def test_save_refuses_a_bad_name_and_reports_bad_sql(service, make_app):
    async with service.client() as client:
        app = make_app(client)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            app.editor.load_text("SELECT FROM WHERE")
            app.editor.focus()
            await pilot.press("ctrl+s")
            await until(pilot, lambda: isinstance(app.screen, SaveLambdaScreen))
            await pilot.press(*"no good", "enter", "enter")
            assert isinstance(app.screen, SaveLambdaScreen)  # still asking
            assert "letters, digits" in str(app.screen.query_one("#save-problem").render())
            app.screen.query_one("#save-name", Input).value = "fine"
            await pilot.click("#save-go")
            await until(pilot, lambda: not isinstance(app.screen, SaveLambdaScreen))
            await settle(pilot)
            assert any("does not parse" in n.message for n in app._notifications)
            assert await client.lambdas.list() == []


# --- snapshot ------------------------------------------------------------------------------------


async def _two_lambdas(client, clock) -> None:
    await client.lambdas.save("numbers", SQL, default_parameters={"n": 5000, "lo": 0})
    await client.lambdas.save("numbers", SQL + " ORDER BY range DESC", default_parameters={"n": 100, "lo": 0})
    await client.lambdas.save("top_orders", "SELECT * FROM orders WHERE amount >= :min", workspace="sales")
    await client.lambdas.save("hello", "SELECT 'hi' AS greeting")


def test_saved_tab_snapshot(snap_compare, tmp_path, fake_clock, stable_ids):
    from tests.app.test_snapshots import connected, folio

    app = folio(tmp_path, fake_clock, setup=_two_lambdas, sidebar=True)

    async def run_before(pilot):
        await connected(pilot)
        saved = await _show_saved(pilot)
        saved.query_one(OptionList).focus()
        await settle(pilot)

    assert snap_compare(app, terminal_size=(120, 36), run_before=run_before)


async def test_the_sidebar_title_counts_the_tab_in_view(service, make_app):
    async with service.client() as client:
        await client.lambdas.save("numbers", SQL, default_parameters={"n": 5, "lo": 0})
        await client.lambdas.save("hello", "SELECT 'hi' AS greeting")
        await client.run("SELECT 1 AS one", initial_docs=1)
        app = make_app(client, sidebar=True)
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.sidebar.loaded)
            await settle(pilot)
            assert app.sidebar.border_title == f"Queries ({len(app.sidebar.entries)})"
            await _show_saved(pilot)
            app.sidebar.query_one(TabbedContent).active = "saved-tab"  # (focusing the sidebar shows its first tab)
            await settle(pilot)
            assert app.sidebar.border_title == "Saved (2)"
            app.sidebar.query_one(TabbedContent).active = "queries-tab"
            await settle(pilot)
            assert app.sidebar.border_title.startswith("Queries (")
