"""``exception.expiring``: guardrail exceptions whose end comes within a target's window.

Each target that asks for the event says how early it wants to hear (``expiringWithin``,
14 days by default). ``serve`` looks after every reconcile and once an hour; an exception
is told to a target once (the outbox refuses an event it already holds for that target,
and keeps what it sent longer than any window), from the day it enters the window until
its last day. An exception already past is the guardrails' business, not news.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from reconciler.notifications.events import Notice, exception_expiring
from reconciler.notifications.publish import publish
from reconciler.specs.model import NotificationTarget, Platform
from reconciler.state import StateStore
from reconciler.state.transaction import StateTransaction

DAY_S = 86400.0


def expiring(
    platform: Platform, today: date, now: datetime
) -> list[tuple[NotificationTarget, Notice]]:
    """(target, notice) for each exception within each interested target's window."""
    found = []
    for target in platform.notifications:
        if not target.wants("exception.expiring"):
            continue
        for exc in platform.guardrail_exceptions:
            try:
                expires = date.fromisoformat(exc.expires)
            except ValueError:
                continue  # the schema refuses it; nothing to count down to
            days = (expires - today).days
            if days >= 0 and days * DAY_S <= target.expiring_within:
                where = (
                    f"{exc.origin.file}:{exc.origin.line}" if exc.origin.line else exc.origin.file
                )
                notice = exception_expiring(
                    exc.rule, exc.units, exc.reason, expires, today, where, now
                )
                found.append((target, notice))
    return found


def publish_expiring(
    store: StateStore, platform: Platform, today: date, told: set[tuple[str, str]]
) -> int:
    """Queue what ``expiring`` finds and ``told`` (this process's memory) lacks; returns
    how many rows were new. ``told`` gains what was queued or found queued."""
    due = [
        (target, notice)
        for target, notice in expiring(platform, today, store.now())
        if (notice.id, target.name) not in told
    ]
    if not due:
        return 0
    with store.transaction("queueing exception.expiring notifications") as tx:
        queued = sum(_publish(tx, platform, target, notice) for target, notice in due)
    told.update((notice.id, target.name) for target, notice in due)
    return queued


def _publish(
    tx: StateTransaction, platform: Platform, target: NotificationTarget, notice: Notice
) -> int:
    return publish(tx, replace(platform, notifications=(target,)), notice)
