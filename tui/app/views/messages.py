"""Messages of exploring: the grid's keys ask the app, the app's workers answer it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message

# --- grid → app -------------------------------------------------------------------------------


@dataclass
class FindRequested(Message):
    """``/`` (ask what to find), ``n`` (next match) or ``N`` (previous match)."""

    direction: str  # "ask" | "next" | "prev"


@dataclass
class SortRequested(Message):
    column: str
    descending: bool


@dataclass
class FilterRequested(Message):
    """Keep the rows where ``column`` holds ``value`` (the cell under the cursor)."""

    column: str
    type_name: str
    value: Any


@dataclass
class ExpressionRequested(Message):
    """``\\``: ask for a filter expression."""


@dataclass
class FrequencyRequested(Message):
    column: str


@dataclass
class ProfileRequested(Message):
    column: str


@dataclass
class BackRequested(Message):
    pass


@dataclass
class FrequencyPicked(Message):
    """Enter on a frequency table's row: filter the data under it to that value (or bin)."""

    row: dict[str, Any]


@dataclass
class OriginalRequested(Message):
    """Show the row under the cursor in the result its ``folio_row`` points into."""

    row: int


# --- the app's workers ------------------------------------------------------------------------


@dataclass
class ViewStarted(Message):
    view: Any
    result: Any
    started_at: Any


@dataclass
class ViewFailed(Message):
    view: Any
    error: BaseException


@dataclass
class FindAnswered(Message):
    """One answer of the find endpoint (a match, no match, or how far a long scan got)."""

    search: Any
    answer: Any


@dataclass
class FindFailed(Message):
    search: Any
    error: BaseException
