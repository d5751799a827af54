from tui.humanize import format_bytes


def test_binary_units_named_as_such():
    assert format_bytes(None) == "–"
    assert format_bytes(0) == "0 B"
    assert format_bytes(1023) == "1023 B"
    assert format_bytes(1024) == "1.0 KiB"
    assert format_bytes(797_114_368) == "760.2 MiB"
    assert format_bytes(5 * 1024**5) == "5120.0 TiB"
