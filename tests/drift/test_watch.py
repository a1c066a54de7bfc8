"""Scheduled drift detection and self-heal, end to end: serve's loop on a fake clock, the
emulator over HTTP, a real git repo and a real state store."""

from __future__ import annotations

from reconciler.cloud import Fault, FaultyCloud
from tests.drift.conftest import DETECTION_SLACK, INTERVAL, MakeWorld
from tests.engine.cli import goldenpath

WEB = "service/web/test"
DATA = "service/orders-db/test"
ENV = "environment/test"


def test_a_stack_updated_by_another_client_is_reported_within_one_interval(
    world: MakeWorld,
) -> None:
    made = world("{interval: 10m}")
    made.update_by_hand(WEB, "DelaySeconds: 1", "DelaySeconds: 7")

    made.run(INTERVAL + DETECTION_SLACK)

    drifted = made.condition(WEB, "Drifted")
    assert drifted is not None and drifted.status, drifted
    assert drifted.reason == "TemplateChanged"
    assert "modify Queue" in drifted.message and "not healed" in drifted.message
    ready = made.condition(WEB, "Ready")
    assert ready is not None and ready.status  # the stack runs; it is not as applied
    finding = made.store.drift(WEB)
    assert finding is not None and finding.action == "reported"
    assert finding.details["template"]["changes"][0]["logical_id"] == "Queue"
    assert "DelaySeconds: 7" in made.live_template(WEB)  # heal is off: left as it is
    in_sync = made.condition(ENV, "Drifted")
    assert in_sync is not None and not in_sync.status


def test_a_stack_updated_by_another_client_is_healed_from_git_where_heal_is_on(
    world: MakeWorld,
) -> None:
    made = world("{interval: 10m, heal: [service]}")
    made.update_by_hand(WEB, "DelaySeconds: 1", "DelaySeconds: 7")
    deployments = len(made.store.history(WEB))

    made.run(INTERVAL + DETECTION_SLACK)

    body = made.live_template(WEB)
    assert "DelaySeconds: 1" in body and "DelaySeconds: 7" not in body
    drifted = made.condition(WEB, "Drifted")
    assert drifted is not None and not drifted.status
    ready = made.condition(WEB, "Ready")
    assert ready is not None and ready.status
    history = made.store.history(WEB)
    assert len(history) == deployments + 1 and history[0].status == "SUCCEEDED"
    (finding,) = made.store.drift_history(WEB)
    assert (finding.reason, finding.resolution) == ("TemplateChanged", "healed")
    assert made.store.drift(WEB) is None


def test_a_healed_stack_is_found_in_sync_on_its_next_check(world: MakeWorld) -> None:
    made = world("{interval: 10m, heal: [service]}")
    made.update_by_hand(WEB, "DelaySeconds: 1", "DelaySeconds: 7")
    made.run(INTERVAL + DETECTION_SLACK)
    updates = made.aws.stack_operations(made.accounts.test, made.stack_name(WEB))

    made.run(INTERVAL)

    assert made.aws.stack_operations(made.accounts.test, made.stack_name(WEB)) == updates
    assert made.store.drift(WEB) is None


def test_a_declared_resource_drift_is_reported_and_not_sent_as_an_empty_update(
    world: MakeWorld,
) -> None:
    made = world("{interval: 10m, heal: [service]}")
    made.declare_drift(WEB, "Queue")
    operations = made.aws.stack_operations(made.accounts.test, made.stack_name(WEB))

    made.run(INTERVAL + DETECTION_SLACK)

    drifted = made.condition(WEB, "Drifted")
    assert drifted is not None and drifted.status
    assert drifted.reason == "ResourcesDrifted"
    assert "Queue (AWS::SQS::Queue) MODIFIED /DelaySeconds" in drifted.message
    assert "cannot correct" in drifted.message
    finding = made.store.drift(WEB)
    assert finding is not None and finding.action == "reported"
    assert made.aws.stack_operations(made.accounts.test, made.stack_name(WEB)) == operations


