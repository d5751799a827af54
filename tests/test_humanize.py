from tui.humanize import format_bytes


def test_binary_units_named_as_such():
    assert format_bytes(None) == "–"
    assert format_bytes(0) == "0 B"
    assert format_bytes(1023) == "1023 B"
    assert format_bytes(1024) == "1.0 KiB"
    assert format_bytes(797_114_368) == "760.2 MiB"
    assert format_bytes(5 * 1024**5) == "5120.0 TiB"


def test_durations_short_and_honest():
    from tui.humanize import format_duration

    assert format_duration(-1) == "0 ms"
    assert format_duration(0.25) == "250 ms"
    assert format_duration(12.34) == "12.3 s"
    assert format_duration(125) == "2m 05s"
    assert format_duration(86399) == "23h 59m"
    assert format_duration(3 * 86400) == "3d 00h"
