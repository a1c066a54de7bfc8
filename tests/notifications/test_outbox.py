"""The outbox rows on SQLite and PostgreSQL: claims, when the next row is due, pruning,
and exception.expiring told once per exception and target, across restarts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

from reconciler.notifications.expiring import publish_expiring
from reconciler.notifications.outbox import Outbox
from reconciler.specs.model import GuardrailException, Origin
from reconciler.state import StateStore
from tests.notifications.conftest import (
    FakeClock,
    deploy_failed,
    json_target,
    platform,
    queue,
    slack_target,
)

SLACK = {"TEST_SLACK_URL"}


def test_next_due_waits_for_another_claim_to_run_out_and_ignores_rows_it_cannot_send(
    store: StateStore, clock: FakeClock
) -> None:
    outbox = Outbox(store)
    assert outbox.next_due(SLACK) is None
    queue(store, json_target())
    assert outbox.next_due(SLACK) is None  # a json row: not ours to send without its secret
    queue(store, slack_target())

    assert outbox.next_due(SLACK) == store.now()
    outbox.claim("other", timedelta(seconds=90), 10, SLACK)
    assert outbox.next_due(SLACK) == store.now() + timedelta(seconds=90)
    assert outbox.claim("me", timedelta(seconds=90), 10, SLACK) == []
    clock.advance(90)
    assert [n.target for n in outbox.claim("me", timedelta(seconds=90), 10, SLACK)] == [
        "ops-slack"
    ]


def test_a_released_row_can_be_claimed_at_once(store: StateStore) -> None:
    outbox = Outbox(store)
    queue(store, slack_target())
    outbox.claim("leaving", timedelta(seconds=90), 10, SLACK)

    assert outbox.release("leaving") == 1
    assert len(outbox.claim("staying", timedelta(seconds=90), 10, SLACK)) == 1


def test_pruning_drops_only_rows_finished_long_enough_ago(
    store: StateStore, clock: FakeClock
) -> None:
    outbox = Outbox(store)
    queue(store, slack_target())
    queue(store, slack_target(), notice=deploy_failed(deployment=8))
    queue(store, slack_target(), notice=deploy_failed(deployment=9))
    first, second, _third = outbox.claim("me", timedelta(seconds=60), 10, SLACK)
    outbox.delivered(first)
    outbox.failed(second, "HTTP 500", None)
    clock.advance(91 * 86400)

    assert outbox.prune(timedelta(days=90)) == 2
    assert [(n.state, n.attempts) for n in outbox.listing()] == [("pending", 0)]


def test_an_exception_about_to_expire_is_queued_once_per_target_even_after_a_restart(
    open_store: Callable[..., StateStore], clock: FakeClock
) -> None:
    exception = GuardrailException(
        "s3_encrypted",
        ("service/legacy-*/*",),
        "the legacy bucket",
        (clock.now() + timedelta(days=10)).date().isoformat(),
        Origin("goldenpath.yaml", 12, "spec.guardrails.exceptions[0]"),
    )
    settings = replace(
        platform(slack_target(("exception.expiring",)), json_target(("exception.expiring",))),
        guardrail_exceptions=(exception,),
    )
    store = open_store()
    told: set[tuple[str, str]] = set()

    assert publish_expiring(store, settings, clock.now().date(), told) == 2
    assert publish_expiring(store, settings, clock.now().date(), told) == 0  # remembered
    restarted = open_store()
    clock.advance(86400)
    assert publish_expiring(restarted, settings, clock.now().date(), set()) == 0  # in the outbox

    rows = Outbox(restarted).listing()
    assert [(n.kind, n.target) for n in rows] == [
        ("exception.expiring", "ops-slack"),
        ("exception.expiring", "ops-json"),
    ]
    assert rows[0].payload["data"]["days_left"] == 10
