"""The collector policy: what is alive once the app is up leaves full collections, and comes
back to them when the app ends."""

from __future__ import annotations

import gc

from tui.app.collector import freeze_long_lived, thaw


class Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the collector frees it


def test_frozen_objects_are_skipped_by_full_collections_and_handed_back_at_the_end():
    thaw()
    alive = Node()
    freeze_long_lived()
    try:
        assert gc.get_freeze_count() > 0
        assert not any(obj is alive for obj in gc.get_objects())  # out of the collector's walk
        young = Node()
        assert any(obj is young for obj in gc.get_objects())  # what comes after is still walked
    finally:
        thaw()
    assert gc.get_freeze_count() == 0
    assert any(obj is alive for obj in gc.get_objects())


def test_a_full_freeze_frees_the_old_garbage_first():
    thaw()
    garbage = Node()
    gc.collect()  # into the oldest generation, as a big catalog's leftovers are by the time it loads
    gc.collect()
    del garbage
    freeze_long_lived(full=True)
    try:
        # the cycle was collected, not frozen: nothing but the collector could have freed it
        assert not any(isinstance(obj, Node) for obj in gc.get_objects(generation=2))
        assert not any(isinstance(obj, Node) for obj in _frozen_objects())
    finally:
        thaw()


def _frozen_objects() -> list:
    gc.unfreeze()
    try:
        return gc.get_objects()
    finally:
        gc.freeze()
