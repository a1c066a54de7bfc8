"""The unit page when the cloud is slow, unreachable or has nothing to say, and the events
cache: the page renders within its bound, says why the events are missing, and a unit
never deployed says so."""

from __future__ import annotations

import socket
import time
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi import FastAPI
from starlette.exceptions import StarletteDeprecationWarning

from reconciler.apply.roles import ROLES
from reconciler.cloud import (
    AccessKey,
    AwsCloud,
    CloudSettings,
    FaultyCloud,
    RetryPolicy,
    StackRef,
    StackRequest,
    Target,
)
from reconciler.state import StateStore
from tests.engine.aws import Aws
from tests.engine.conftest import aws, embedded, emulator_cloud  # noqa: F401  (fixtures)
from tests.web.conftest import ORDER, open_filled
from tests.web.estate import ACCOUNTS, Estate
from webhooks.api import status_router
from webhooks.stack_events import EventsSettings, StackEvents
from webhooks.unit_views import StackViews

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

KEY = AccessKey("testing", "testing")
BOUND_S = 1.0
# The page may take its bound plus the rest of its work on a busy machine, never the
# cloud's own timeouts (60 s to read, a minute of retries).
PAGE_AT_MOST_S = 8.0
TOPIC = '{"Resources": {"T": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "%s"}}}}'


@pytest.fixture
def silent_endpoint() -> Iterator[str]:
    """A loopback port that takes connections and never answers (a hung endpoint)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    listener.close()


@pytest.fixture
def closed_endpoint() -> str:
    """A loopback port nothing listens on: every connection is refused."""
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return f"http://127.0.0.1:{port}"


def _client(tmp_path: Path, cloud: AwsCloud) -> tuple[TestClient, StateStore, Estate]:
    store, estate, _clock = open_filled(tmp_path)
    store.cache_put_many(
        ROLES,
        {a: {"role_arn": f"arn:aws:iam::{a}:role/goldenpath-deployer"} for a in ACCOUNTS.values()},
    )
    events = StackEvents(cloud, EventsSettings(timeout_s=BOUND_S))
    app = FastAPI()
    app.include_router(status_router(store, ORDER, stacks=StackViews(events, None)))
    return TestClient(app), store, estate


def test_a_hung_cloud_leaves_the_page_whole_and_says_so_within_the_bound(
    tmp_path: Path, silent_endpoint: str
) -> None:
    cloud = AwsCloud(CloudSettings(endpoint_url=silent_endpoint, access_key=KEY))
    client, store, estate = _client(tmp_path, cloud)

    with store, client:
        started = time.monotonic()
        page = client.get(f"/units/{estate.stalled}")
        took = time.monotonic() - started
        answer = client.get(f"/api/v1/units/{estate.stalled}/events")

    assert page.status_code == 200
    assert took < PAGE_AT_MOST_S
    assert f"CloudFormation did not answer within {BOUND_S:g} s" in page.text
    assert "Deployment history" in page.text  # the rest of the page is there
    assert 'href="https://us-west-2.console.aws.amazon.com/cloudformation/home' in page.text
    assert answer.status_code == 503
    document = answer.json()
    assert document["error"] == "cloud_unavailable"
    assert document["message"].startswith(f"CloudFormation did not answer within {BOUND_S:g} s")
    assert document["console"]["url"].startswith("https://us-west-2.console.aws.amazon.com/")


def test_an_unreachable_cloud_is_named_on_the_page(tmp_path: Path, closed_endpoint: str) -> None:
    quick = RetryPolicy(max_attempts=2, base_delay=0.01)
    cloud = AwsCloud(CloudSettings(endpoint_url=closed_endpoint, access_key=KEY, retry=quick))
    client, store, estate = _client(tmp_path, cloud)

    with store, client:
        page = client.get(f"/units/{estate.ready}")

    assert page.status_code == 200
    assert "CloudFormation could not be read:" in page.text
    assert closed_endpoint.removeprefix("http://") in page.text


def test_a_unit_never_deployed_says_so_everywhere(tmp_path: Path, closed_endpoint: str) -> None:
    cloud = AwsCloud(CloudSettings(endpoint_url=closed_endpoint, access_key=KEY))
    client, store, _estate = _client(tmp_path, cloud)
    unit = "service/orders-db/staging"  # recorded, waiting on its environment: no deployment
    record = store.unit(unit)
    assert record is not None and store.history(unit) == []
    store.save_units([replace(record, stack_id=None)])

    with store, client:
        page = client.get(f"/units/{unit}")
        template = client.get(f"/api/v1/units/{unit}/template").json()
        diff = client.get(f"/api/v1/units/{unit}/diff").json()
        events = client.get(f"/api/v1/units/{unit}/events")

    never = f"{unit} has no deployment with a template body: it was never deployed"
    assert page.status_code == 200
    assert page.text.count(never) == 2  # the diff and the template sections
    assert "goldenpath-service-orders-db-staging was never created: no events" in page.text
    assert (template["body"], template["deployment"]) == (None, None)
    assert template["message"].startswith(never)
    assert (diff["from"], diff["to"], diff["diff"]) == (None, None, "")
    assert events.status_code == 200  # nothing failed: there is no stack to ask about
    assert events.json()["events"] == []
    assert events.json()["console"]["url"].endswith(
        "#/stacks?filteringText=goldenpath-service-orders-db-staging"
    )


def test_events_are_kept_briefly_and_read_again_after_the_unit_changes(aws: Aws) -> None:  # noqa: F811
    account = str(700_000_000_000 + uuid.uuid4().int % 99_999_999)
    target = Target(account, "us-west-2", f"arn:aws:iam::{account}:role/goldenpath-deployer")
    real = emulator_cloud(aws.url)
    real.create(target, StackRequest("kept", TOPIC % "kept"), str(uuid.uuid4()))
    real.wait([StackRef(target, "kept")])
    counted = FaultyCloud(real, [])
    now = [100.0]
    events = StackEvents(counted, EventsSettings(max_age_s=10.0), monotonic=lambda: now[0])

    first = events.read(target, "kept", "stamp-1")
    now[0] += 5
    again = events.read(target, "kept", "stamp-1")
    after_a_change = events.read(target, "kept", "stamp-2")
    now[0] += 10
    aged = events.read(target, "kept", "stamp-2")

    assert first.error is None
    assert first.events[0].status == "CREATE_COMPLETE"
    assert again.events == first.events and again.age_s == 5.0
    assert counted.calls_to("events") == 3  # first, after the change, once aged
    assert after_a_change.age_s == 0.0 and aged.age_s == 0.0
