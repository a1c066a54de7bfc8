"""Notifications from a Terraform workflow: the states a unit moves through, and refusals
that change nothing (every table byte for byte the same)."""

from __future__ import annotations

import json
import re

import pytest

from reconciler.actions import Actor, authenticate, create_token
from reconciler.apply.conditions import Outcome
from reconciler.errors import (
    ActionConflict,
    ActionInputInvalid,
    DeploymentNotFound,
    NotAuthenticated,
    NotPermitted,
)
from reconciler.provisioning import records
from reconciler.provisioning.notifications import notify
from reconciler.provisioning.payload import parse_notification
from reconciler.state import ProvisioningDeployment, StateStore, UnitRecord
from tests.state.conftest import FakeClock
from tests.support.state_dump import dump

ENV = "environment/dev"
SVC = "service/api/one"
FP = "f" * 64


def _write(store: StateStore, unit_id: str, deployment_id: str, team: str | None = None) -> None:
    now = store.now()
    record = store.unit(unit_id) or UnitRecord(
        id=unit_id,
        kind=unit_id.split("/")[0],  # type: ignore[arg-type]
        stack_name="-",
        account="111111111111",
        region="us-east-1",
        template="tpl",
        version="1.0",
        updated_at=now,
        team=team,
    )
    deployment = ProvisioningDeployment(
        id=deployment_id,
        unit_id=unit_id,
        revision="a" * 40,
        version="1.0",
        fingerprint=FP + deployment_id[:1],
        history_id=0,
        state="IN_PROGRESS",
        created_at=now,
        updated_at=now,
        folder="dev",
    )
    with store.transaction() as tx:
        records.written(tx, record, deployment, Outcome("in_progress", "AwaitingNotification"), now)


def _body(status: str, outputs: object = (), message: str = "") -> bytes:
    return json.dumps(
        {"status": status, "statusMessage": message, "outputs": list(outputs)}  # type: ignore[call-overload]
    ).encode()


def _admin(store: StateStore) -> Actor:
    issued, _ = create_token(store, team=None, name="ci", created_by="anna")
    return authenticate(store, f"Bearer {issued.text}")


def test_success_with_outputs_makes_the_unit_ready_with_its_outputs(store: StateStore) -> None:
    _write(store, ENV, "d-1")
    outputs = [{"key": "vpc_id", "valueString": "vpc-1"}, {"key": "sg", "valueString": "sg-2"}]

    notify(store, _admin(store), "d-1", parse_notification(_body("SUCCEEDED", outputs, "done")))

    record = store.unit(ENV)
    assert record is not None
    assert dict(record.outputs) == {"vpc_id": "vpc-1", "sg": "sg-2"}
    assert record.fingerprint == FP + "d"
    ready = record.condition("Ready")
    assert ready is not None and ready.status and ready.reason == "Succeeded"
    [entry] = store.history(ENV)
    assert (entry.status, entry.message, entry.action) == ("SUCCEEDED", "done", "notify")
    assert entry.actor.startswith("ci (token ")
    deployment = store.provisioning_deployment("d-1")
    assert deployment is not None and deployment.state == "SUCCEEDED"


def test_a_failure_stalls_the_unit_with_the_message(store: StateStore) -> None:
    _write(store, ENV, "d-1")

    notify(store, _admin(store), "d-1", parse_notification(_body("FAILED", message="plan failed")))

    record = store.unit(ENV)
    assert record is not None and record.fingerprint is None
    stalled = record.condition("Stalled")
    assert stalled is not None and stalled.status and stalled.reason == "TerraformFailed"
    assert "plan failed" in stalled.message
    assert store.history(ENV)[0].status == "FAILED"
    [op] = store.operations(ENV)  # the plan keeps it stalled until its files change
    assert op.state == "failed" and op.result and op.result["fingerprint"] == FP + "d"


def test_in_progress_notes_the_message_and_keeps_waiting(store: StateStore) -> None:
    _write(store, ENV, "d-1")

    notify(store, _admin(store), "d-1", parse_notification(_body("IN_PROGRESS", message="plan")))

    assert store.history(ENV)[0].status == "IN_PROGRESS"
    assert store.history(ENV)[0].message == "plan"
    deployment = store.provisioning_deployment("d-1")
    assert deployment is not None and deployment.waiting


