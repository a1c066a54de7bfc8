"""Holding a stack operation in flight for a while before its next step runs.

A delay fault keeps a stack ``*_IN_PROGRESS`` for N seconds, so a crash test or a second
process can catch it mid-operation. Each held step runs later on a timer thread, under
the CloudFormation lock, exactly once: either when its time comes or earlier, when
something needs the operation finished (a delete arriving meanwhile, or shutdown).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import structlog

from emulator.stacks.lock import CLOUDFORMATION_LOCK

log = structlog.get_logger(__name__)


class StepScheduler:
    """Runs held steps after their delay; tracks the timers so they can be flushed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._timers: dict[threading.Timer, Callable[[], None]] = {}

    def after(self, seconds: float, step: Callable[[], None]) -> None:
        """Run ``step`` now (no delay) or on a timer thread after ``seconds``."""
        if seconds <= 0:
            step()
            return
        # The lambda reads ``timer`` when it fires, after the assignment below.
        timer = threading.Timer(seconds, lambda: self._run(step, timer))
        timer.daemon = True
        with self._lock:
            self._timers[timer] = step
        timer.start()

    def _run(self, step: Callable[[], None], timer: threading.Timer) -> None:
        with self._lock:
            self._timers.pop(timer, None)
        with CLOUDFORMATION_LOCK:
            step()

    def flush(self) -> None:
        """Run every held step now (steps are idempotent: a step already run does nothing)."""
        while True:
            with self._lock:
                if not self._timers:
                    return
                timer, step = next(iter(self._timers.items()))
                del self._timers[timer]
            timer.cancel()
            with CLOUDFORMATION_LOCK:
                step()

    @property
    def held(self) -> int:
        with self._lock:
            return len(self._timers)


SCHEDULER = StepScheduler()
