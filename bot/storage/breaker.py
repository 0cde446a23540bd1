"""A circuit breaker: after a few failures in a row, stop asking a database that hangs.

While it is open every call is refused at once, so a hung database costs one child a timeout
instead of every child in turn. After a pause one trial call is let through; its success closes
the circuit again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class CircuitBreaker:
    """Counts failures in a row; open for ``pause_seconds`` after ``failures`` of them."""

    def __init__(
        self,
        *,
        failures: int,
        pause_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.threshold = max(1, failures)
        self.pause_seconds = pause_seconds
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial = False
        self._lock = threading.Lock()
        #: Calls refused while open (for tests and metrics).
        self.refused = 0

    @property
    def open(self) -> bool:
        """Whether calls are being refused now."""
        with self._lock:
            return self._opened_at is not None

    def allow(self) -> bool:
        """Whether a call may go ahead (while open: one trial after the pause)."""
        with self._lock:
            if self._opened_at is None:
                return True
            if not self._trial and self._clock() - self._opened_at >= self.pause_seconds:
                self._trial = True
                return True
            self.refused += 1
            return False

    def succeeded(self) -> None:
        """A call worked: close the circuit."""
        with self._lock:
            self._failures, self._opened_at, self._trial = 0, None, False

    def failed(self) -> None:
        """A call failed: open the circuit after enough in a row (or when the trial failed)."""
        with self._lock:
            self._failures += 1
            if self._trial or self._failures >= self.threshold:
                self._opened_at, self._trial = self._clock(), False
