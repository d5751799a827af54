"""Sizes as people read them, shared by the CLI and the app so both say the same thing."""

from __future__ import annotations

_UNITS = ("B", "KiB", "MiB", "GiB", "TiB")


def format_bytes(size: int | None) -> str:
    """``760.2 MiB``; binary units, named as such. ``–`` when the size is not known."""
    if size is None:
        return "–"
    value = float(size)
    for unit in _UNITS:
        if value < 1024 or unit == _UNITS[-1]:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")
