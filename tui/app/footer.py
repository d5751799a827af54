"""The footer: the keys that work where the focus is, on one line drawn by one widget.

Textual's ``Footer`` recomposes on every change of the screen's bindings: it removes its
``FooterKey`` widgets, mounts new ones and lays out the whole screen (≈20 ms at 160×48). A
query's completion (F7 cancel goes) and a focus change (the grid's keys come) each bring one, and
a key pressed right after waits behind them (issue 12: End at once after completion). This footer
looks and behaves the same — keys, disabled keys dimmed, hover, tooltips, a click runs the key,
the palette hint at the right behind a thin bar — but it is one line of text of fixed size: a
bindings change that changes what it shows repaints that line, and nothing is laid out again.

Binding groups (``Binding.Group``) are shown as separate keys: folio's bindings have none.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual import events
from textual.screen import Screen
from textual.widget import Widget

#: the thin bar left of the palette hint (Textual's ``vkey`` border)
PALETTE_BAR = "▏"


@dataclass(frozen=True, slots=True)
class FooterKey:
    """One key as the footer shows it."""

    key: str
    display: str
    description: str
    enabled: bool
    tooltip: str


@dataclass(frozen=True, slots=True)
class FooterKeys:
    """What the footer shows: the keys from the left, and the palette hint at the right."""

    keys: tuple[FooterKey, ...] = ()
    palette: FooterKey | None = None


class KeysFooter(Widget, can_focus=False):
    """The screen's shown bindings as one line; repaints (no layout) when they change."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {
        "keys-footer--item",
        "keys-footer--key",
        "keys-footer--description",
        "keys-footer--hover",
        "keys-footer--bar",
    }
    # The colours and spacing of Textual's Footer and FooterKey, so the look does not change.
    DEFAULT_CSS = """
    KeysFooter {
        dock: bottom;
        height: 1;
        width: 1fr;
        color: $footer-foreground;
        background: $footer-background;
        text-wrap: nowrap;
        .keys-footer--item {
            background: $footer-item-background;
        }
        .keys-footer--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        .keys-footer--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        .keys-footer--hover {
            background: $block-hover-background;
        }
        .keys-footer--bar {
            color: $foreground 20%;
            background: $footer-item-background;
        }
    }
    """

    def __init__(self, *, show_command_palette: bool = True, id: str | None = None) -> None:
        super().__init__(id=id)
        self.show_command_palette = show_command_palette
        self.shown = FooterKeys()
        #: cell ranges of the keys as last drawn: (start, end, key), for clicks and hover
        self._spans: list[tuple[int, int, FooterKey]] = []
        self._hovered: FooterKey | None = None

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._bindings_changed(self.screen)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen) -> None:
        if not self.is_attached or screen is not self.screen:
            return
        shown = self._collect(screen)
        if shown != self.shown:
            self.shown = shown
            self.refresh()  # one line of fixed size: a repaint, never a layout

    def _collect(self, screen: Screen) -> FooterKeys:
        app = self.app
        active = screen.active_bindings
        keys: list[FooterKey] = []
        actions: set[str] = set()
        for _node, binding, enabled, tooltip in active.values():
            # one key per action, as Textual's Footer: the first binding of an action wins
            if not binding.show or binding.action in actions:
                continue
            actions.add(binding.action)
            keys.append(FooterKey(binding.key, app.get_key_display(binding), binding.description, enabled, tooltip))
        palette = None
        if self.show_command_palette and app.ENABLE_COMMAND_PALETTE and app.COMMAND_PALETTE_BINDING in active:
            _node, binding, enabled, _tooltip = active[app.COMMAND_PALETTE_BINDING]
            tip = binding.tooltip or binding.description
            palette = FooterKey(binding.key, app.get_key_display(binding), binding.description, enabled, tip)
        return FooterKeys(tuple(keys), palette)

    # ------------------------------------------------------------------------------------------
    # Drawing

    def render(self) -> Text:
        width = self.size.width
        base = self.rich_style
        item = self.get_component_rich_style("keys-footer--item")
        key_style = self.get_component_rich_style("keys-footer--key")
        description_style = self.get_component_rich_style("keys-footer--description")
        hover = self.get_component_rich_style("keys-footer--hover")
        dim = Style(dim=True)

        def piece(key: FooterKey, *, compact: bool = False) -> Text:
            # compact (the palette hint, as Textual draws it): "^p palette", not " ^p palette "
            key_text = key.display if compact else f" {key.display} "
            description = (f" {key.description}" if compact else f"{key.description} ") if key.description else ""
            keys, descriptions = key_style, description_style
            if key == self._hovered and key.enabled:
                # the hover background shows through the key's and description's own
                lit = Style(bgcolor=hover.bgcolor)
                keys, descriptions = keys + lit, descriptions + lit
            text = Text.assemble((key_text, keys), (description, descriptions))
            text.stylize_before(item)
            if not key.enabled:
                text.stylize(dim)
            return text

        spans: list[tuple[int, int, FooterKey]] = []
        right = Text()
        palette = self.shown.palette
        if palette is not None:
            bar = self.get_component_rich_style("keys-footer--bar")
            right = Text.assemble((PALETTE_BAR, bar), piece(palette, compact=True), (" ", item))
            if palette == self._hovered and palette.enabled:  # the bar and padding light up too
                right.stylize(Style(bgcolor=hover.bgcolor), 0, 1)
                right.stylize(Style(bgcolor=hover.bgcolor), right.cell_len - 1)
            spans.append((width - right.cell_len, width, palette))
        room = width - right.cell_len
        line = Text(no_wrap=True, end="")
        for key in self.shown.keys:
            text = piece(key)
            start = line.cell_len
            if start >= room:
                break
            line.append_text(text)
            spans.append((start, min(start + text.cell_len, room), key))
        line.truncate(room)
        # the free cells: the footer's background only, as Textual's Footer leaves them
        line.append(" " * (room - line.cell_len), Style(bgcolor=base.bgcolor))
        line.append_text(right)
        self._spans = spans
        return line

    def _key_at(self, x: int) -> FooterKey | None:
        for start, end, key in self._spans:
            if start <= x < end:
                return key
        return None

    # ------------------------------------------------------------------------------------------
    # Mouse: a click presses the key, as Textual's FooterKey does

    def on_mouse_down(self, event: events.MouseDown) -> None:
        key = self._key_at(event.x)
        if key is None:
            return
        event.stop()
        if key.enabled:
            self.app.simulate_key(key.key)
        else:
            self.app.bell()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        self._hover(self._key_at(event.x))

    def on_leave(self, event: events.Leave) -> None:
        self._hover(None)

    def _hover(self, key: FooterKey | None) -> None:
        if key == self._hovered:
            return
        self._hovered = key
        self.tooltip = (key.tooltip or None) if key is not None else None
        self.styles.pointer = "pointer" if key is not None else "default"
        self.refresh()
