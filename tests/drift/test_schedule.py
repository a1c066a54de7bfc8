"""Slots and the call budget: pure, on numbers standing for a clock."""

from __future__ import annotations

import pytest

from reconciler.drift.schedule import BURST_WINDOW, MINUTE, CallBudget, DriftSchedule, slot_of

INTERVAL = 600.0
UNITS = [f"service/svc-{n}/test" for n in range(1000)]


def test_a_unit_keeps_its_slot_and_slots_spread_over_the_interval() -> None:
    slots = [slot_of(u, INTERVAL) for u in UNITS]

    assert slots == [slot_of(u, INTERVAL) for u in UNITS]
    assert all(0 <= s < INTERVAL for s in slots)
    per_minute = [sum(1 for s in slots if m * 60 <= s < (m + 1) * 60) for m in range(10)]
    assert min(per_minute) > 60 and max(per_minute) < 140, per_minute


def test_the_first_tick_checks_nothing_and_each_unit_comes_due_once_per_interval() -> None:
    schedule = DriftSchedule(INTERVAL)
    start = 1_900_000_000.0

    assert schedule.due(UNITS, start) == []
    seen: list[str] = []
    for step in range(1, 121):
        seen += schedule.due(UNITS, start + step * 5.0)

    assert sorted(seen) == sorted(UNITS)


def test_a_long_pause_makes_a_unit_due_once_not_once_per_missed_slot() -> None:
    schedule = DriftSchedule(INTERVAL)
    schedule.due(UNITS[:10], 0.0)

    assert sorted(schedule.due(UNITS[:10], 5 * INTERVAL)) == sorted(UNITS[:10])


def test_due_units_come_in_slot_order() -> None:
    schedule = DriftSchedule(INTERVAL)
    schedule.due(UNITS, 0.0)

    due = schedule.due(UNITS, INTERVAL)

    assert [slot_of(u, INTERVAL) for u in due] == sorted(slot_of(u, INTERVAL) for u in due)


def test_a_pass_of_1000_units_keeps_every_window_within_the_budget() -> None:
    """The scheduler as the watch drives it: due units queue, and each step waits for
    its account's budget (every unit here is in one account)."""
    budget = CallBudget(calls_per_minute=60, step_cost=3)
    schedule = DriftSchedule(INTERVAL)
    queue: list[str] = []
    sent: list[tuple[float, int]] = []
    now = 0.0
    schedule.due(UNITS, now)
    checked = 0
    while checked < len(UNITS):
        now += 5.0
        queue += schedule.due(UNITS, now) if now <= INTERVAL else []
        while queue and budget.allows("111111111111", 3, now):
            queue.pop(0)
            budget.spend("111111111111", 3, now)
            sent.append((now, 3))
            checked += 1

    for start, _n in sent:
        assert sum(n for at, n in sent if start <= at < start + MINUTE) <= 60
        assert sum(n for at, n in sent if start <= at < start + BURST_WINDOW) <= 10
    # 1,000 checks of 3 calls at 60 calls a minute: the pass takes 50 minutes or more
    # (whole steps fit a 10 s window three at a time), not the 10 of the interval.
    assert 50 * MINUTE <= now <= 60 * MINUTE


def test_calls_beyond_the_estimate_are_counted_and_delay_what_follows() -> None:
    budget = CallBudget(calls_per_minute=12, step_cost=3)
    budget.spend("a", 11, 0.0)

    assert not budget.allows("a", 3, 30.0)
    assert budget.allows("a", 3, 60.5)
    assert budget.allows("b", 3, 0.0)  # another account has its own budget


def test_a_budget_below_one_step_is_refused() -> None:
    with pytest.raises(ValueError, match="below the cost of one step"):
        CallBudget(calls_per_minute=2, step_cost=3)