def test_a_deleted_data_stack_is_reported_and_not_created_again(world: MakeWorld) -> None:
    made = world("{interval: 10m, heal: [service, service/orders-db/test]}")
    made.delete_by_hand(DATA)

    made.run(INTERVAL + DETECTION_SLACK)

    assert made.stack_name(DATA) not in made.aws.stacks(made.accounts.test)
    drifted = made.condition(DATA, "Drifted")
    ready = made.condition(DATA, "Ready")
    assert drifted is not None and drifted.status and drifted.reason == "StackDeleted"
    assert ready is not None and not ready.status and ready.reason == "StackDeleted"
    assert "never created again" in drifted.message
    finding = made.store.drift(DATA)
    assert finding is not None and finding.action == "reported"


def test_a_deleted_stack_with_heal_on_is_created_again(world: MakeWorld) -> None:
    made = world("{interval: 10m, heal: [service]}")
    made.delete_by_hand(WEB)

    made.run(INTERVAL + DETECTION_SLACK)

    assert made.stack_name(WEB) in made.aws.stacks(made.accounts.test)
    ready = made.condition(WEB, "Ready")
    drifted = made.condition(WEB, "Drifted")
    assert ready is not None and ready.status
    assert drifted is not None and not drifted.status
    (finding,) = made.store.drift_history(WEB)
    assert (finding.reason, finding.resolution) == ("StackDeleted", "healed")


def test_a_data_template_unit_is_healed_only_when_named(world: MakeWorld) -> None:
    made = world("{interval: 10m, heal: [service]}")
    made.update_by_hand(DATA, "(orders)", "(by hand)")

    made.run(INTERVAL + DETECTION_SLACK)

    assert "(by hand)" in made.live_template(DATA)
    drifted = made.condition(DATA, "Drifted")
    assert drifted is not None and drifted.status
    assert "healed only when spec.drift.heal names it" in drifted.message


def test_the_same_drift_seen_again_is_one_finding(world: MakeWorld) -> None:
    made = world("{interval: 10m}")
    made.update_by_hand(WEB, "DelaySeconds: 1", "DelaySeconds: 7")

    made.run(3 * INTERVAL)

    (finding,) = made.store.drift_findings_after(0)
    assert finding.unit_id == WEB and finding.open
    assert finding.checked_at > finding.found_at


def test_drift_off_makes_no_call(world: MakeWorld) -> None:
    made = world("{interval: 'off'}")
    made.update_by_hand(WEB, "DelaySeconds: 1", "DelaySeconds: 7")

    made.run(2 * INTERVAL)

    assert made.watch.calls == {}
    assert made.condition(WEB, "Drifted") is None


def test_goldenpath_status_shows_the_drift(world: MakeWorld) -> None:
    made = world("{interval: 10m}")
    made.update_by_hand(WEB, "DelaySeconds: 1", "DelaySeconds: 7")
    made.run(INTERVAL + DETECTION_SLACK)

    table = goldenpath("status", "--state", made.store.url)
    document = goldenpath("status", "--state", made.store.url, "--output", "json").json()

    assert table.code == 0, table.stderr
    (row,) = [line for line in table.stdout.splitlines() if line.startswith(WEB)]
    assert "Ready, Drifted" in row and "modify Queue" in row
    (finding,) = document["drift"]
    assert (finding["unit"], finding["reason"]) == (WEB, "TemplateChanged")


def test_a_heal_the_cloud_refuses_is_recorded_as_failed_and_the_unit_stalls(
    world: MakeWorld,
) -> None:
    refused = [Fault("update", "reject", stack="goldenpath-service-web-test", times=5)]
    made = world("{interval: 10m, heal: [service]}", wrap=lambda c: FaultyCloud(c, refused))
    made.update_by_hand(WEB, "DelaySeconds: 1", "DelaySeconds: 7")

    made.run(INTERVAL + DETECTION_SLACK)

    finding = made.store.drift(WEB)
    assert finding is not None and finding.action == "heal-failed"
    assert "the heal failed" in finding.message and "injected rejection" in finding.message
    stalled = made.condition(WEB, "Stalled")
    assert stalled is not None and stalled.status
    assert "DelaySeconds: 7" in made.live_template(WEB)
