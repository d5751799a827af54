"""The completion popup under the editor's cursor.

Typing never waits for it: every request is computed by :func:`~tui.app.editor.completion.complete`
on a worker thread and comes back as a :class:`CompletionReady` message tagged with a
generation number; an answer to anything but the newest request (the user typed on meanwhile)
is dropped. The editor forwards keys while the popup is open: up/down/page keys move, tab and
enter accept, escape dismisses. ``textual-autocomplete`` was considered, but its widget targets
``Input`` only, not ``TextArea``.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import events
from textual.geometry import Offset
from textual.message import Message
from textual.widgets import OptionList, TextArea
from textual.widgets.option_list import Option

from tui.app.editor.completion import Candidate, Completion, CompletionIndex, complete

#: popup rows and width (columns)
MAX_ROWS = 10
MAX_WIDTH = 60

#: keys the open popup takes from the editor (the rest are its own actions)
_POPUP_KEYS = {
    "up": "action_cursor_up",
    "down": "action_cursor_down",
    "pageup": "action_page_up",
    "pagedown": "action_page_down",
    "tab": "",
    "enter": "",
    "escape": "",
    "backspace": "",
}
_KIND_MARKS = {
    "column": ("c", "cyan"),
    "alias": ("a", "cyan"),
    "table": ("t", "green"),
    "view": ("v", "green"),
    "schema": ("s", "yellow"),
    "function": ("f", "magenta"),
    "keyword": ("k", "blue"),
}


class CatalogWanted(Message):
    """Completion was asked for: the app should load the source's catalog if it has not."""


@dataclass
class CompletionReady(Message):
    """A worker finished a completion request."""

    generation: int
    completion: Completion | None
    explicit: bool


class CompletionPopup(OptionList):
    """Candidates for the word at the editor's cursor, drawn over the screen."""

    DEFAULT_CSS = """
    CompletionPopup {
        overlay: screen;
        constrain: inside inside;
        display: none;
        width: auto;
        min-width: 16;
        max-width: 60;
        height: auto;
        max-height: 10;
        border: none;
        padding: 0;
        background: $panel;
        scrollbar-size-vertical: 1;
    }
    CompletionPopup.-shown { display: block; }
    """

    can_focus = False

    def __init__(self, editor: TextArea, *, id: str | None = "completion-popup") -> None:
        super().__init__(id=id)
        self.editor = editor
        self.index = CompletionIndex(None)
        self.generation = 0
        self.completion: Completion | None = None
        #: requests answered (tests and the benchmark wait on it)
        self.answered = 0

    @property
    def shown(self) -> bool:
        return self.has_class("-shown")

    def set_index(self, index: CompletionIndex) -> None:
        """Complete from ``index`` from now on (and at once, if the user is typing)."""
        self.index = index
        if self.shown or (self.generation and self.editor.has_focus):
            self.request_at_cursor()

    # --- requests and answers

    def request(self, text: str, cursor: int, *, explicit: bool = False) -> None:
        """Complete at ``cursor`` in ``text`` on a worker thread; newer requests win."""
        if not self.index.catalog.relations and not self.index.catalog.functions:
            self.post_message(CatalogWanted())
        self.generation += 1
        generation, index = self.generation, self.index

        def work() -> None:
            try:
                completion = complete(index, text, cursor)
            except Exception:  # a completion bug must never cost the user their typing
                completion = None
            self.post_message(CompletionReady(generation, completion, explicit))

        self.run_worker(work, thread=True, group="completion", exit_on_error=False)

    def on_completion_ready(self, message: CompletionReady) -> None:
        message.stop()
        if message.generation != self.generation:
            return  # the user typed on: an answer to an older text
        self.answered += 1
        completion = message.completion
        if completion is None or not completion.candidates or not (message.explicit or completion.worth_showing):
            self.hide()
            return
        if len(completion.candidates) == 1 and completion.candidates[0].text == completion.prefix:
            self.hide()  # already typed in full
            return
        self.completion = completion
        self.set_options([Option(_prompt(c)) for c in completion.candidates])
        self.highlighted = 0
        x, y = self.editor.cursor_screen_offset
        self.absolute_offset = Offset(max(0, x - len(completion.prefix) - 2), y + 1)
        if not self.shown:  # a class change restyles the screen: only when it changes
            self.add_class("-shown")

    def hide(self) -> None:
        """Close the popup and forget its candidates (an answer in flight is dropped too)."""
        self.generation += 1
        self.completion = None
        self.remove_class("-shown")

    # --- keys, forwarded by the editor

    def handle_key(self, event: events.Key) -> bool:
        """Take ``event`` if it is meant for the open popup (then the editor ignores it)."""
        key = event.key
        if not self.shown or key not in _POPUP_KEYS:
            return False
        if self.completion is None or self._cursor() != self.completion.end:
            self.hide()  # the cursor moved away (a click): the key is the editor's again
            return False
        event.stop()
        event.prevent_default()
        if key == "escape":
            self.hide()
        elif key in ("tab", "enter"):
            self.accept()
        elif key == "backspace":
            self.editor.action_delete_left()
            self.request_at_cursor()
        else:
            getattr(self, _POPUP_KEYS[key])()
        return True

    def after_key(self, event: events.Key) -> None:
        """The editor handled ``event``: a typed character asks again, anything else closes."""
        if event.is_printable and not self.editor.read_only:
            self.request_at_cursor()
        elif self.shown:
            self.hide()

    def request_at_cursor(self, *, explicit: bool = False) -> None:
        self.request(self.editor.text, self._cursor(), explicit=explicit)

    def _cursor(self) -> int:
        return self.editor.document.get_index_from_location(self.editor.cursor_location)

    def accept(self) -> None:
        """Replace the typed prefix with the highlighted candidate."""
        completion, highlighted = self.completion, self.highlighted
        self.hide()
        if completion is None or highlighted is None:
            return
        editor = self.editor
        start = editor.document.get_location_from_index(completion.start)
        end = editor.document.get_location_from_index(completion.end)
        result = editor.replace(completion.candidates[highlighted].text, start, end)
        editor.move_cursor(result.end_location)


def _prompt(candidate: Candidate) -> Text:
    mark, style = _KIND_MARKS.get(candidate.kind, ("?", ""))
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"{mark} ", style=style)
    text.append(candidate.label)
    if candidate.detail:
        text.append(f"  {candidate.detail}", style="dim")
    text.truncate(MAX_WIDTH - 2, overflow="ellipsis")
    return text
