"""F1 / ?: every key folio knows, grouped by where it works."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

HELP = """\
## Editor
| key | does |
|---|---|
| `ctrl+enter` `ctrl+j` `F5` | run the selection, or the statement under the cursor |
| `F8` | history: recall an earlier statement |
| `esc` | leave the editor (to the results) |

`:name` in a statement asks for its value (remembered per name): `42` is a number,
`true`/`false` a boolean, `null` NULL, anything else — or `'42'` in quotes — text.

## Results
| key | does |
|---|---|
| `↑` `↓` `PgUp` `PgDn` | move by row / by screen |
| `Home` `End` | first / last row (one page fetched, none in between) |
| `←` `→` | move across columns (the first column stays) |
| `ctrl+g` | go to row N |
| `enter` / `v` | the row / the cell in full (JSON) |
| `c` / `y` | copy the cell / the row as JSON (OSC 52: works over SSH) |
| `e` | export the whole result (CSV, JSON Lines, Parquet) |

## Queries
| key | does |
|---|---|
| `ctrl+b` `F9` | show / hide the queries sidebar |
| `enter` | re-open a stored result (not run again) |
| `d` | cancel a running query / drop a stored result |
| `r` | run the query's SQL again |

## Everywhere
| key | does |
|---|---|
| `F2` `F3` `F4` | focus editor / results / queries |
| `F7` | cancel the running query |
| `ctrl+p` | command palette (themes too) |
| `F1` `?` | this help |
| `ctrl+q` | quit |
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,f1,question_mark", "close", "Close")]

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog", classes="dialog") as dialog:
            dialog.border_title = "folio · keys"
            dialog.border_subtitle = "esc close"
            with VerticalScroll(id="help-body"):
                yield Markdown(HELP)

    def on_mount(self) -> None:
        self.query_one("#help-body").focus()

    def action_close(self) -> None:
        self.dismiss(None)
