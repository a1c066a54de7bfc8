"""Notification tests: the state store on SQLite and PostgreSQL (tests/state's fixtures),
receivers on loopback, and helpers to publish events and run a dispatcher."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from reconciler.notifications import events, publish_now
from reconciler.notifications.dispatcher import Dispatcher, DispatchSettings
from reconciler.specs.model import NotificationTarget, Origin, Platform
from reconciler.state import StateStore
from tests.fakes.receivers import SignedReceiver, SlackReceiver
from tests.state import conftest as state_fixtures

# The state tests' fixtures: each test runs on SQLite and on PostgreSQL.
FakeClock = state_fixtures.FakeClock
postgres_database = state_fixtures.postgres_database
state_url = state_fixtures.state_url
clock = state_fixtures.clock
open_store = state_fixtures.open_store
store = state_fixtures.store

SECRET = "a-long-shared-secret-for-tests"
# Quick settings for tests that wait for real deliveries.
QUICK = DispatchSettings(base_delay=1.0, max_delay=8.0, timeout=2.0, claim_ttl=30.0, idle_poll=0.2)


def slack_target(
    events_: tuple[str, ...] = ("deploy.failed",), name: str = "ops-slack"
) -> NotificationTarget:
    return NotificationTarget(
        name,
        "slack",
        "TEST_SLACK_URL",
        events_,
        origin=Origin("goldenpath.yaml", 7, "spec.notifications[0]"),
    )


def json_target(
    events_: tuple[str, ...] = ("deploy.failed",), name: str = "ops-json"
) -> NotificationTarget:
    return NotificationTarget(
        name,
        "json",
        "TEST_JSON_URL",
        events_,
        secret_from="TEST_JSON_SECRET",
        origin=Origin("goldenpath.yaml", 11, "spec.notifications[1]"),
    )


def platform(*targets: NotificationTarget) -> Platform:
    return Platform(name="pizza-ananas", notifications=targets)


def deploy_failed(unit: str = "service/web/production", deployment: int = 7) -> events.Notice:
    return events.deploy_ended(
        events.DeploymentEnd(
            unit=unit,
            deployment_id=deployment,
            started_at=datetime(2026, 5, 1, 11, 58, tzinfo=UTC),
            action="update",
            status="FAILED",
            revision="0123456789abcdef0123456789abcdef01234567",
            version="1.2",
            stack="goldenpath-service-web-production",
            account="333333333333",
            region="us-west-2",
            reason="StackFailed",
            message="UPDATE_ROLLBACK_COMPLETE: Queue: quota exceeded <!channel>",
        ),
        datetime(2026, 5, 1, 12, 0, tzinfo=UTC),
    )


def queue(
    store: StateStore, *targets: NotificationTarget, notice: events.Notice | None = None
) -> int:
    return publish_now(store, platform(*targets), notice or deploy_failed())


@pytest.fixture
def slack() -> Iterator[SlackReceiver]:
    with SlackReceiver() as receiver:
        yield receiver


@pytest.fixture
def signed() -> Iterator[SignedReceiver]:
    with SignedReceiver(secret=SECRET) as receiver:
        yield receiver


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client() as client:
        yield client


def environ(
    slack: SlackReceiver | None = None, signed: SignedReceiver | None = None
) -> dict[str, str]:
    found = {}
    if slack is not None:
        found["TEST_SLACK_URL"] = slack.url
    if signed is not None:
        found["TEST_JSON_URL"] = signed.url
        found["TEST_JSON_SECRET"] = SECRET
    return found


def dispatcher(
    store: StateStore,
    env: dict[str, str],
    http: httpx.Client,
    settings: DispatchSettings = QUICK,
    holder: str = "replica-a",
    **options: object,
) -> Dispatcher:
    return Dispatcher(store, env, holder, http, settings, **options)  # type: ignore[arg-type]
