"""``goldenpath continue-update-rollback`` and ``goldenpath retry`` against the emulator."""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest

from reconciler.actions import StackInterventions, operator, request_retry
from reconciler.apply.interventions import RETRY_REQUESTS
from reconciler.errors import ActionConflict, ActionInputInvalid
from tests.engine.cli import goldenpath, on_emulator
from tests.engine.conftest import Build, Harness
from tests.engine.platforms import cycle_platform
from tests.engine.unsticking import (
    ORDERS_PRODUCTION,
    PRODUCTION,
    change_orders_in_production,
    fail_rollback_of_next_update,
    stack_status,
)

MakeHarness = Callable[[Build], Harness]
ORDERS_TEST = "service/orders/test"


@pytest.fixture
def cycle(harness: MakeHarness) -> Harness:
    made = harness(cycle_platform)
    assert made.apply().report.ok
    return made


def _cli(cycle: Harness, *args: str) -> tuple[str, ...]:
    return (*args, *on_emulator(cycle.aws.url, cycle.store.url))


@pytest.fixture
def rollback_failed(cycle: Harness) -> Harness:
    fail_rollback_of_next_update(cycle)
    change_orders_in_production(cycle, "{dead_letter: true, size: 3}")
    assert cycle.apply().report.outcomes[PRODUCTION].kind == "failed"
    assert stack_status(cycle) == "UPDATE_ROLLBACK_FAILED"
    return cycle


def test_continue_update_rollback_skipping_the_named_resource_completes_it(
    rollback_failed: Harness,
) -> None:
    cycle = rollback_failed

    done = goldenpath(*_cli(cycle, "continue-update-rollback", PRODUCTION, "--skip", "Queue",
                            "--as", "john", "--output", "json"))  # fmt: skip

    assert done.code == 0, done
    assert done.json()["stack_status"] == "UPDATE_ROLLBACK_COMPLETE"
    assert done.json()["skipped"] == ["Queue"]
    assert stack_status(cycle) == "UPDATE_ROLLBACK_COMPLETE"
    latest = cycle.store.history(PRODUCTION, 1)[0]
    assert (latest.status, latest.actor, latest.action) == (
        "SUCCEEDED", "john (cli)", "continue-update-rollback"
    )  # fmt: skip
    assert "skipped: Queue" in latest.message
    skipped = [
        e["ResourceStatus"]
        for e in cycle.aws.events(cycle.accounts.production, ORDERS_PRODUCTION)
        if e["LogicalResourceId"] == "Queue" and "skipped" in e.get("ResourceStatusReason", "")
    ]
    assert skipped == ["UPDATE_COMPLETE"]
    record = cycle.store.unit(PRODUCTION)
    assert record is not None
    stalled = record.condition("Stalled")
    assert stalled is not None and (stalled.status, stalled.reason) == (True, "RolledBack")
    assert cycle.store.lease(PRODUCTION) is None


def test_without_the_skip_the_rollback_fails_again_and_says_why(rollback_failed: Harness) -> None:
    cycle = rollback_failed

    done = goldenpath(*_cli(cycle, "continue-update-rollback", PRODUCTION))

    assert done.code == 1
    assert stack_status(cycle) == "UPDATE_ROLLBACK_FAILED"
    latest = cycle.store.history(PRODUCTION, 1)[0]
    assert latest.status == "FAILED"
    assert "Queue (AWS::SQS::Queue) UPDATE_FAILED" in latest.message


def test_skipping_a_resource_whose_rollback_did_not_fail_is_refused_by_cloudformation(
    rollback_failed: Harness,
) -> None:
    cycle = rollback_failed
    actions = StackInterventions(cycle.store, cycle.cloud)

    with pytest.raises(ActionConflict, match=r"Resources \[DeadLetter\] cannot be skipped"):
        actions.continue_rollback(PRODUCTION, operator("john"), ["DeadLetter"])

    assert stack_status(cycle) == "UPDATE_ROLLBACK_FAILED"
    assert cycle.store.lease(PRODUCTION) is None


@pytest.mark.parametrize(
    ("skip", "message"),
    [
        (["Queue", "Queue"], "skip: a logical id is named twice"),
        (["Queue", "not an id"], "skip[1]: 'not an id' is not a logical resource id"),
        ("Queue", "skip: expected a list of logical resource ids, got a string"),
    ],
)
def test_malformed_skips_are_refused_before_anything_is_sent(
    cycle: Harness, skip: object, message: str
) -> None:
    actions = StackInterventions(cycle.store, cycle.cloud)

    with pytest.raises(ActionInputInvalid, match=message.replace("[", r"\[").replace("]", r"\]")):
        actions.continue_rollback(PRODUCTION, operator("john"), skip)  # type: ignore[arg-type]

    assert len(cycle.store.history(PRODUCTION)) == 1


