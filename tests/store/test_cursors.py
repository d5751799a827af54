from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui.store.cursors import CursorCodec, CursorError

codec = CursorCodec(b"s" * 32)


@given(st.integers(min_value=0, max_value=2**63), st.text(min_size=1, max_size=60))
def test_round_trip_and_url_safe(offset, query_id):
    cursor = codec.encode(query_id, offset)
    assert codec.decode(query_id, cursor) == offset
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


@given(st.text(max_size=80))
def test_any_text_is_rejected_or_genuine(text):
    try:
        offset = codec.decode("q1", text)
    except CursorError:
        return
    assert codec.encode("q1", offset) == text.rstrip("=")


def test_cursor_of_another_query_or_secret_fails():
    cursor = codec.encode("q1", 10)
    with pytest.raises(CursorError):
        codec.decode("q2", cursor)
    with pytest.raises(CursorError):
        CursorCodec(b"t" * 32).decode("q1", cursor)


def test_every_single_character_change_is_detected():
    cursor = codec.encode("q1", 123456)
    for i in range(len(cursor) - 1):  # the last char carries padding bits, may not change the bytes
        for ch in "Aa0_":
            if ch == cursor[i]:
                continue
            tampered = cursor[:i] + ch + cursor[i + 1 :]
            with pytest.raises(CursorError):
                codec.decode("q1", tampered)
