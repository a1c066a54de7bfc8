"""Events of the apply, queued in the outbox in the transactions that record them, and
delivered through a real receiver while the reconciler carries on: over HTTP against
the emulator, with real CloudFormation failures."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from reconciler.notifications.dispatcher import Dispatcher, DispatchSettings
from reconciler.notifications.outbox import Outbox
from tests.engine.conftest import Build, Harness
from tests.engine.platforms import (
    Accounts,
    bump_service_template,
    cycle_platform,
    three_environments,
)
from tests.fakes.receivers import SignedReceiver, SlackReceiver
from tests.support.platform_repo import PlatformRepo

MakeHarness = Callable[[Build], Harness]
SECRET = "engine-notifications-secret"
ORDERS_TEST = "goldenpath-service-orders-test"
NOTIFY = """  notifications:
    - {name: ops-slack, format: slack, urlFrom: ENGINE_SLACK_URL,
       events: [deploy.failed, rollout.halted]}
    - {name: audit, format: json, urlFrom: ENGINE_AUDIT_URL, secretFrom: ENGINE_AUDIT_SECRET,
       events: [deploy.succeeded, deploy.failed]}
"""


def notifying(build: Build) -> Build:
    def made(root: Path, accounts: Accounts) -> PlatformRepo:
        repo = build(root, accounts)
        text = (root / "goldenpath.yaml").read_text()
        repo.write("goldenpath.yaml", text.rstrip("\n") + "\n" + NOTIFY)
        repo.commit("notifications")
        return repo

    return made


def outbox(made: Harness) -> list[tuple[str, str, str | None]]:
    return [(n.kind, n.target, n.payload["unit"]) for n in Outbox(made.store).listing()]


def fail_orders_test(made: Harness) -> None:
    made.aws.add_fault(
        {
            "kind": "fail",
            "operation": "create",
            "stackName": ORDERS_TEST,
            "account": made.accounts.test,
            "message": "queue quota exceeded",
        }
    )


def test_each_deployment_end_is_queued_for_the_targets_that_want_it(
    harness: MakeHarness,
) -> None:
    made = harness(notifying(cycle_platform))
    fail_orders_test(made)

    made.apply()

    queued = outbox(made)
    failed = [q for q in queued if q[0] == "deploy.failed"]
    assert sorted(failed) == [
        ("deploy.failed", "audit", "service/orders/test"),
        ("deploy.failed", "ops-slack", "service/orders/test"),
    ]
    succeeded = sorted(u for k, t, u in queued if k == "deploy.succeeded")
    assert succeeded == [
        "environment/production",
        "environment/test",
        "service/orders/production",
    ]
    assert all(t == "audit" for k, t, _u in queued if k == "deploy.succeeded")
    (row,) = [
        n for n in Outbox(made.store).listing() if n.target == "audit" and n.kind == "deploy.failed"
    ]
    data = row.payload["data"]
    assert data["status"] == "FAILED" and data["reason"] == "StackFailed"
    assert "queue quota exceeded" in data["message"]
    assert data["stack"] == ORDERS_TEST and data["account"] == made.accounts.test


def test_a_no_op_apply_queues_nothing_more(harness: MakeHarness) -> None:
    made = harness(notifying(cycle_platform))
    made.apply()
    before = len(outbox(made))

    made.apply()

    assert len(outbox(made)) == before


def test_a_halted_rollout_is_told_once(harness: MakeHarness) -> None:
    def automatic(root: Path, accounts: Accounts) -> PlatformRepo:
        return three_environments(root, accounts, svc_updates="automatic")

    made = harness(notifying(automatic))
    assert made.apply().report.ok
    bump_service_template(made.repo)
    made.aws.add_fault(
        {
            "kind": "fail",
            "operation": "update",
            "stackName": "goldenpath-service-web-staging",
            "account": made.accounts.staging,
            "count": 1,
        }
    )

    made.apply()
    made.apply()

    halted = [n for n in Outbox(made.store).listing() if n.kind == "rollout.halted"]
    assert [n.target for n in halted] == ["ops-slack"]
    data = halted[0].payload["data"]
    assert data["failed_wave"] == ["staging"]
    assert (data["from_version"], data["to_version"]) == ("1.0", "1.1")


def test_a_failed_deployment_sends_one_signed_notification_and_a_receiver_that_was_down_gets_it(
    harness: MakeHarness,
) -> None:
    made = harness(notifying(cycle_platform))
    receiver = SignedReceiver(secret=SECRET).start()
    url = receiver.url
    receiver.stop()  # down when the deployment fails
    fail_orders_test(made)
    made.apply()
    env = {"ENGINE_AUDIT_URL": url, "ENGINE_AUDIT_SECRET": SECRET}
    settings = DispatchSettings(base_delay=0.2, max_delay=1.0, timeout=2.0, idle_poll=0.2)
    with httpx.Client() as http:
        sender = Dispatcher(made.store, env, "engine-test", http, settings)
        thread = threading.Thread(target=sender.run)
        thread.start()
        try:
            _until(
                lambda: all(
                    n.attempts
                    for n in Outbox(made.store).listing(state="pending")
                    if n.target == "audit"
                )
            )
            receiver.start()  # it recovers
            _until(
                lambda: (
                    not [
                        n
                        for n in Outbox(made.store).listing(state="pending")
                        if n.target == "audit"
                    ]
                )
            )
        finally:
            sender.stop()
            thread.join(10)
            receiver.stop()
    failures = [r.json() for r in receiver.accepted if r.json()["kind"] == "deploy.failed"]
    assert [f["unit"] for f in failures] == ["service/orders/test"]
    assert len(receiver.accepted) == 4  # and the three successes, each once
    assert len({r.json()["id"] for r in receiver.accepted}) == 4


def test_a_receiver_that_never_answers_does_not_slow_the_reconciler(
    harness: MakeHarness,
) -> None:
    made = harness(notifying(cycle_platform))
    with SlackReceiver(delay=30.0) as hanging, httpx.Client() as http:
        env = {"ENGINE_SLACK_URL": hanging.url}
        settings = DispatchSettings(timeout=20.0, claim_ttl=60.0, idle_poll=0.2)
        sender = Dispatcher(made.store, env, "engine-test", http, settings)
        thread = threading.Thread(target=sender.run, daemon=True)
        thread.start()
        try:
            fail_orders_test(made)
            started = time.monotonic()
            made.apply()  # queues a deploy.failed the dispatcher takes at once
            _until(lambda: bool(hanging.requests) or False, 10)
            made.repo.write("README.md", "a commit that changes no unit\n")
            made.repo.commit("docs")
            made.apply()
            took = time.monotonic() - started
        finally:
            sender.stop()
            thread.join(0.1)  # its request hangs on; the thread is a daemon's in serve
    assert hanging.requests, "the dispatcher sent the event while the reconciler went on"
    assert took < 20.0  # both applies ran while the request hung (it is held 30 s)


def _until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
