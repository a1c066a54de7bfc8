"""Helpers of the write-action tests: a held update, a failed rollback, polling the store."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from tests.engine.conftest import Harness
from tests.engine.platforms import set_inputs

PRODUCTION = "service/orders/production"
ORDERS_PRODUCTION = "goldenpath-service-orders-production"
HELD_SECONDS = 30
LOOK_EVERY_S = 0.05
LOOK_AT_MOST_S = 60.0
T = TypeVar("T")


def eventually(look: Callable[[], T | None], what: str, limit: float = LOOK_AT_MOST_S) -> T:
    """``look()`` until it returns something (not None or False); fail saying ``what``."""
    deadline = time.monotonic() + limit
    while True:
        found = look()
        if found:
            return found
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(LOOK_EVERY_S)


def hold_next_update(cycle: Harness, seconds: float = HELD_SECONDS) -> None:
    """The next update of orders in production stays UPDATE_IN_PROGRESS ``seconds``."""
    cycle.aws.add_fault(
        {
            "kind": "delay",
            "operation": "update",
            "stackName": ORDERS_PRODUCTION,
            "account": cycle.accounts.production,
            "seconds": seconds,
            "count": 1,
        }
    )


def change_orders_in_production(cycle: Harness, inputs: str = "{size: 3}") -> str:
    set_inputs(cycle.repo, "orders", "production", inputs)
    return cycle.repo.commit(f"orders in production: {inputs}")


def stack_status(cycle: Harness, name: str = ORDERS_PRODUCTION) -> str | None:
    found = cycle.aws.stacks(cycle.accounts.production).get(name)
    return None if found is None else str(found["StackStatus"])


def updating(cycle: Harness) -> bool:
    """The held update has started and the engine has recorded it."""
    history = cycle.store.history(PRODUCTION, limit=1)
    return (
        stack_status(cycle) == "UPDATE_IN_PROGRESS"
        and bool(history)
        and history[0].status == "IN_PROGRESS"
    )


def fail_rollback_of_next_update(cycle: Harness) -> None:
    """The next update fails on a new dead-letter queue, and so does its rollback."""
    cycle.aws.add_fault(
        {
            "kind": "fail",
            "operation": "update",
            "stackName": ORDERS_PRODUCTION,
            "account": cycle.accounts.production,
            "logicalResourceId": "DeadLetter",
            "message": "dead-letter quota",
            "rollback": "fail",
        }
    )
