"""One rate limit shared by every verification thread, so a big scan never hammers Mindee."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class RateLimiter:
    """Token bucket: `rate` requests per second on average, at most `burst` at once.

    `defer()` lets a 429's Retry-After pause every thread, not only the one that was told.
    """

    def __init__(
        self,
        rate: float,
        burst: int = 1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = float(burst)
        self._updated = clock()
        self._paused_until = 0.0

    def _refill(self, now: float) -> None:
        self._tokens = min(float(self.burst), self._tokens + (now - self._updated) * self.rate)
        self._updated = now

    def acquire(self) -> None:
        """Block until one request may go out."""
        while True:
            with self._lock:
                now = self._clock()
                self._refill(now)
                wait = self._paused_until - now
                if wait <= 0:
                    if self._tokens >= 1.0:
                        self._tokens -= 1.0
                        return
                    wait = (1.0 - self._tokens) / self.rate
            self._sleep(wait)

    def defer(self, seconds: float) -> None:
        """Hold every request back for `seconds` (a server asked us to slow down)."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)
