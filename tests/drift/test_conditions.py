"""Drifted is derived like Ready: one summarize function sets it from outcomes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from reconciler.apply.conditions import Outcome, summarize
from reconciler.state import UnitRecord

NOW = datetime(2026, 5, 1, tzinfo=UTC)


def _applied() -> UnitRecord:
    record = UnitRecord(
        "service/web/test", "service", "web", "111111111111", "us-west-2", "svc", "1.0", NOW
    )
    return summarize(record, Outcome("applied", "Succeeded", "created web"), NOW)


def _status(record: UnitRecord, type_: str) -> tuple[bool, str] | None:
    found = record.condition(type_)  # type: ignore[arg-type]
    return None if found is None else (found.status, found.reason)


def test_an_apply_alone_adds_no_drifted_condition() -> None:
    assert _status(_applied(), "Drifted") is None


def test_a_drift_finding_sets_drifted_and_leaves_ready() -> None:
    record = summarize(_applied(), Outcome("drifted", "TemplateChanged", "modify Queue"), NOW)

    assert _status(record, "Drifted") == (True, "TemplateChanged")
    assert _status(record, "Ready") == (True, "Succeeded")


def test_a_deleted_stack_is_not_ready_until_it_is_back() -> None:
    later = NOW + timedelta(minutes=10)
    gone = summarize(_applied(), Outcome("drifted", "StackDeleted", "deleted"), NOW)
    noop = summarize(gone, Outcome("unchanged", "UpToDate", "up to date"), later)
    back = summarize(gone, Outcome("in_sync", "InSync"), later)

    assert _status(gone, "Ready") == (False, "StackDeleted")
    assert _status(noop, "Ready") == (False, "StackDeleted")
    assert _status(back, "Ready") == (True, "InSync")
    assert _status(back, "Drifted") == (False, "")


def test_an_apply_that_made_the_stack_from_git_clears_drifted() -> None:
    drifted = summarize(_applied(), Outcome("drifted", "TemplateChanged", "modify Queue"), NOW)

    unchanged = summarize(drifted, Outcome("unchanged", "UpToDate"), NOW)
    applied = summarize(drifted, Outcome("applied", "Succeeded", "updated web"), NOW)

    assert _status(unchanged, "Drifted") == (True, "TemplateChanged")
    assert _status(applied, "Drifted") == (False, "")
