"""The cloud edge's cancel_update and continue_update_rollback, over HTTP to the emulator."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from reconciler.cloud import CloudRejected, FaultyCloud, StackRef, Target
from tests.engine.conftest import Build, Harness
from tests.engine.platforms import cycle_platform
from tests.engine.unsticking import (
    ORDERS_PRODUCTION,
    change_orders_in_production,
    eventually,
    fail_rollback_of_next_update,
    hold_next_update,
    stack_status,
)

TOKEN = "goldenpath-test-0001"
MakeHarness = Callable[[Build], Harness]


@pytest.fixture
def cycle(harness: MakeHarness) -> Harness:
    made = harness(cycle_platform)
    assert made.apply().report.ok
    return made


def _target(cycle: Harness) -> Target:
    account = cycle.accounts.production
    return Target(account, "us-west-2", f"arn:aws:iam::{account}:role/goldenpath-deployer")


def test_cancel_update_rolls_a_held_update_back(cycle: Harness) -> None:
    hold_next_update(cycle)
    account = cycle.accounts.production
    body = cycle.aws.template(account, ORDERS_PRODUCTION)
    cycle.aws.client("cloudformation", account).update_stack(
        StackName=ORDERS_PRODUCTION, TemplateBody=body.replace("Description: ", "Description: v2 ")
    )
    eventually(lambda: stack_status(cycle) == "UPDATE_IN_PROGRESS", "the held update")
    faulty = FaultyCloud(cycle.cloud, [])

    faulty.cancel_update(_target(cycle), ORDERS_PRODUCTION, TOKEN)

    final = cycle.cloud.wait([StackRef(_target(cycle), ORDERS_PRODUCTION)])
    assert next(iter(final.values())).status == "UPDATE_ROLLBACK_COMPLETE"  # type: ignore[union-attr]
    assert faulty.calls_to("cancel_update", ORDERS_PRODUCTION) == 1


def test_cancel_update_of_a_settled_stack_is_rejected_with_aws_words(cycle: Harness) -> None:
    with pytest.raises(CloudRejected) as refused:
        cycle.cloud.cancel_update(_target(cycle), ORDERS_PRODUCTION, TOKEN)

    assert refused.value.code == "ValidationError"
    assert "CancelUpdateStack cannot be called from current stack status" in str(refused.value)


def test_continue_update_rollback_skips_the_named_resource(cycle: Harness) -> None:
    fail_rollback_of_next_update(cycle)
    change_orders_in_production(cycle, "{dead_letter: true, size: 3}")
    assert cycle.apply().report.outcomes["service/orders/production"].kind == "failed"
    assert stack_status(cycle) == "UPDATE_ROLLBACK_FAILED"

    cycle.cloud.continue_update_rollback(_target(cycle), ORDERS_PRODUCTION, TOKEN, ["Queue"])

    final = cycle.cloud.wait([StackRef(_target(cycle), ORDERS_PRODUCTION)])
    assert next(iter(final.values())).status == "UPDATE_ROLLBACK_COMPLETE"  # type: ignore[union-attr]
    skipped = [
        e for e in cycle.aws.events(cycle.accounts.production, ORDERS_PRODUCTION)
        if e["LogicalResourceId"] == "Queue" and "skipped" in e.get("ResourceStatusReason", "")
    ]  # fmt: skip
    assert [e["ResourceStatus"] for e in skipped] == ["UPDATE_COMPLETE"]