def test_continue_update_rollback_of_a_healthy_stack_names_its_status(cycle: Harness) -> None:
    refused = goldenpath(*_cli(cycle, "continue-update-rollback", PRODUCTION))

    assert refused.code == 1
    assert "its stack goldenpath-service-orders-production is CREATE_COMPLETE" in refused.stdout
    assert "applies only to a stack in UPDATE_ROLLBACK_FAILED" in refused.stdout


def test_retry_re_attempts_a_failed_unit_now(harness: MakeHarness) -> None:
    cycle = harness(cycle_platform)
    cycle.aws.add_fault(
        {"kind": "fail", "operation": "create", "account": cycle.accounts.test,
         "stackName": "goldenpath-service-orders-test", "count": 1}
    )  # fmt: skip
    assert cycle.apply().report.outcomes[ORDERS_TEST].kind == "failed"
    assert cycle.apply().report.outcomes[ORDERS_TEST].reason == "Stalled"  # waits for a commit

    retried = goldenpath(*_cli(cycle, "retry", ORDERS_TEST, str(cycle.repo.root), "--as", "anna"))

    assert retried.code == 0, retried
    assert (
        cycle.aws.stacks(cycle.accounts.test)["goldenpath-service-orders-test"]["StackStatus"]
        == "CREATE_COMPLETE"
    )
    latest, failed = cycle.store.history(ORDERS_TEST, 2)
    assert (latest.status, latest.actor, latest.action) == ("SUCCEEDED", "anna (cli)", "retry")
    assert latest.message.startswith("created goldenpath-service-orders-test")
    assert failed.status == "FAILED"
    # Its dependant, blocked until now, went out in the same run.
    assert "applied  service/web/test" in retried.stdout
    assert cycle.store.cache_get(RETRY_REQUESTS, ORDERS_TEST) is None  # used once


def test_retry_without_a_repo_clears_the_stall_for_the_next_reconcile(harness: MakeHarness) -> None:
    cycle = harness(cycle_platform)
    cycle.aws.add_fault(
        {"kind": "fail", "operation": "create", "account": cycle.accounts.test,
         "stackName": "goldenpath-service-orders-test", "count": 1}
    )  # fmt: skip
    cycle.apply()
    cycle.store.record_revision("main", "abc")

    requested = request_retry(cycle.store, ORDERS_TEST, operator("anna"))

    assert requested.was == "StackFailed"
    assert cycle.store.seen_revision("main") is None  # a running serve reconciles at its poll
    planned = {u.unit_id: u.action for u in cycle.plan().plan.units}
    assert planned[ORDERS_TEST] == "create"
    assert cycle.apply().report.outcomes[ORDERS_TEST].kind == "applied"


@pytest.mark.parametrize(
    ("unit", "message"),
    [
        (PRODUCTION, "service/orders/production is Ready: there is nothing to retry"),
        ("service/nope/test", "no unit 'service/nope/test' is recorded"),
    ],
)
def test_retry_refuses_what_retrying_cannot_help(cycle: Harness, unit: str, message: str) -> None:
    refused = goldenpath(*_cli(cycle, "retry", unit))

    assert refused.code == 1
    assert message in refused.stdout
    assert len(cycle.store.history(PRODUCTION)) == 1


def test_a_rollback_whose_waiting_process_died_is_recorded_when_the_stack_comes_to_rest(
    rollback_failed: Harness,
) -> None:
    cycle = rollback_failed
    dead = StackInterventions(cycle.store, cycle.cloud, holder=f"{socket.gethostname()}:999999:0")
    started = dead.continue_rollback(PRODUCTION, operator("john"), ["Queue"])
    # The process dies here: nobody waits for the stack, the entry stays IN_PROGRESS.
    assert cycle.store.history(PRODUCTION, 1)[0].status == "IN_PROGRESS"
    cycle.cloud.wait([started.stack.ref])

    closed = StackInterventions(cycle.store, cycle.cloud).recover()

    assert [(d.id, d.status) for d in closed] == [(started.deployment.id, "SUCCEEDED")]
    latest = cycle.store.history(PRODUCTION, 1)[0]
    assert (latest.status, latest.actor) == ("SUCCEEDED", "john (cli)")
    assert "skipped: Queue" in latest.message
    assert cycle.store.lease(PRODUCTION) is None
    assert StackInterventions(cycle.store, cycle.cloud).recover() == []  # nothing left open


def test_recovery_leaves_a_rollback_alone_while_a_live_process_holds_the_unit(
    rollback_failed: Harness,
) -> None:
    cycle = rollback_failed
    live = StackInterventions(cycle.store, cycle.cloud)
    started = live.continue_rollback(PRODUCTION, operator("john"), ["Queue"])

    assert StackInterventions(cycle.store, cycle.cloud).recover() == []
    assert cycle.store.history(PRODUCTION, 1)[0].status == "IN_PROGRESS"

    settled = live.settle(started)
    assert settled.deployment.status == "SUCCEEDED"
