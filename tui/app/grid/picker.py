"""A small fuzzy picker: type part of a name, pick one with enter (the column jump ``g``, the
copy format ``C``). Matching as the command palette does (textual's fuzzy matcher)."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.fuzzy import Matcher
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

#: options listed at most (a 10,000-column result still opens the picker at once)
MAX_LISTED = 200


def ranked(query: str, choices: Sequence[str]) -> list[int]:
    """Indexes of ``choices`` matching ``query``, best match first (all, in order, for "")."""
    if not query.strip():
        return list(range(len(choices)))
    matcher = Matcher(query)
    scores = [(matcher.match(choice), i) for i, choice in enumerate(choices)]
    return [i for score, i in sorted(scores, key=lambda pair: (-pair[0], pair[1])) if score > 0]


class PickerScreen(ModalScreen[int | None]):
    """Pick one of ``labels`` (its index), or ``None`` on escape."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("down", "move(1)", show=False),
        Binding("up", "move(-1)", show=False),
    ]

    def __init__(self, title: str, labels: Sequence[str], *, notes: Sequence[str] = (), current: int = 0) -> None:
        super().__init__()
        self.title_text = title
        self.labels = list(labels)
        #: shown after each label (dim), not matched ("hidden")
        self.notes = list(notes) or [""] * len(self.labels)
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="picker-dialog", classes="dialog") as dialog:
            dialog.border_title = self.title_text
            dialog.border_subtitle = "enter pick · esc cancel"
            yield Input(placeholder="type to filter", id="picker-query")
            yield OptionList(id="picker-options")

    def on_mount(self) -> None:
        query = self.query_one(Input)
        if self.app.is_headless:
            query.cursor_blink = False
        self._fill("")
        options = self.query_one(OptionList)
        if 0 <= self.current < options.option_count:
            options.highlighted = self.current
        query.focus()

    def _fill(self, query: str) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        for i in ranked(query, self.labels)[:MAX_LISTED]:
            note = f"  [dim]{self.notes[i]}[/]" if self.notes[i] else ""
            label = self.labels[i].replace("[", "\\[")
            options.add_option(Option(f"{label}{note}", id=str(i)))
        if options.option_count:
            options.highlighted = 0

    def on_input_changed(self, event: Input.Changed) -> None:
        self._fill(event.value)

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        if options.option_count:
            current = options.highlighted or 0
            options.highlighted = max(0, min(current + step, options.option_count - 1))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is None:
            self.notify("Nothing matches.", severity="warning", timeout=2)
            return
        option = options.get_option_at_index(options.highlighted)
        self.dismiss(int(option.id or 0))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(int(event.option.id or 0))

    def action_cancel(self) -> None:
        self.dismiss(None)
