"""A clock that only moves when someone sleeps on it, so retry tests never wait.

It starts at the real time, so epoch values it gives (JWT ``iat``/``exp``, rate-limit
resets) look like real ones; share one clock between a client and a fake forge
(``FakeGitHub(clock=clock.time)``) to keep their "now" in step.
"""

from __future__ import annotations

import threading
import time


class FakeClock:
    """``time()`` and ``sleep()``; every sleep is recorded and advances the time."""

    def __init__(self, start: float | None = None) -> None:
        self._now = time.time() if start is None else start
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def time(self) -> float:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self._now += max(seconds, 0.0)

    def advance(self, seconds: float) -> None:
        """Let time pass without anyone sleeping (e.g. a token growing old)."""
        with self._lock:
            self._now += seconds
