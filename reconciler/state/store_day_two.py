"""What the store keeps of Goldenpath's work after the first deploy: rollouts, drift
findings, update pull requests offered, and Terraform units' provisioning deployments.
Part of ``StateStore``; each method is one transaction, as everywhere in the store."""

from __future__ import annotations

from reconciler.state import drift, offers, provisioning, rollouts
from reconciler.state.drift import DriftAction, DriftFinding, DriftReport
from reconciler.state.offers import OfferState, UpdateOffer
from reconciler.state.provisioning import ProvisioningDeployment
from reconciler.state.rollouts import Rollout, RolloutStatus
from reconciler.state.store_base import StoreBase


class DayTwoStore(StoreBase):
    """Rollouts, drift findings, update offers and provisioning deployments."""

    # Terraform units: what was written to the provisioning repository.

    def provisioning_deployment(self, deployment_id: str) -> ProvisioningDeployment | None:
        """One write of a Terraform unit by its deployment id, or None."""
        with self._reading("reading a provisioning deployment") as connection:
            return provisioning.get(connection, deployment_id)

    def provisioning_of(self, unit_id: str, limit: int = 20) -> list[ProvisioningDeployment]:
        """A Terraform unit's writes to the provisioning repository, newest first."""
        with self._reading(f"reading the provisioning deployments of {unit_id}") as connection:
            return provisioning.of_unit(connection, unit_id, limit)

    def provisioning_waiting(self) -> list[ProvisioningDeployment]:
        """Writes still waiting for their notification, oldest first."""
        with self._reading("reading provisioning deployments waiting") as connection:
            return provisioning.waiting(connection)

    # Rollouts.

    def save_rollout(self, rollout: Rollout) -> None:
        with self.transaction(f"saving rollout {rollout.id}") as tx:
            tx.save_rollout(rollout)

    def rollout(self, rollout_id: str) -> Rollout | None:
        with self._reading(f"reading rollout {rollout_id}") as connection:
            return rollouts.get_rollout(connection, rollout_id)

    def rollouts(self, status: RolloutStatus | None = None) -> list[Rollout]:
        """Rollouts, newest first; only those in ``status`` when given."""
        with self._reading("reading rollouts") as connection:
            return rollouts.list_rollouts(connection, status)

    def active_rollouts(self) -> list[Rollout]:
        """Rollouts still running."""
        return self.rollouts("running")

    # Drift findings.

    def record_drift(self, report: DriftReport) -> tuple[DriftFinding, bool]:
        """Record what a drift check found; True with it when the finding is new."""
        with self.transaction(f"recording the drift of {report.unit_id}") as tx:
            return tx.record_drift(report)

    def set_drift_action(
        self, unit_id: str, action: DriftAction, message: str | None = None
    ) -> DriftFinding | None:
        """Change what is being done about the unit's open finding (None: it has none)."""
        with self.transaction(f"updating the drift of {unit_id}") as tx:
            return tx.set_drift_action(unit_id, action, message)

    def resolve_drift(self, unit_id: str, resolution: str) -> DriftFinding | None:
        """Close the unit's open finding (``in sync``, ``healed``, …); None if it had none."""
        with self.transaction(f"resolving the drift of {unit_id}") as tx:
            return tx.resolve_drift(unit_id, resolution)

    def drift(self, unit_id: str) -> DriftFinding | None:
        """The unit's open drift finding, or None."""
        with self._reading(f"reading the drift of {unit_id}") as connection:
            return drift.open_finding(connection, unit_id)

    def drifts(self) -> list[DriftFinding]:
        """Every open drift finding, by unit id."""
        with self._reading("reading drift findings") as connection:
            return drift.open_findings(connection)

    def drift_findings_after(self, after_id: int = 0, limit: int = 100) -> list[DriftFinding]:
        """Findings opened after ``after_id``, oldest first (a notifier's cursor)."""
        with self._reading("reading new drift findings") as connection:
            return drift.findings_after(connection, after_id, limit)

    def drift_history(self, unit_id: str, limit: int = 50) -> list[DriftFinding]:
        """A unit's drift findings, open and resolved, newest first."""
        with self._reading(f"reading the drift history of {unit_id}") as connection:
            return drift.unit_findings(connection, unit_id, limit)

    # Update pull requests.

    def save_update_offer(self, offer: UpdateOffer) -> None:
        with self.transaction(f"recording the update offer of {offer.service}") as tx:
            tx.save_update_offer(offer)

    def end_update_offer(self, branch: str, number: int, state: OfferState) -> UpdateOffer | None:
        """Record that change request ``number`` from ``branch`` was merged or closed."""
        with self.transaction(f"ending the update offer of {branch}") as tx:
            return tx.end_update_offer(branch, number, state)

    def update_offer(self, service: str) -> UpdateOffer | None:
        with self._reading(f"reading the update offer of {service}") as connection:
            return offers.get_offer(connection, service)

    def update_offers(self) -> list[UpdateOffer]:
        with self._reading("reading update offers") as connection:
            return offers.all_offers(connection)
