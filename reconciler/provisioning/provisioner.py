"""Apply the Terraform units of a plan: one change set in the provisioning repository.

The engine's executor applies the CloudFormation units; the Terraform units are settled
for it first (``presettled``: unchanged when the plan found nothing to do, else not yet
ready, so their dependants wait), then ``Provisioner.apply`` writes them, with the
outputs the executor has just collected for their dependencies:

1. each unit the plan creates or updates is rendered (``reconciler.terraform``); one whose
   files match what was last applied is unchanged, one whose dependencies are not ready
   or whose outputs are unknown waits;
2. each unit the plan deletes gets Proton's deletion marker;
3. the base branch is fetched and each unit's folder compared (``changes``): a unit whose
   files are already there, waiting for its notification, is not written again;
4. the rest go in one commit on the provisioning branch, and one pull / merge request is
   opened or updated, linking back to the platform change;
5. each written unit gets a provisioning deployment (``records.written``).

A unit written here is ``in_progress`` until its notification arrives
(``notifications``): a rollout does not move on to its next wave before that.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import structlog

from reconciler.apply.conditions import Outcome, summarize
from reconciler.desired.units import DesiredState, Unit
from reconciler.errors import RenderError
from reconciler.forges import ChangeRequestDraft, ChangeRequests
from reconciler.plan.model import Plan, UnitPlan
from reconciler.provisioning import records, wording
from reconciler.provisioning.changes import UnitWrite, deployment_id_in, folder_change
from reconciler.provisioning.repository import Author, ProvisioningRepo
from reconciler.state import ProvisioningDeployment, StateStore
from reconciler.terraform import (
    METADATA_FILE,
    MetadataError,
    deletion_marker,
    proton_folder,
    render_terraform,
    resource_of_metadata,
)

log = structlog.get_logger(__name__)

AWAITING = "AwaitingNotification"
CHANGING = ("create", "update", "adopt")
MARKER = "provisioning"  # the hidden first line of the provisioning pull request


@dataclass(frozen=True)
class ProvisioningSettings:
    """How change sets are written."""

    branch: str = "goldenpath/provisioning"  # the head branch of the one open PR
    author: Author = field(default_factory=Author)


@dataclass(frozen=True)
class _Pending:
    """A unit to write: its files with the deployment id chosen for them."""

    write: UnitWrite
    deployment: ProvisioningDeployment
    action: str


def terraform_units(plan: Plan, desired: DesiredState, store: StateStore) -> set[str]:
    """The Terraform units of ``plan``: in the desired state by their bundle; deletions by
    the plan's word (a record without a stack name) or by having been written before."""
    found = {u for u, unit in desired.units.items() if unit.is_terraform}
    for item in plan.units:
        gone = item.action == "delete" and item.unit_id not in desired.units
        if gone and (item.platform == "terraform" or store.provisioning_of(item.unit_id, 1)):
            found.add(item.unit_id)
    return found & {item.unit_id for item in plan.units}


def presettled(plan: Plan, units: set[str]) -> dict[str, Outcome]:
    """What the executor may assume of the Terraform units while it applies the rest."""
    settled = {}
    for item in plan.units:
        if item.unit_id in units:
            settled[item.unit_id] = (
                Outcome("unchanged", "UpToDate", "up to date")
                if item.action == "noop"
                else Outcome("in_progress", AWAITING, "written to the provisioning repository")
            )
    return settled


