"""When each stack is checked, and how many calls an account may take: pure and clocked.

- **Slots.** Every unit has a fixed offset in the drift interval, from a hash of its id, so
  a pass of a thousand stacks is spread over the whole interval instead of arriving as
  one burst, and the same unit is checked at the same point of every interval (across
  restarts and replicas too: slots are counted from the epoch, not from the start).
- **Budget.** Per account, at most ``calls_per_minute`` calls in any 60 s window and at
  most a sixth of that (at least one step's worth) in any 10 s window. A step that would
  break either waits for a later tick; its calls are counted as they were really made.

Times are seconds on any clock that moves forward (tests pass a fake one); nothing here
sleeps.
"""

from __future__ import annotations

import hashlib
import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

# The two windows of the budget: a minute, and a short one that keeps bursts down.
MINUTE = 60.0
BURST_WINDOW = 10.0


def slot_of(unit_id: str, interval: float) -> float:
    """The unit's offset in the interval: stable, and spread evenly over [0, interval)."""
    digest = hashlib.sha256(unit_id.encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 * interval


def last_slot(unit_id: str, interval: float, now: float) -> float:
    """The latest time at or before ``now`` when the unit's slot came round."""
    slot = slot_of(unit_id, interval)
    return math.floor((now - slot) / interval) * interval + slot


@dataclass
class DriftSchedule:
    """Which units' slots came round between one tick and the next."""

    interval: float
    last_tick: float | None = None

    def due(self, unit_ids: Iterable[str], now: float) -> list[str]:
        """Units whose slot passed since the last tick (none on the first), earliest first.

        A unit is due at most once per call, however many of its slots a long pause
        skipped: one check tells whether it drifted.
        """
        previous, self.last_tick = self.last_tick, now
        if previous is None or now <= previous:
            return []
        found = []
        for unit_id in unit_ids:
            at = last_slot(unit_id, self.interval, now)
            if at > previous:
                found.append((at, unit_id))
        return [unit_id for _at, unit_id in sorted(found)]


@dataclass
class CallBudget:
    """API calls drift checks may make per account: a minute's worth, without bursts."""

    calls_per_minute: int
    step_cost: int = 3  # the most calls one step is expected to make
    _spent: dict[str, deque[tuple[float, int]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.calls_per_minute < 1:
            raise ValueError(f"calls_per_minute must be at least 1, got {self.calls_per_minute}")
        if self.calls_per_minute < self.step_cost:
            raise ValueError(
                f"calls_per_minute {self.calls_per_minute} is below the cost of one step "
                f"({self.step_cost} calls): no check could ever start"
            )

    @property
    def burst_limit(self) -> int:
        """Calls allowed in any 10 s window: a sixth of the minute, at least one step."""
        return max(self.step_cost, math.floor(self.calls_per_minute * BURST_WINDOW / MINUTE))

    def allows(self, account: str, calls: int, now: float) -> bool:
        """Whether ``calls`` more calls to ``account`` now keep both windows within limits."""
        spent = self._window(account, now)
        in_minute = sum(n for _at, n in spent)
        in_burst = sum(n for at, n in spent if at > now - BURST_WINDOW)
        return in_minute + calls <= self.calls_per_minute and in_burst + calls <= self.burst_limit

    def spend(self, account: str, calls: int, now: float) -> None:
        """Count calls really made (they may exceed what ``allows`` was asked about)."""
        if calls > 0:
            self._window(account, now).append((now, calls))

    def spent(self, account: str, now: float) -> int:
        """Calls counted for ``account`` in the last minute."""
        return sum(n for _at, n in self._window(account, now))

    def _window(self, account: str, now: float) -> deque[tuple[float, int]]:
        spent = self._spent.setdefault(account, deque())
        while spent and spent[0][0] <= now - MINUTE:
            spent.popleft()
        return spent
