"""The failed-authentication throttle, with an injected clock."""

from __future__ import annotations

from tui.server.throttle import AuthThrottle, retry_after


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_wait_doubles_with_each_failure_up_to_the_cap_and_is_forgotten():
    clock = Clock()
    throttle = AuthThrottle(after=3, max_s=10, forget_s=600, clock=clock)
    for _ in range(2):
        throttle.failed("a")
    assert throttle.wait_s("a", None) == 0
    waits = []
    for _ in range(6):
        throttle.failed("a")
        waits.append(throttle.wait_s("a", None))
    assert waits == [1, 2, 4, 8, 10, 10]
    assert throttle.wait_s("b", None) == 0  # another address is not affected
    clock.now += 10
    assert throttle.wait_s("a", None) == 0  # waited long enough for one more try
    throttle.failed("a")
    assert throttle.wait_s("a", None) == 10
    clock.now += 601
    throttle.failed("a")
    assert throttle.wait_s("a", None) == 0  # old failures forgotten: this is the first again


def test_keys_that_worked_from_an_address_are_not_held_up():
    throttle = AuthThrottle(after=1, clock=Clock())
    throttle.succeeded("a", "good")
    throttle.failed("a")
    assert throttle.wait_s("a", "good") == 0
    assert throttle.wait_s("a", "other") == 1


def test_memory_is_bounded():
    throttle = AuthThrottle(after=1, max_addresses=3, clock=Clock())
    for n in range(10):
        throttle.failed(f"10.0.0.{n}")
    assert len(throttle._addresses) == 3
    assert retry_after(0.2) == "1" and retry_after(2.5) == "3"
