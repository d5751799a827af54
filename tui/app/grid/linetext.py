"""Cutting a drawn line to the cells on screen, and wrapping a hint over several lines."""

from __future__ import annotations

import textwrap
from functools import lru_cache

from rich.cells import cell_len
from rich.segment import Segment
from textual.strip import Strip


def crop_cells(text: str, start: int, end: int) -> str:
    """Cells ``start`` .. ``end`` of ``text``."""
    if text.isascii():
        return text[start:end]
    # wide characters: cut by cells (Strip.crop pads a split wide character with a space)
    return "".join(segment.text for segment in Strip([Segment(text)]).crop(start, end))


@lru_cache(maxsize=8)
def wrap_lines(text: str, width: int) -> list[str]:
    """Lines of ``text`` no wider than ``width``; short lines (a caret under an error) kept as
    they are."""
    lines: list[str] = []
    for line in text.split("\n"):
        lines.extend(textwrap.wrap(line, width, subsequent_indent="  ") if cell_len(line) > width else [line])
    return lines
