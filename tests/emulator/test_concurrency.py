"""Concurrent CloudFormation calls: fix ``serialized-requests``.

The race moto 5.2.5 loses is made deterministic here: a stack table that pauses the first
iteration over it until another request has added a stack (or a timeout passes). Without
the lock the second ``CreateStack`` mutates the table under the first one's iteration
("OrderedDict mutated during iteration", an HTTP 500); with it, the second call waits.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError
from moto.cloudformation.models import cloudformation_backends

from emulator.fixes import disabled
from tests.emulator.conftest import REGION, Client
from tests.emulator.probes import stack_of, template

TOPIC = template({"Topic": {"Type": "AWS::SNS::Topic"}})
CONCURRENT_CALLS = 200
# How long the paused iteration waits for the intruding insert. Without the lock the
# insert comes within milliseconds; with it, it never comes and the wait runs out.
INTRUSION_WAIT_SECONDS = 5.0
LOCKED_WAIT_SECONDS = 0.5


class PausingStacks(OrderedDict[str, Any]):
    """A stack table whose first iteration pauses until a stack is added meanwhile."""

    def __init__(self, stacks: dict[str, Any], wait_seconds: float) -> None:
        self.wait_seconds = wait_seconds
        self.paused = threading.Event()
        self.inserted = threading.Event()
        self._armed = True
        super().__init__(stacks)

    def values(self) -> Any:
        return self._paused_values()

    def _paused_values(self) -> Iterator[Any]:
        first = self._armed
        self._armed = False
        for index, value in enumerate(super().values()):
            yield value
            if first and index == 0:
                self.paused.set()
                self.inserted.wait(self.wait_seconds)

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        if self.paused.is_set():
            self.inserted.set()


def _race(client: Client, account: str, names: Callable[[str], str], wait: float) -> list[Any]:
    """Two CreateStack calls racing over the pausing table; returns their outcomes."""
    cfn = client("cloudformation", account, retries=0)
    # Two stacks: the paused iteration must have one more to go when the intruder strikes.
    for base in ("first", "second"):
        cfn.create_stack(StackName=names(base), TemplateBody=TOPIC)
    backend = cloudformation_backends[account][REGION]
    table = PausingStacks(backend.stacks, wait)
    backend.stacks = table
    outcomes: list[Any] = [None, None]

    def call(slot: int, name: str) -> None:
        try:
            outcomes[slot] = cfn.create_stack(StackName=name, TemplateBody=TOPIC)["StackId"]
        except (ClientError, BotoCoreError, ResponseParserError) as exc:
            outcomes[slot] = exc

    paused_caller = threading.Thread(target=call, args=(0, names("paused")))
    paused_caller.start()
    assert table.paused.wait(10), "the first CreateStack never iterated the stack table"
    call(1, names("intruder"))
    paused_caller.join(30)
    return outcomes


def test_create_stack_waits_for_a_concurrent_one(
    client: Client, account: str, names: Callable[[str], str]
) -> None:
    outcomes = _race(client, account, names, LOCKED_WAIT_SECONDS)
    assert all(isinstance(outcome, str) for outcome in outcomes), outcomes


def test_stock_moto_still_breaks_on_concurrent_create_stack(
    client: Client, account: str, names: Callable[[str], str]
) -> None:
    with disabled("serialized-requests"):
        outcomes = _race(client, account, names, INTRUSION_WAIT_SECONDS)
    broken = any(isinstance(outcome, Exception) for outcome in outcomes)
    assert broken, (
        "fix serialized-requests is no longer needed: concurrent CreateStack calls no longer "
        f"break moto's stack table ({outcomes})"
    )


@pytest.mark.slow
def test_two_hundred_concurrent_create_stack_calls_all_succeed(
    client: Client, account: str, names: Callable[[str], str]
) -> None:
    cfn = client("cloudformation", account, retries=0)
    stack_names = [names(f"burst{index}") for index in range(CONCURRENT_CALLS)]
    with ThreadPoolExecutor(max_workers=CONCURRENT_CALLS) as pool:
        ids = list(
            pool.map(lambda name: cfn.create_stack(StackName=name, TemplateBody=TOPIC), stack_names)
        )
    assert len({answer["StackId"] for answer in ids}) == CONCURRENT_CALLS
    statuses = {stack_of(cfn, name)["StackStatus"] for name in stack_names}
    assert statuses == {"CREATE_COMPLETE"}