class Provisioner:
    def __init__(
        self,
        store: StateStore,
        repo: ProvisioningRepo,
        forge: ChangeRequests | None,
        settings: ProvisioningSettings = ProvisioningSettings(),
        link: Callable[[str], str | None] = lambda _revision: None,
    ) -> None:
        self.store = store
        self.repo = repo
        self.forge = forge
        self.settings = settings
        self.link = link  # the web page of a platform revision, for the PR body

    def apply(
        self,
        plan: Plan,
        desired: DesiredState,
        units: set[str],
        settled: Mapping[str, Outcome],
        outputs: Callable[[str], Mapping[str, str] | None],
    ) -> dict[str, Outcome]:
        """Write the Terraform ``units`` of ``plan``; their outcomes."""
        outcomes: dict[str, Outcome] = {}
        pending: list[_Pending] = []
        for item in plan.units:
            if item.unit_id not in units:
                continue
            known = {**settled, **outcomes}
            result = self._prepare(item, desired, known, outputs, plan.revision)
            if isinstance(result, Outcome):
                outcomes[item.unit_id] = result
            else:
                pending.append(result)
        if pending:
            outcomes.update(self._write(pending, plan.revision, desired))
        for unit_id, outcome in outcomes.items():
            if outcome.kind in ("blocked", "denied", "invalid", "unchanged"):
                self._note(unit_id, outcome, desired.units.get(unit_id))
        return outcomes

    # -- one unit ---------------------------------------------------------------------
    def _prepare(
        self,
        item: UnitPlan,
        desired: DesiredState,
        known: Mapping[str, Outcome],
        outputs: Callable[[str], Mapping[str, str] | None],
        revision: str,
    ) -> Outcome | _Pending:
        if item.action == "delete":
            return self._deletion(item, revision)
        if item.action == "denied":
            return Outcome("denied", "PolicyDenied", item.reason)
        if item.action == "blocked" and item.reason.startswith("stalled"):
            return Outcome("failed", "Stalled", item.reason)
        unit = desired.units[item.unit_id]
        deps = [d for d in unit.depends_on if d in desired.units]
        waiting = [d for d in deps if known.get(d, _UNKNOWN).kind not in ("applied", "unchanged")]
        if waiting:
            return Outcome("blocked", "DependencyNotReady", f"waits for {', '.join(waiting)}")
        try:
            render = render_terraform(unit, desired, outputs)
        except RenderError as exc:
            return Outcome("invalid", "RenderFailed", str(exc))
        if render.pending:
            names = ", ".join(render.pending)
            return Outcome("blocked", "OutputsUnknown", f"outputs of {names} are not known")
        fingerprint = render.fingerprint()
        record = self.store.unit(unit.id)
        if record is not None and record.fingerprint == fingerprint:
            return Outcome("unchanged", "UpToDate", "up to date")
        folder = proton_folder(render.resource)
        last = self._waiting(unit.id)
        same = last is not None and last.fingerprint == fingerprint and not last.deleting
        deployment_id = last.id if same and last is not None else str(uuid.uuid4())
        files = render.with_deployment(deployment_id)
        deployment = self._deployment(
            unit.id,
            deployment_id,
            revision,
            unit.version.version,
            fingerprint,
            folder,
            deleting=False,
        )
        action = "create" if record is None or record.fingerprint is None else "update"
        return _Pending(UnitWrite(unit.id, folder, files), deployment, action)

    def _deletion(self, item: UnitPlan, revision: str) -> Outcome | _Pending:
        written = self.store.provisioning_of(item.unit_id, 1)
        if not written:
            return Outcome("unchanged", "NeverWritten", "never written: nothing to destroy")
        last = written[0]
        head = self.repo.fetch()
        current = self.repo.folders(head, [last.folder])[last.folder]
        try:
            resource, _ = resource_of_metadata(current[METADATA_FILE])
        except (KeyError, MetadataError) as exc:
            message = f"{last.folder}/{METADATA_FILE} on the base branch is unreadable: {exc}"
            return Outcome("invalid", "MetadataUnreadable", message)
        reuse = last.waiting and last.deleting
        deployment_id = last.id if reuse else str(uuid.uuid4())
        files = deletion_marker(resource, deployment_id)
        deployment = self._deployment(
            item.unit_id,
            deployment_id,
            revision,
            last.version,
            last.fingerprint,
            last.folder,
            deleting=True,
        )
        return _Pending(
            UnitWrite(item.unit_id, last.folder, files, deleting=True), deployment, "delete"
        )

    # -- the change set ---------------------------------------------------------------
    def _write(
        self, pending: Sequence[_Pending], revision: str, desired: DesiredState
    ) -> dict[str, Outcome]:
        head = self.repo.fetch()
        current = self.repo.folders(head, [p.write.folder for p in pending])
        outcomes: dict[str, Outcome] = {}
        changes, writing = [], []
        for item in pending:
            on_base = current[item.write.folder]
            change = folder_change(item.write, on_base)
            merged = self._waiting(item.write.unit_id)
            if change is None and merged is not None and deployment_id_in(on_base) == merged.id:
                # Already on the base branch, its workflow running: nothing to write.
                outcomes[item.write.unit_id] = Outcome(
                    "in_progress", AWAITING, f"waiting for the notification of {merged.id}"
                )
                continue
            if change is None:
                # Same files, but no deployment of ours waits on them (a Proton estate's, or
                # a lost one): a fresh deployment id alone makes the workflow run again.
                on_base_minus = dict(on_base)
                on_base_minus.pop(METADATA_FILE, None)
                change = folder_change(item.write, on_base_minus)
            if change is not None:
                changes.append(change)
                writing.append(item)
        if not writing:
            return outcomes
        cause = wording.Cause(revision, self.link(revision))
        listed = [
            wording.WrittenUnit(
                p.write.unit_id, p.write.folder, p.deployment.id, p.action, p.deployment.version
            )
            for p in writing
        ]
        branch = self.settings.branch
        self.repo.push(
            head, branch, changes, wording.commit_message(listed, cause), self.settings.author
        )
        url = ""
        if self.forge is not None:
            url = self._propose(branch, wording.title(listed, cause), wording.body(listed, cause))
        else:
            log.warning(
                "provisioning.no_forge",
                branch=branch,
                reason="no forge configured: the branch is pushed, open its PR by hand",
            )
        log.info("provisioning.written", units=len(writing), branch=branch, change_request=url)
        for item in writing:
            outcomes[item.write.unit_id] = self._record(
                item, branch, url, desired.units.get(item.write.unit_id)
            )
        return outcomes

    def _record(self, item: _Pending, branch: str, url: str, unit: Unit | None) -> Outcome:
        now = self.store.now()
        where = url or f"branch {branch}"
        verb = "destroy" if item.deployment.deleting else "apply"
        outcome = Outcome(
            "in_progress",
            AWAITING,
            f"written to {where}; waiting for the workflow to {verb} it and notify deployment "
            f"{item.deployment.id}",
        )
        deployment = replace(
            item.deployment, branch=branch, change_request=url, created_at=now, updated_at=now
        )
        with self.store.transaction(f"recording the write of {item.write.unit_id}") as tx:
            record = tx.unit(item.write.unit_id)
            if record is None:
                if unit is None:
                    return outcome
                record = records.record_of(unit, now)
            existing = tx.provisioning_deployment(deployment.id)
            if existing is not None and existing.waiting:
                # Written again on a rebuilt branch (still in the open PR): the same
                # deployment, still waiting.
                tx.save_provisioning(replace(existing, change_request=url, updated_at=now))
                return outcome
            records.written(tx, record, deployment, outcome, now)
        return outcome

    def _propose(self, branch: str, title: str, body: str) -> str:
        """Open the change request of ``branch``, or update the open one; its page."""
        assert self.forge is not None
        base = self.repo.base
        found = self.forge.open_change_requests(branch, base)
        if found:
            self.forge.edit_change_request(found[0].number, title, body, MARKER)
            return found[0].url
        draft = ChangeRequestDraft(branch, base, title, body, MARKER)
        opened = self.forge.create_change_request(draft)
        log.info("provisioning.change_request_opened", number=opened.number, url=opened.url)
        return opened.url

    # -- helpers ----------------------------------------------------------------------
    def _waiting(self, unit_id: str) -> ProvisioningDeployment | None:
        for deployment in self.store.provisioning_of(unit_id, 5):
            if deployment.waiting:
                return deployment
        return None

    def _deployment(
        self,
        unit_id: str,
        deployment_id: str,
        revision: str,
        version: str,
        fingerprint: str,
        folder: str,
        *,
        deleting: bool,
    ) -> ProvisioningDeployment:
        now = self.store.now()
        return ProvisioningDeployment(
            id=deployment_id,
            unit_id=unit_id,
            revision=revision,
            version=version,
            fingerprint=fingerprint,
            history_id=0,
            state="DELETE_IN_PROGRESS" if deleting else "IN_PROGRESS",
            created_at=now,
            updated_at=now,
            deleting=deleting,
            folder=folder,
        )

    def _note(self, unit_id: str, outcome: Outcome, unit: Unit | None) -> None:
        record = self.store.unit(unit_id)
        if record is None:
            if unit is None or outcome.kind == "unchanged":
                return
            record = records.record_of(unit, self.store.now())
        self.store.save_units([summarize(record, outcome, self.store.now())])


_UNKNOWN = Outcome("blocked", "NotReached")
