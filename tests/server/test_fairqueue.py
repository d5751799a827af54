"""The fair queue: a free worker goes to the org running the fewest queries, then to the
oldest queued query."""

from __future__ import annotations

from tui.server.fairqueue import FairQueue


def test_the_fair_queue_prefers_the_org_running_fewest_then_the_oldest():
    queue: FairQueue[str] = FairQueue()
    for item in ("a1", "a2", "a3"):
        queue.push("a", item)
    assert queue.pop() == ("a", "a1")
    assert queue.pop() == ("a", "a2")
    queue.push("b", "b1")
    queue.push("c", "c1")
    assert queue.pop() == ("b", "b1")  # a runs two, b and c none: b came first
    assert queue.pop() == ("c", "c1")
    queue.done("a")
    queue.done("a")
    queue.push("b", "b2")
    assert queue.remove("a", "a3") and not queue.remove("a", "a3")
    assert queue.pop() == ("b", "b2")
    assert queue.pop() is None and len(queue) == 0
