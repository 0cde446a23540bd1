from __future__ import annotations

from bot.storage.breaker import CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_opens_after_failures_in_a_row_and_lets_one_trial_through_after_the_pause() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failures=2, pause_seconds=5.0, clock=clock)
    breaker.failed()
    breaker.succeeded()  # not in a row
    breaker.failed()
    assert breaker.allow()
    breaker.failed()
    assert breaker.open and not breaker.allow()
    clock.now = 5.0
    assert breaker.allow()  # the trial
    assert not breaker.allow()  # only one
    breaker.failed()  # the trial failed: open for another pause
    clock.now = 9.0
    assert not breaker.allow()
    clock.now = 10.0
    assert breaker.allow()
    breaker.succeeded()
    assert not breaker.open and breaker.allow() and breaker.allow()
    assert breaker.refused == 3
