"""The editor's SQL highlighting: what one rebuild costs (TextArea rebuilds after every edit).

    uv run python benchmarks/highlight.py

The scanner (``tui.app.editor.highlight``) reads the whole buffer on each edit, line by line,
and rescans only the lines whose text (or starting state) changed; tree-sitter re-parsed
incrementally instead. For buffers of N
distinct lines (a three-line query repeated, each line numbered in a comment) this prints the
median (of 7) of one ``sql_highlights`` call when no line has been seen (*first*: opening a
file) and after typing a character in the middle line (*edit*: what a keystroke costs), and the
edit's share of a 16 ms frame.
"""

from __future__ import annotations

import statistics
import time

from tui.app.editor.highlight import SqlHighlighter

STATEMENT = [
    "SELECT user_id, kind, count(*) AS n, sum(amount)::DECIMAL(18, 2) AS total -- per user",
    "FROM main._events WHERE ts >= TIMESTAMP '2026-01-01' AND kind IN ('click', 'view')",
    "GROUP BY ALL HAVING count(*) > 10 ORDER BY total DESC NULLS LAST LIMIT 100;",
]


def buffer(lines: int) -> list[str]:
    return [f"{STATEMENT[i % 3]} /* {i} */" for i in range(lines)]


def timed(call) -> float:
    times = []
    for _ in range(7):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def measure(text: list[str]) -> tuple[float, float]:
    """(first, edit) in ms for the buffer ``text`` (its lines)."""
    first_ms = timed(lambda: SqlHighlighter().highlights("\n".join(text)))
    highlighter = SqlHighlighter()
    highlighter.highlights("\n".join(text))

    def edit() -> None:
        text[len(text) // 2] += "x"
        highlighter.highlights("\n".join(text))

    return first_ms, timed(edit)


def main() -> None:
    print("| buffer lines | first ms | edit ms | edit's share of a 16 ms frame |")
    print("|---|---|---|---|")
    for lines in (30, 300, 3_000, 30_000):
        first_ms, edit_ms = measure(buffer(lines))
        print(f"| {lines:,} | {first_ms:.2f} | {edit_ms:.2f} | {edit_ms / 16:.0%} |")


if __name__ == "__main__":
    main()
