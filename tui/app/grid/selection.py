"""A rectangle of cells and how it is copied: TSV (what a spreadsheet pastes), CSV, Markdown.

Pure functions on plain rows, tested without Textual.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tui.app.grid.cells import compact_json

#: the copy formats, in the order the picker lists them (TSV first: the default)
FORMATS = ("TSV", "CSV", "Markdown")


@dataclass(frozen=True)
class CellRange:
    """Rows ``first_row`` .. ``last_row`` and shown-column positions ``first_col`` ..
    ``last_col``, all inclusive: the cells between where shift+arrows started and the cursor."""

    first_row: int
    last_row: int
    first_col: int
    last_col: int

    @classmethod
    def between(cls, anchor: tuple[int, int], cursor: tuple[int, int]) -> CellRange:
        (r1, c1), (r2, c2) = anchor, cursor
        return cls(min(r1, r2), max(r1, r2), min(c1, c2), max(c1, c2))

    @property
    def rows(self) -> int:
        return self.last_row - self.first_row + 1

    @property
    def cols(self) -> int:
        return self.last_col - self.first_col + 1

    def has(self, row: int, col: int) -> bool:
        return self.first_row <= row <= self.last_row and self.first_col <= col <= self.last_col


def value_text(value: Any) -> str:
    """A value as copied text: ``None`` is empty, nested values compact JSON."""
    if value is None:
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return compact_json(value)
    return str(value)


def _one_line(text: str) -> str:
    return text.replace("\r\n", " ").replace("\n", " ").replace("\r", " ").replace("\t", " ")


def format_table(names: Sequence[str], rows: Sequence[Sequence[Any]], fmt: str = "TSV") -> str:
    """``rows`` (values in ``names`` order) with a header line, as ``fmt`` (one of FORMATS)."""
    texts = [[value_text(value) for value in row] for row in rows]
    if fmt == "CSV":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(names)
        writer.writerows(texts)
        return out.getvalue()
    if fmt == "Markdown":

        def cell(text: str) -> str:
            return _one_line(text).replace("\\", "\\\\").replace("|", "\\|")

        lines = ["| " + " | ".join(cell(n) for n in names) + " |", "|" + "|".join("---" for _ in names) + "|"]
        lines += ["| " + " | ".join(cell(t) for t in row) + " |" for row in texts]
        return "\n".join(lines) + "\n"
    if fmt != "TSV":
        raise ValueError(f"unknown copy format {fmt!r}; one of {', '.join(FORMATS)}")
    # TSV as spreadsheets paste it: one line per row, a tab between cells (tabs and newlines
    # inside a value become spaces, since TSV has no quoting)
    return "".join("\t".join(_one_line(t) for t in row) + "\n" for row in [list(names), *texts])
