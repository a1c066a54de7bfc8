"""Where the state store reads the time.

Leases expire, deployments start and finish, deliveries age out: all of it depends on
"now". The store asks a ``Clock`` rather than the system, so that tests can move time
forward by hand and never sleep.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """A source of the current time, always timezone-aware UTC."""

    def now(self) -> datetime: ...


class SystemClock:
    """The machine's clock. Replicas sharing one database need clocks kept in step (NTP):
    lease expiry compares one process's "now" with another's."""

    def now(self) -> datetime:
        return datetime.now(UTC)


SYSTEM_CLOCK = SystemClock()
