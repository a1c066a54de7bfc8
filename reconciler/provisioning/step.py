"""The Terraform half of an apply pass, as the engine calls it.

``goldenpath.yaml`` may name a different provisioning repository at each revision, so
the step makes one ``Provisioner`` per repository setting, on first use, with the forge
client ``forge_for`` gives for it. Before writing, units whose notification is overdue
are stalled (``records.overdue``). A repository that cannot be fetched or pushed, or a
forge that cannot be reached, leaves the units ``retrying``: the next poll tries again.

One process at a time writes the provisioning repository: the step holds the lease
``WRITE_LEASE`` while it writes, so two replicas never force-push the branch over each
other's change set. The other one's units are ``retrying`` (``ProvisioningBusy``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import structlog

from reconciler.apply.conditions import Outcome
from reconciler.apply.holders import holder_name
from reconciler.errors import Waiting
from reconciler.forges import ChangeRequests, ForgeError
from reconciler.plan.planning import Planned
from reconciler.provisioning import records
from reconciler.provisioning.provisioner import (
    Provisioner,
    ProvisioningSettings,
    presettled,
    terraform_units,
)
from reconciler.provisioning.repository import ProvisioningRepo
from reconciler.specs.model import ProvisioningRepository
from reconciler.state import StateStore

log = structlog.get_logger(__name__)
WRITE_LEASE = "provisioning-repository"  # unit ids always contain a slash
WRITE_LEASE_TTL_S = 600.0  # longer than a fetch, a push and the forge calls take
NO_REPOSITORY = (
    "a Terraform unit is written to the platform's provisioning repository, and "
    "goldenpath.yaml names none: set spec.terraform.repository {provider, repo, branch, url}"
)


class TerraformStep:
    def __init__(
        self,
        store: StateStore,
        cache: Path,
        forge_for: Callable[[ProvisioningRepository], ChangeRequests | None],
        settings: ProvisioningSettings | None = None,
        link: Callable[[str], str | None] = lambda _revision: None,
    ) -> None:
        self.store = store
        self.cache = cache  # where the provisioning repositories are mirrored
        self.forge_for = forge_for
        self.settings = settings or ProvisioningSettings()
        self.link = link
        self._made: dict[ProvisioningRepository, Provisioner] = {}
        self.timeout: float | None = None  # the notification timeout last planned with
        self.holder = holder_name()  # of WRITE_LEASE, while this step writes

    def units(self, planned: Planned) -> set[str]:
        return terraform_units(planned.plan, planned.build.state, self.store)

    def presettled(self, planned: Planned, units: set[str]) -> dict[str, Outcome]:
        return presettled(planned.plan, units)

    def apply(
        self,
        planned: Planned,
        units: set[str],
        settled: Mapping[str, Outcome],
        outputs: Callable[[str], Mapping[str, str] | None],
    ) -> dict[str, Outcome]:
        terraform = planned.build.specs.platform.terraform
        self.timeout = terraform.notification_timeout
        self.stall_overdue()
        changing = {
            item.unit_id
            for item in planned.plan.units
            if item.unit_id in units and item.action in ("create", "update", "delete")
        }
        if terraform.repository is None:
            return {
                u: Outcome("invalid", "NoProvisioningRepository", NO_REPOSITORY) for u in changing
            }
        if changing and not self.store.acquire_lease(WRITE_LEASE, self.holder, WRITE_LEASE_TTL_S):
            lease = self.store.lease(WRITE_LEASE)
            why = (
                f"{lease.holder if lease else 'another process'} is writing the provisioning "
                "repository; this change set is written at the next reconcile"
            )
            log.info("provisioning.busy", units=len(changing), reason=why)
            return {u: Outcome("retrying", "ProvisioningBusy", why) for u in changing}
        provisioner = self._provisioner(terraform.repository)
        try:
            return provisioner.apply(planned.plan, planned.build.state, units, settled, outputs)
        except (Waiting, ForgeError) as exc:
            log.warning("provisioning.unavailable", error=str(exc))
            return {u: Outcome("retrying", "ProvisioningUnavailable", str(exc)) for u in changing}
        finally:
            if changing:
                self.store.release_lease(WRITE_LEASE, self.holder)

    def stall_overdue(self) -> list[str]:
        """Stall units waiting longer than the notification timeout; their ids."""
        if self.timeout is None:
            return []
        return [d.unit_id for d in records.overdue(self.store, self.timeout)]

    def _provisioner(self, repository: ProvisioningRepository) -> Provisioner:
        made = self._made.get(repository)
        if made is None:
            repo = ProvisioningRepo.open(repository.clone_url, repository.branch, self.cache)
            made = Provisioner(
                self.store, repo, self.forge_for(repository), self.settings, self.link
            )
            self._made[repository] = made
        return made
