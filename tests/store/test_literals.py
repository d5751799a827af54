"""Arrow literals built from bytes are the values pyarrow would make from Python objects."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from tui.store.literals import boolean, int32s, int64, int64s, null_text, repeated, text, texts


def test_texts_are_the_string_arrays_of_their_values():
    for values in ([], [""], ["a", "héllo", "", "🦜"], ["x", None, "", None]):
        made = texts(values)
        made.validate(full=True)
        assert made.equals(pa.array(values, pa.string()))


def test_repeated_text_is_every_element_the_same():
    for value, count in (("null", 3), ("{}", 1), ("", 4), ("é", 0)):
        made = repeated(value, count)
        made.validate(full=True)
        assert made.to_pylist() == [value] * count


def test_scalars_work_where_compute_functions_take_literals():
    words = pa.array(["a", "b", None])
    assert pc.binary_join_element_wise(text("<"), words, text(">"), text("")).to_pylist() == ["<a>", "<b>", None]
    assert pc.fill_null(words, text("null")).to_pylist() == ["a", "b", "null"]
    assert pc.if_else(pa.array([True, False]), null_text(), text("x")).to_pylist() == [None, "x"]
    assert pc.greater(pa.array([-1, 0, 5]), int64(0)).to_pylist() == [False, False, True]
    assert pc.fill_null(pa.array([True, None]), boolean(False)).to_pylist() == [True, False]
    assert boolean(True).as_py() is True


def test_integer_arrays():
    assert int32s([0, 7, -3]).equals(pa.array([0, 7, -3], pa.int32()))
    assert int64s(range(5, 9)).equals(pa.array([5, 6, 7, 8], pa.int64()))
    assert int64s([]).equals(pa.array([], pa.int64()))
