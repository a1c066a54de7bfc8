"""Delivery through real HTTP receivers on loopback, on SQLite and PostgreSQL: the shapes
receivers check, retries with backoff, dead after the last attempt, restarts."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta

import httpx
import pytest

from reconciler.notifications.dispatcher import DispatchSettings
from reconciler.notifications.outbox import Outbox
from reconciler.state import StateStore
from tests.fakes.receivers import SignedReceiver, SlackReceiver
from tests.notifications.conftest import (
    QUICK,
    FakeClock,
    deploy_failed,
    dispatcher,
    environ,
    json_target,
    queue,
    slack_target,
)


def states(store: StateStore) -> list[tuple[str, str, int]]:
    return [(n.target, n.state, n.attempts) for n in Outbox(store).listing()]


def test_a_failed_deployment_goes_to_each_target_in_its_format(
    store: StateStore, slack: SlackReceiver, signed: SignedReceiver, http: httpx.Client
) -> None:
    assert queue(store, slack_target(), json_target()) == 2

    delivered = dispatcher(store, environ(slack, signed), http).deliver_due()

    assert delivered == 2
    assert [r.status for r in slack.requests] == [200]
    assert [r.status for r in signed.requests] == [200]
    message = slack.accepted[0].json()
    assert message["text"].startswith(":x: Deployment failed: service/web/production: update")
    assert "&lt;!channel&gt;" in message["blocks"][1]["text"]["text"]  # never a ping
    event = signed.accepted[0].json()
    assert event["kind"] == "deploy.failed"
    assert event["unit"] == "service/web/production"
    assert event["data"]["status"] == "FAILED" and event["data"]["version"] == "1.2"
    assert event["id"] == deploy_failed().id
    assert signed.accepted[0].headers["goldenpath-delivery"] == event["id"]
    assert slack.accepted[0].headers["goldenpath-delivery"] == event["id"]
    assert states(store) == [("ops-slack", "delivered", 1), ("ops-json", "delivered", 1)]


def test_the_same_event_published_twice_is_queued_and_sent_once(
    store: StateStore, signed: SignedReceiver, http: httpx.Client
) -> None:
    assert queue(store, json_target()) == 1
    assert queue(store, json_target()) == 0

    dispatcher(store, environ(signed=signed), http).deliver_due()

    assert len(signed.accepted) == 1


def test_a_receiver_with_another_secret_refuses_and_the_row_is_retried(
    store: StateStore, http: httpx.Client
) -> None:
    with SignedReceiver(secret="some-other-secret") as other:
        queue(store, json_target())
        dispatcher(store, environ(signed=other), http).deliver_due()

    assert [(r.status, r.reason) for r in other.requests] == [(401, "signature does not match")]
    (row,) = Outbox(store).listing()
    assert (row.state, row.attempts) == ("pending", 1)
    assert row.last_error == "HTTP 401: signature does not match"


def test_a_receiver_failing_three_times_gets_the_event_on_the_fourth_attempt_after_growing_pauses(
    store: StateStore, clock: FakeClock, signed: SignedReceiver, http: httpx.Client
) -> None:
    settings = DispatchSettings(base_delay=10.0, max_delay=600.0, timeout=2.0)
    sender = dispatcher(store, environ(signed=signed), http, settings, rng=random.Random(7))
    queue(store, json_target())
    signed.fail_next(2, 503)
    signed.fail_next(1, 0)  # a dropped connection
    pauses = []
    for _ in range(3):
        before = store.now()
        assert sender.deliver_due() == 1
        (row,) = Outbox(store).listing()
        pauses.append((row.next_attempt_at - before).total_seconds())
        assert sender.deliver_due() == 0  # not due yet: nothing is sent early
        clock.advance(pauses[-1])

    assert sender.deliver_due() == 1

    assert [r.status for r in signed.requests] == [503, 503, 0, 200]
    assert 5.0 <= pauses[0] <= 10.0  # half the ceiling plus jitter: 10 s, 20 s, 40 s
    assert 10.0 <= pauses[1] <= 20.0
    assert 20.0 <= pauses[2] <= 40.0
    assert states(store) == [("ops-json", "delivered", 4)]
    assert Outbox(store).listing()[0].last_error == ""


def test_after_the_last_attempt_the_row_is_dead_with_the_last_error(
    store: StateStore, clock: FakeClock, slack: SlackReceiver, http: httpx.Client
) -> None:
    settings = DispatchSettings(max_attempts=3, base_delay=1.0, max_delay=4.0, timeout=2.0)
    sender = dispatcher(store, environ(slack), http, settings)
    queue(store, slack_target())
    slack.fail_next(5, 500)

    for _ in range(5):
        sender.deliver_due()
        clock.advance(10)

    assert [r.status for r in slack.requests] == [500, 500, 500]
    (row,) = Outbox(store).listing()
    assert (row.state, row.attempts) == ("dead", 3)
    assert row.last_error == "HTTP 500: injected failure"
    assert row.finished_at is not None


def test_retry_after_is_obeyed_up_to_the_longest_backoff(
    store: StateStore, slack: SlackReceiver, http: httpx.Client
) -> None:
    settings = DispatchSettings(base_delay=1.0, max_delay=600.0, timeout=2.0)
    sender = dispatcher(store, environ(slack), http, settings)
    queue(store, slack_target())
    queue(store, slack_target(), notice=deploy_failed(deployment=8))
    slack.fail_next(1, 429, {"Retry-After": "300"})
    slack.fail_next(1, 429, {"Retry-After": "86400"})

    sender.deliver_due()

    waits = [(n.next_attempt_at - store.now()).total_seconds() for n in Outbox(store).listing()]
    assert sorted(waits) == [300.0, 600.0]  # as asked; capped at max_delay
    assert Outbox(store).listing()[0].last_error == "HTTP 429: injected failure"


def test_a_target_whose_variables_are_missing_waits_without_using_its_attempts(
    store: StateStore, slack: SlackReceiver, http: httpx.Client
) -> None:
    queue(store, slack_target(), json_target())

    dispatcher(store, environ(slack), http).deliver_due()  # no TEST_JSON_* here

    assert states(store) == [("ops-slack", "delivered", 1), ("ops-json", "pending", 0)]


def test_an_event_queued_before_a_crash_is_delivered_after_the_restart(
    open_store: Callable[..., StateStore], slack: SlackReceiver, http: httpx.Client
) -> None:
    first = open_store()
    queue(first, slack_target())
    first.close()  # the process dies before its dispatcher sent anything

    again = open_store()
    dispatcher(again, environ(slack), http).deliver_due()

    assert len(slack.accepted) == 1
    assert states(again) == [("ops-slack", "delivered", 1)]


def test_rows_a_killed_replica_claimed_are_delivered_by_another_once_the_claim_expires(
    open_store: Callable[..., StateStore],
    clock: FakeClock,
    slack: SlackReceiver,
    http: httpx.Client,
) -> None:
    a, b = open_store(), open_store()
    queue(a, slack_target())
    claimed = Outbox(a).claim("replica-a", timedelta(seconds=30), 10, {"TEST_SLACK_URL"})
    assert len(claimed) == 1  # replica a is killed holding it

    replica_b = dispatcher(b, environ(slack), http, holder="replica-b")
    assert replica_b.deliver_due() == 0  # a's claim is live: b never sends it twice
    clock.advance(31)
    assert replica_b.deliver_due() == 1

    assert len(slack.accepted) == 1
    assert Outbox(a).delivered(claimed[0]) is False  # a's late result is refused


def test_two_replicas_delivering_together_send_each_event_once(
    open_store: Callable[..., StateStore], slack: SlackReceiver, http: httpx.Client
) -> None:
    a, b = open_store(), open_store()
    for n in range(40):
        queue(a, slack_target(), notice=deploy_failed(deployment=n))
    settings = DispatchSettings(batch=5, workers=2, timeout=2.0)
    replicas = [
        dispatcher(a, environ(slack), http, settings, holder="replica-a"),
        dispatcher(b, environ(slack), http, settings, holder="replica-b"),
    ]
    barrier = threading.Barrier(2)

    def drain(replica: object) -> None:
        barrier.wait()
        while replica.deliver_due():  # type: ignore[attr-defined]
            pass

    threads = [threading.Thread(target=drain, args=(r,)) for r in replicas]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    ids = [r.json()["blocks"][2]["elements"][0]["text"] for r in slack.accepted]
    assert len(ids) == 40 and len(set(ids)) == 40
    assert {n.state for n in Outbox(a).listing()} == {"delivered"}
    for replica in replicas:
        replica.close()


@pytest.fixture
def real_time_store(state_url: str) -> Iterator[StateStore]:
    """A store on the system clock: for a dispatcher thread that waits for real."""
    with StateStore.open(state_url) as opened:
        yield opened


def test_the_dispatcher_thread_delivers_at_once_and_after_the_receiver_recovers(
    real_time_store: StateStore, http: httpx.Client
) -> None:
    store = real_time_store
    slack = SlackReceiver().start()
    port_url = slack.url
    slack.stop()  # the receiver is down when the event happens
    sender = dispatcher(store, {"TEST_SLACK_URL": port_url}, http, QUICK)
    thread = threading.Thread(target=sender.run)
    thread.start()
    try:
        queue(store, slack_target())
        deadline = time.monotonic() + 10
        while Outbox(store).listing()[0].attempts == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        (row,) = Outbox(store).listing()
        assert (row.state, row.attempts) == ("pending", 1)
        assert "ConnectError" in row.last_error and port_url not in row.last_error
        slack.start()  # back, on the same port

        deadline = time.monotonic() + 20
        while not slack.accepted and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        sender.stop()
        thread.join(10)
        slack.stop()
    assert len(slack.accepted) == 1
    assert states(store) == [("ops-slack", "delivered", 2)]


def test_a_stopped_dispatcher_gives_back_its_rows_and_a_new_one_sends_them(
    store: StateStore, clock: FakeClock, http: httpx.Client
) -> None:
    with SlackReceiver(delay=1.0) as slow:
        queue(store, slack_target())
        first = dispatcher(store, environ(slow), http, QUICK, holder="first")
        thread = threading.Thread(target=first.run)
        thread.start()
        deadline = time.monotonic() + 5
        while not slow.requests and time.monotonic() < deadline:
            time.sleep(0.01)
        first.stop()  # while its request is in flight: the result is still recorded
        thread.join(10)
    assert states(store) == [("ops-slack", "delivered", 1)]
    assert Outbox(store).listing()[0].claimed_by is None


@pytest.mark.parametrize("status", [200, 201, 202, 204])
def test_every_2xx_is_a_delivery(store: StateStore, http: httpx.Client, status: int) -> None:
    class Answers(SlackReceiver):
        def check(self, headers: dict[str, str], body: bytes) -> None:
            super().check(headers, body)

    with Answers() as receiver:
        queue(store, slack_target())
        receiver.fail_next(1, status)
        dispatcher(store, environ(receiver), http).deliver_due()
    assert states(store) == [("ops-slack", "delivered", 1)]
