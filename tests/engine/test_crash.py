"""Crash safety: ``goldenpath apply`` killed with SIGKILL mid-flight, then run until done.

The emulator outlives the killed process: it serves from this test process, and the
apply runs in a subprocess pointed at it (``--aws-endpoint-url``). Delay faults hold
every stack ``*_IN_PROGRESS`` for a moment, so each kill lands while CloudFormation is
working. After the restarts, every time: each stack exists exactly once and was
created once, the state matches the emulator, and the history is complete.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.engine.cli import CLI_TIMEOUT_S, cli_environment, goldenpath_command, on_emulator
from tests.engine.conftest import Build, Harness
from tests.engine.platforms import cycle_platform, set_inputs

MakeHarness = Callable[[Build], Harness]
# How long each stack operation is held in progress: long enough to kill mid-flight.
HOLD_S = 0.6
# Restarts allowed before a crash counts as unrecoverable.
MAX_RESTARTS = 4
CYCLE_STACKS = {
    "test": {
        "goldenpath-environment-test",
        "goldenpath-service-orders-test",
        "goldenpath-service-web-test",
    },
    "production": {"goldenpath-environment-production", "goldenpath-service-orders-production"},
    "pipelines": {"goldenpath-pipeline-orders"},
}


@dataclass(frozen=True)
class KillPoint:
    """Kill the apply at the ``nth`` log event named ``event``."""

    event: str
    nth: int = 1

    def __str__(self) -> str:
        return f"{self.event}#{self.nth}"


def apply_command(made: Harness) -> list[str]:
    return goldenpath_command(
        "apply",
        str(made.repo.root),
        "--yes",
        "--output",
        "json",
        *on_emulator(made.aws.url, made.store.url),
    )


def kill_at(made: Harness, point: KillPoint) -> list[str]:
    """Run apply and SIGKILL it at ``point``; the events it logged before dying."""
    process = subprocess.Popen(
        apply_command(made),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_environment(),
    )
    seen: list[str] = []
    timer = threading.Timer(CLI_TIMEOUT_S, process.kill)
    timer.start()
    try:
        assert process.stderr is not None
        for line in process.stderr:
            event = _event(line)
            if event is None:
                continue
            seen.append(event)
            if seen.count(point.event) == point.nth:
                os.kill(process.pid, signal.SIGKILL)
                break
        process.wait()
    finally:
        timer.cancel()
    assert process.returncode == -signal.SIGKILL, f"apply ended before {point}: {seen}"
    return seen


def _event(line: str) -> str | None:
    try:
        record: dict[str, Any] = json.loads(line)
    except json.JSONDecodeError:
        return None
    return str(record.get("event"))


def run_until_done(made: Harness) -> int:
    """Apply until it succeeds; how many runs that took."""
    for run in range(1, MAX_RESTARTS + 1):
        done = subprocess.run(
            apply_command(made),
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT_S,
            env=cli_environment(),
        )
        if done.returncode == 0:
            return run
    raise AssertionError(f"apply still fails after {MAX_RESTARTS} runs:\n{done.stdout}")


def hold_stacks(made: Harness) -> None:
    for account in (made.accounts.test, made.accounts.production, made.accounts.pipelines):
        made.aws.add_fault({"kind": "delay", "seconds": HOLD_S, "account": account})


def assert_consistent(made: Harness, histories: dict[str, list[str]] | None = None) -> None:
    """Stacks exist once, were created once, match the state store; history complete.

    ``histories``: the expected history of units with more than one SUCCEEDED entry.
    """
    assert made.store.in_flight() == []
    records = {(r.account, r.stack_name): r for r in made.store.units()}
    live: dict[tuple[str, str], dict[str, Any]] = {}
    for environment, names in CYCLE_STACKS.items():
        account = made.accounts.of(environment)
        ever = made.aws.stack_names_ever(account)
        assert sorted(ever) == sorted(names), f"stacks in {environment}: {ever}"
        for name, stack in made.aws.stacks(account).items():
            live[(account, name)] = stack
            starts = made.aws.stack_operations(account, name)
            assert starts.count("CREATE_IN_PROGRESS") == 1, f"{name}: {starts}"
    assert set(records) == set(live)
    for key, record in records.items():
        stack = live[key]
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
        assert record.stack_id == stack["StackId"]
        assert dict(record.outputs) == outputs
        ready = record.condition("Ready")
        assert ready is not None and ready.status, f"{record.id} is not Ready: {ready}"
        history: list[str] = [d.status for d in made.store.history(record.id)]
        expected = (histories or {}).get(record.id, ["SUCCEEDED"])
        assert history == expected, f"{record.id}: {history}"


@pytest.fixture
def cycle(harness: MakeHarness) -> Harness:
    return harness(cycle_platform)


KILL_POINTS = [
    KillPoint("cloud.stack_create_started", 1),  # environments being created
    KillPoint("cloud.stack_create_started", 4),  # instances in flight
    KillPoint("unit.start", 6),  # the pipeline about to be created
]


@pytest.mark.slow
@pytest.mark.parametrize("point", KILL_POINTS, ids=str)
def test_an_apply_killed_while_creating_finishes_on_restart(
    cycle: Harness, point: KillPoint
) -> None:
    hold_stacks(cycle)

    kill_at(cycle, point)
    run_until_done(cycle)

    assert_consistent(cycle)


@pytest.mark.slow
def test_an_apply_killed_twice_while_updating_finishes_on_restart(cycle: Harness) -> None:
    assert cycle.apply().report.ok
    hold_stacks(cycle)
    set_inputs(cycle.repo, "orders", "test", "{size: 8}")
    set_inputs(cycle.repo, "orders", "production", "{size: 9}")
    cycle.repo.commit("orders: bigger delays")

    kill_at(cycle, KillPoint("cloud.stack_update_started", 1))
    kill_at(cycle, KillPoint("resume.operation", 1))
    run_until_done(cycle)

    updated = ["SUCCEEDED", "SUCCEEDED"]
    assert_consistent(cycle, {"service/orders/test": updated, "service/orders/production": updated})
    for environment, size in (("test", 8), ("production", 9)):
        body = cycle.aws.template(
            cycle.accounts.of(environment), f"goldenpath-service-orders-{environment}"
        )
        assert f"DelaySeconds: {size}" in body