def test_a_newer_write_supersedes_the_waiting_deployment(store: StateStore) -> None:
    _write(store, ENV, "d-1")
    _write(store, ENV, "e-2")

    old = store.provisioning_deployment("d-1")
    assert old is not None and old.state == "SUPERSEDED"
    assert [d.status for d in store.history(ENV)] == ["IN_PROGRESS", "CANCELLED"]


def test_a_unit_waiting_too_long_is_stalled_with_the_reason(
    store: StateStore, clock: FakeClock
) -> None:
    _write(store, ENV, "d-1")
    clock.advance(3600)

    assert records.overdue(store, timeout_s=3600) == []
    clock.advance(1)
    assert [d.id for d in records.overdue(store, timeout_s=3600)] == ["d-1"]

    record = store.unit(ENV)
    assert record is not None
    stalled = record.condition("Stalled")
    assert stalled is not None and stalled.status and stalled.reason == "NotificationTimedOut"
    assert "no notification for deployment d-1" in stalled.message
    assert records.overdue(store, timeout_s=3600) == []  # once per deployment
    # A late notification is still taken, and makes the unit Ready.
    notify(store, _admin(store), "d-1", parse_notification(_body("SUCCEEDED")))
    late = store.unit(ENV)
    assert late is not None and late.condition("Ready").status  # type: ignore[union-attr]
    assert not late.condition("Stalled").status  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("case", "error", "expected"),
    [
        ("wrong token", NotAuthenticated, "is not valid"),
        ("unknown deployment", DeploymentNotFound, "no deployment 'nope'"),
        ("stale deployment", ActionConflict, "is stale: it was superseded"),
        ("already notified", ActionConflict, "was already notified"),
        ("other team", NotPermitted, "may act only on units of its team"),
        ("outputs not a list", ActionInputInvalid, "outputs: expected a list"),
        ("output not a string", ActionInputInvalid, "outputs[0].valueString (n): expected a"),
        ("output twice", ActionInputInvalid, "outputs[1].key: 'a' is given twice"),
        ("unknown status", ActionInputInvalid, "status: expected one of IN_PROGRESS"),
        ("not json", ActionInputInvalid, "the body is not JSON"),
    ],
)
def test_bad_notifications_are_refused_and_change_nothing(
    store: StateStore, case: str, error: type[Exception], expected: str
) -> None:
    _write(store, SVC, "d-1", team="storefront")
    _write(store, SVC, "e-2", team="storefront")  # d-1 is stale now
    _write(store, ENV, "f-3")
    admin = _admin(store)
    notify(store, admin, "f-3", parse_notification(_body("SUCCEEDED")))
    team, _ = create_token(store, team="payments", name="pay", created_by="anna")
    good = _body("SUCCEEDED", [{"key": "a", "valueString": "b"}])
    attempts = {
        "wrong token": ("Bearer gp_0123456789ab_" + "x" * 43, "e-2", good),
        "unknown deployment": (None, "nope", good),
        "stale deployment": (None, "d-1", good),
        "already notified": (None, "f-3", good),
        "other team": (f"Bearer {team.text}", "e-2", good),
        "outputs not a list": (None, "e-2", b'{"status": "SUCCEEDED", "outputs": {"a": "b"}}'),
        "output not a string": (None, "e-2", _body("SUCCEEDED", [{"key": "n", "valueString": 3}])),
        "output twice": (
            None,
            "e-2",
            _body(
                "SUCCEEDED", [{"key": "a", "valueString": "1"}, {"key": "a", "valueString": "2"}]
            ),
        ),
        "unknown status": (None, "e-2", _body("DONE")),
        "not json": (None, "e-2", b"status=SUCCEEDED"),
    }
    header, deployment_id, body = attempts[case]
    before = dump(store)

    with pytest.raises(error, match=re.escape(expected)):
        actor = authenticate(store, header) if header else admin
        notify(store, actor, deployment_id, parse_notification(body))

    assert dump(store) == before
