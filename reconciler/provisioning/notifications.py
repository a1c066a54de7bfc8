"""The notification a Terraform workflow sends when it is done: Proton's
``NotifyResourceDeploymentStatusChange``, with Goldenpath's tokens.

Checked in this order, stopping at the first refusal, before anything is written:

1. the token (``actions.authenticate``) → ``NotAuthenticated``;
2. the body (``payload.parse_notification``) → ``ActionInputInvalid``;
3. the deployment id: one Goldenpath wrote → else ``DeploymentNotFound``;
4. the scope: an admin token, or a team token of the unit's team (environments: admins)
   → else ``NotPermitted``;
5. the deployment still waits for its outcome: a superseded one (a newer write of the
   unit replaced it) or one already notified → ``ActionConflict``.

Then IN_PROGRESS notes the message on the history entry; SUCCEEDED and FAILED finish it
(``records.notified``), with who notified in the history.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from reconciler.actions import Actor, authorize
from reconciler.apply.notices import TOLD
from reconciler.errors import ActionConflict, DeploymentNotFound
from reconciler.notifications import events, publish
from reconciler.provisioning import records
from reconciler.provisioning.payload import Notification
from reconciler.specs.model import Platform
from reconciler.state import ProvisioningDeployment, StateStore, StateTransaction, UnitRecord

log = structlog.get_logger(__name__)
ACTION = "notify"


@dataclass(frozen=True)
class Notified:
    """A notification taken: the deployment as it now stands."""

    deployment: ProvisioningDeployment
    message: str


def notify(
    store: StateStore,
    actor: Actor,
    deployment_id: str,
    notification: Notification,
    platform: Platform | None = None,
) -> Notified:
    """Take ``notification`` for ``deployment_id`` from ``actor`` (already authenticated).

    ``platform``: goldenpath.yaml as last planned; its notification targets hear of the
    deployment's end (``deploy.succeeded``, ``deploy.failed``) as of a stack's.
    """
    deployment = store.provisioning_deployment(deployment_id)
    if deployment is None:
        raise DeploymentNotFound(
            f"no deployment {deployment_id!r} was written by Goldenpath: is the deploymentId "
            "from this Goldenpath's .proton/deployment-metadata.json?"
        )
    authorize(actor, store.unit(deployment.unit_id) or _gone(deployment, store))
    if not deployment.waiting:
        raise ActionConflict(_why_not_waiting(store, deployment))
    by = (actor.label, ACTION)
    now = store.now()
    with store.transaction(f"taking the notification of {deployment.id}") as tx:
        fresh = tx.provisioning_deployment(deployment.id)
        if fresh is None or not fresh.waiting:  # another notification won the race
            raise ActionConflict(_why_not_waiting(store, fresh or deployment))
        if notification.status == "IN_PROGRESS":
            text = notification.message or "terraform is running"
            tx.note_deployment(fresh.history_id, text, by=by)
            done = fresh.moved_to(fresh.state, text, now)
            tx.save_provisioning(done)
        else:
            succeeded = notification.status == "SUCCEEDED"
            record = tx.unit(fresh.unit_id)
            done = records.notified(
                tx, fresh, succeeded, notification.message, notification.outputs, by, now
            )
            if platform is not None and platform.notifications and record is not None:
                _tell(tx, platform, record, done)
    log.info(
        "provisioning.notified",
        deployment=deployment.id,
        unit=deployment.unit_id,
        status=notification.status,
        state=done.state,
        outputs=len(notification.outputs),
        token_id=actor.token_id,
    )
    return Notified(done, f"{deployment.unit_id}: deployment {deployment.id} is {done.state}")


def _tell(
    tx: StateTransaction, platform: Platform, record: UnitRecord, done: ProvisioningDeployment
) -> None:
    """Queue the deployment's end for the notification targets, in this transaction."""
    entry = tx.deployment(done.history_id)
    if entry is None or done.state not in TOLD:
        return
    action = "delete" if done.deleting else ("update" if record.fingerprint else "create")
    end = events.DeploymentEnd(
        unit=done.unit_id,
        deployment_id=entry.id,
        started_at=entry.started_at,
        action=action,
        status=done.state,
        revision=done.revision,
        version=done.version,
        stack=done.folder,  # a Terraform unit has no stack: its folder says where it is
        account=record.account,
        region=record.region,
        reason="TerraformFailed" if done.state.endswith("FAILED") else "Succeeded",
        message=done.message,
    )
    publish(tx, platform, events.deploy_ended(end, tx.now()))


def _why_not_waiting(store: StateStore, deployment: ProvisioningDeployment) -> str:
    if deployment.state == "SUPERSEDED":
        newer = next((d for d in store.provisioning_of(deployment.unit_id) if d.waiting), None)
        instead = f"; notify deployment {newer.id} instead" if newer else ""
        return (
            f"deployment {deployment.id} of {deployment.unit_id} is stale: it was superseded "
            f"by a newer write of the unit ({deployment.message}){instead}"
        )
    return (
        f"deployment {deployment.id} of {deployment.unit_id} was already notified: it is "
        f"{deployment.state} since {deployment.updated_at.isoformat(timespec='seconds')}"
    )


def _gone(deployment: ProvisioningDeployment, store: StateStore) -> UnitRecord:
    """The unit of a deployment whose record is gone (destroyed): admins only."""
    return UnitRecord(
        id=deployment.unit_id,
        kind=deployment.unit_id.split("/", 1)[0],  # type: ignore[arg-type]
        stack_name="",
        account="",
        region="",
        template="",
        version=deployment.version,
        updated_at=store.now(),
    )
