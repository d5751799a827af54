"""The footer (``KeysFooter``): one widget, drawn as Textual's ``Footer`` draws, kept in step with
the bindings where the focus is, without re-laying out the screen when they change."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Input, Static

from tests.app.helpers import run_sql, settle, until
from tests.app.test_app import SIZE, SLOW_SQL
from tui.app.footer import KeysFooter


class Keys(Static, can_focus=True):
    """A focusable widget with a key of its own (the grid's keys come in this way)."""

    BINDINGS = [Binding("g", "mark", "Mark it")]

    def action_mark(self) -> None:
        self.app.ran.append("mark")


class FooterApp(App[None]):
    BINDINGS = [
        Binding("f1", "note('help')", "Help"),
        Binding("ctrl+q", "quit", "Quit"),
        Binding("f7", "note('cancel')", "Cancel"),
        Binding("f8", "note('off')", "Off"),
    ]

    def __init__(self, footer: type[Footer] | type[KeysFooter] = KeysFooter) -> None:
        super().__init__()
        self.footer_type = footer
        self.ran: list[str] = []
        self.off = True

    def compose(self) -> ComposeResult:
        yield Input(id="input")
        yield Keys("keys", id="keys")
        yield self.footer_type()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # F8 is shown but disabled while ``off``: the footer dims it
        return None if action == "note" and parameters == ("off",) and self.off else True

    def action_note(self, what: str) -> None:
        self.ran.append(what)


def footer_cells(app: App, hover: int | None = None) -> list[tuple[str, object, object, bool, bool]]:
    """The bottom line as the terminal gets it: character, colours, bold, dim (a blank's
    foreground colour does not show, so it is left out)."""
    strip = app.screen._compositor.render_strips()[-1]
    cells = []
    for segment in strip:
        style = segment.style
        for char in segment.text:
            if char == " ":
                cells.append((char, None, style.bgcolor, False, False))
            else:
                cells.append((char, style.color, style.bgcolor, bool(style.bold), bool(style.dim)))
    return cells


async def drawn(footer: type[Footer] | type[KeysFooter], hover: int | None) -> list[tuple]:
    app = FooterApp(footer)
    async with app.run_test(size=(120, 10)) as pilot:
        await pilot.pause()
        if hover is not None:
            await pilot.hover(footer, offset=(hover, 0))
            await pilot.pause()
        return footer_cells(app)


async def test_the_footer_looks_like_textuals_footer_cell_for_cell():
    # as is, hovering the first key, and hovering the palette hint at the right
    for hover in (None, 2, 115):
        ours, textuals = await drawn(KeysFooter, hover), await drawn(Footer, hover)
        assert "".join(cell[0] for cell in ours).startswith(" ^q Quit  f1 Help  f7 Cancel  f8 Off ")
        assert ours == textuals, f"hover at {hover}"


async def test_a_click_presses_the_key_and_a_disabled_key_rings_the_bell():
    app = FooterApp()
    async with app.run_test(size=(120, 10)) as pilot:
        footer = app.query_one(KeysFooter)
        await pilot.pause()
        text = footer.render().plain
        await pilot.click(footer, offset=(text.index("Help"), 0))
        await pilot.pause()
        assert app.ran == ["help"]
        bells = []
        app.bell = lambda: bells.append(True)
        await pilot.click(footer, offset=(text.index("Off"), 0))
        await pilot.pause()
        assert app.ran == ["help"] and bells == [True]
        app.off = False
        app.refresh_bindings()
        await pilot.pause()
        await pilot.click(footer, offset=(text.index("Off"), 0))
        await pilot.pause()
        assert app.ran == ["help", "off"]
        # the palette hint at the right opens the palette
        await pilot.click(footer, offset=(text.index("palette"), 0))
        await until(pilot, lambda: type(app.screen).__name__ == "CommandPalette")


async def test_the_keys_follow_the_focus_by_a_repaint_not_a_layout():
    app = FooterApp()
    async with app.run_test(size=(120, 10)) as pilot:
        footer = app.query_one(KeysFooter)
        await pilot.pause()
        assert "Mark it" not in footer.render().plain
        assert not footer.children  # one widget: nothing to mount or remove when keys change
        layouts = []
        original = footer.refresh

        def refresh(*args, **kwargs):
            layouts.append(kwargs.get("layout", False))
            return original(*args, **kwargs)

        footer.refresh = refresh
        app.query_one(Keys).focus()
        await pilot.pause()
        assert "g Mark it" in footer.render().plain
        assert layouts and not any(layouts)
        # the same keys again: nothing to draw
        layouts.clear()
        app.refresh_bindings()
        await pilot.pause()
        assert layouts == []
        await pilot.press("g")
        assert app.ran == ["mark"]


async def test_the_cancel_key_shows_while_a_query_runs_and_goes_when_it_ends(service, make_app):
    async with service.client() as client:
        app = make_app(client)
        async with app.run_test(size=SIZE) as pilot:
            footer = app.query_one(KeysFooter)
            await settle(pilot)
            assert "Cancel query" not in footer.render().plain
            await run_sql(pilot, SLOW_SQL, wait=False)
            await until(pilot, lambda: "Cancel query" in footer.render().plain)
            await pilot.press("f7")
            await until(pilot, lambda: app.current.status == "CANCELLED")
            await until(pilot, lambda: "Cancel query" not in footer.render().plain)
            # the grid's keys come with the focus
            app.grid.focus()
            await until(pilot, lambda: "Go to row" in footer.render().plain)
