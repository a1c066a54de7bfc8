"""``goldenpath cancel``: a stuck update is cancelled, rolled back, and recorded with who did it."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.actions import StackInterventions, operator
from reconciler.apply.engine import Applied
from reconciler.errors import ActionConflict, UnitNotFound
from tests.engine.cli import cli_environment, goldenpath, goldenpath_command, on_emulator
from tests.engine.conftest import Build, Harness
from tests.engine.platforms import cycle_platform
from tests.engine.unsticking import (
    ORDERS_PRODUCTION,
    PRODUCTION,
    change_orders_in_production,
    eventually,
    hold_next_update,
    stack_status,
    updating,
)

MakeHarness = Callable[[Build], Harness]


@pytest.fixture
def cycle(harness: MakeHarness) -> Harness:
    made = harness(cycle_platform)
    assert made.apply().report.ok
    return made


def _cli(cycle: Harness, *args: str) -> tuple[str, ...]:
    return (*args, *on_emulator(cycle.aws.url, cycle.store.url))


def test_cancel_from_the_cli_while_the_apply_waits_records_cancelling_then_cancelled(
    cycle: Harness,
) -> None:
    template_before = cycle.aws.template(cycle.accounts.production, ORDERS_PRODUCTION)
    hold_next_update(cycle)
    change_orders_in_production(cycle)
    applied: list[Applied] = []
    apply = threading.Thread(target=lambda: applied.append(cycle.apply()))
    apply.start()
    eventually(lambda: updating(cycle), "the held update")
    # The rollback is held a moment too, so CANCELLING can be seen before it ends.
    hold_next_update(cycle, seconds=2)

    cancel = subprocess.Popen(
        goldenpath_command(*_cli(cycle, "cancel", PRODUCTION, "--as", "anna")),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_environment(),
    )
    cancelling = eventually(
        lambda: next(
            (d for d in cycle.store.history(PRODUCTION, 1) if d.status == "CANCELLING"), None
        ),
        "the CANCELLING entry",
    )
    out, err = cancel.communicate(timeout=120)
    apply.join(timeout=120)

    assert cancel.returncode == 0, (out, err)
    assert (cancelling.actor, cancelling.action) == ("anna (cli)", "cancel")
    [latest, before] = cycle.store.history(PRODUCTION, 2)
    assert (latest.id, latest.status, latest.actor, latest.action) == (
        cancelling.id, "CANCELLED", "anna (cli)", "cancel"
    )  # fmt: skip
    assert "update cancelled by anna (cli)" in latest.message
    assert before.status == "SUCCEEDED"
    assert stack_status(cycle) == "UPDATE_ROLLBACK_COMPLETE"
    assert cycle.aws.template(cycle.accounts.production, ORDERS_PRODUCTION) == template_before
    assert applied[0].report.outcomes[PRODUCTION].reason == "Cancelled"
    record = cycle.store.unit(PRODUCTION)
    assert record is not None
    stalled = record.condition("Stalled")
    assert stalled is not None and (stalled.status, stalled.reason) == (True, "Cancelled")
    assert "CANCELLING" in out and "CANCELLED" in out


def test_a_cancel_with_nobody_waiting_records_the_end_itself_and_retry_deploys_again(
    cycle: Harness, tmp_path: Path
) -> None:
    hold_next_update(cycle)
    change_orders_in_production(cycle)
    apply = subprocess.Popen(
        goldenpath_command(*_cli(cycle, "apply", str(cycle.repo.root), "--yes")),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=cli_environment(),
    )
    eventually(lambda: updating(cycle), "the held update")
    os.kill(apply.pid, signal.SIGKILL)
    apply.wait(timeout=30)

    cancelled = goldenpath(*_cli(cycle, "cancel", PRODUCTION, "--as", "john", "--output", "json"))

    assert cancelled.code == 0, cancelled
    document = cancelled.json()
    assert document["stack_status"] == "UPDATE_ROLLBACK_COMPLETE"
    assert document["deployment"]["status"] == "CANCELLED"
    assert document["deployment"]["actor"] == "john (cli)"
    assert cycle.store.in_flight() == []
    # Cancelled means stalled: the next apply leaves it alone ...
    calls = cycle.cloud.api_calls().get("cloudformation:UpdateStack", 0)
    assert cycle.apply().report.outcomes[PRODUCTION].reason == "Stalled"
    assert cycle.cloud.api_calls().get("cloudformation:UpdateStack", 0) == calls
    # ... until someone retries it.
    retried = goldenpath(*_cli(cycle, "retry", PRODUCTION, str(cycle.repo.root), "--as", "john"))

    assert retried.code == 0, retried
    assert "retry requested by john (cli) (was Cancelled)" in retried.stdout
    assert stack_status(cycle) == "UPDATE_COMPLETE"
    latest = cycle.store.history(PRODUCTION, 1)[0]
    assert (latest.status, latest.actor, latest.action) == ("SUCCEEDED", "john (cli)", "retry")


def test_cancel_of_a_stack_that_is_not_updating_names_its_status(cycle: Harness) -> None:
    refused = goldenpath(*_cli(cycle, "cancel", PRODUCTION))

    assert refused.code == 1
    assert refused.stdout.strip() == (
        f"error: cannot cancel {PRODUCTION}: its stack {ORDERS_PRODUCTION} is CREATE_COMPLETE; "
        "cancel applies only to a stack in UPDATE_IN_PROGRESS"
    )
    assert [d.status for d in cycle.store.history(PRODUCTION)] == ["SUCCEEDED"]


def test_cancel_of_an_unknown_unit_or_a_unit_without_a_stack_is_refused(
    harness: MakeHarness,
) -> None:
    cycle = harness(cycle_platform)
    cycle.aws.add_fault(
        {"kind": "fail", "operation": "create", "account": cycle.accounts.test,
         "stackName": "goldenpath-service-orders-test"}
    )  # fmt: skip
    cycle.apply()  # orders/test fails, so web/test (bound to it) is recorded, never created
    actions = StackInterventions(cycle.store, cycle.cloud)
    anna = operator("anna")

    with pytest.raises(UnitNotFound, match="no unit 'service/nope/test' is recorded"):
        actions.cancel("service/nope/test", anna)
    with pytest.raises(ActionConflict) as no_stack:
        actions.cancel("service/web/test", anna)

    assert str(no_stack.value) == (
        "service/web/test has no stack: goldenpath-service-web-test was never created in "
        f"{cycle.accounts.test}/us-west-2"
    )
    assert cycle.store.history("service/web/test") == []
