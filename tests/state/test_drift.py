"""Drift findings: one open finding per unit, new ones by id for notifiers, a bound kept."""

from __future__ import annotations

import pytest

from reconciler.errors import StateError
from reconciler.state import DriftReport, StateStore
from reconciler.state.drift import KEEP_PER_UNIT
from tests.state.conftest import FakeClock

WEB = "service/web/test"


def _report(signature: str = "s1", unit: str = WEB, action: str = "reported") -> DriftReport:
    return DriftReport(
        unit,
        "TemplateChanged",
        "template changed outside Goldenpath: modify Queue",
        {"template": {"changes": [{"logical_id": "Queue"}]}},
        signature,
        action,  # type: ignore[arg-type]
    )


def test_a_new_drift_is_a_new_open_finding(store: StateStore) -> None:
    found, new = store.record_drift(_report())

    assert new and found.open and found.id > 0
    assert store.drift(WEB) == found
    assert found.details["template"]["changes"][0]["logical_id"] == "Queue"


def test_the_same_drift_seen_again_only_moves_checked_at(
    store: StateStore, clock: FakeClock
) -> None:
    first, _ = store.record_drift(_report())
    clock.advance(600)

    again, new = store.record_drift(_report(action="healing"))

    assert not new and again.id == first.id
    assert again.checked_at > first.checked_at and again.found_at == first.found_at
    assert again.action == "healing"


def test_another_drift_closes_the_open_finding_and_opens_one(store: StateStore) -> None:
    first, _ = store.record_drift(_report("s1"))

    second, new = store.record_drift(_report("s2"))

    assert new and second.id > first.id
    (older,) = [f for f in store.drift_history(WEB) if f.id == first.id]
    assert older.resolution == "changed" and not older.open
    assert [f.id for f in store.drifts()] == [second.id]


def test_a_notifier_reads_the_findings_after_its_cursor(store: StateStore) -> None:
    a, _ = store.record_drift(_report(unit="service/a/test"))
    b, _ = store.record_drift(_report(unit="service/b/test"))
    store.resolve_drift("service/a/test", "in sync")

    assert [f.id for f in store.drift_findings_after(0)] == [a.id, b.id]
    assert [f.id for f in store.drift_findings_after(a.id)] == [b.id]
    assert store.drift_findings_after(b.id) == []


def test_resolving_closes_the_open_finding(store: StateStore) -> None:
    store.record_drift(_report())

    resolved = store.resolve_drift(WEB, "healed")

    assert resolved is not None and resolved.resolution == "healed" and not resolved.open
    assert store.drift(WEB) is None
    assert store.resolve_drift(WEB, "healed") is None


def test_the_action_of_the_open_finding_changes(store: StateStore) -> None:
    store.record_drift(_report(action="healing"))

    changed = store.set_drift_action(WEB, "heal-failed", "the heal failed: ROLLBACK")

    assert changed is not None and changed.action == "heal-failed"
    assert changed.message == "the heal failed: ROLLBACK"


def test_resolved_findings_are_kept_up_to_a_bound_per_unit(store: StateStore) -> None:
    for n in range(KEEP_PER_UNIT + 5):
        store.record_drift(_report(f"s{n}"))

    history = store.drift_history(WEB, limit=1000)

    assert len(history) == KEEP_PER_UNIT
    assert history[0].open and sum(f.open for f in history) == 1


def test_an_unknown_action_is_refused(store: StateStore) -> None:
    with pytest.raises(ValueError, match="action must be one of"):
        _report(action="fixed")
    with pytest.raises((ValueError, StateError)):
        store.set_drift_action(WEB, "fixed")  # type: ignore[arg-type]
