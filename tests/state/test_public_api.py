"""The state package's public surface is a contract: this list changes only on purpose."""

from __future__ import annotations

import reconciler.state


def test_the_public_names_are_exactly_these() -> None:
    assert sorted(reconciler.state.__all__) == [
        "Clock",
        "Condition",
        "ConditionType",
        "DEFAULT_URL",
        "DEPLOYMENT_STATUSES",
        "DRIFT_REASONS",
        "Deployment",
        "DeploymentStatus",
        "DriftAction",
        "DriftFinding",
        "DriftReason",
        "DriftReport",
        "Lease",
        "OFFER_STATES",
        "OfferState",
        "Operation",
        "OperationAction",
        "OperationIntent",
        "OperationState",
        "PROVISIONING_STATES",
        "ProvisioningDeployment",
        "ProvisioningState",
        "Rollout",
        "RolloutStatus",
        "SCHEMA_HEAD",
        "SYSTEM_CLOCK",
        "StateSettings",
        "StateStore",
        "StateTransaction",
        "StoredToken",
        "SystemClock",
        "UnitKind",
        "UnitRecord",
        "UpdateOffer",
        "Wave",
        "WaveStatus",
    ]
    for name in reconciler.state.__all__:
        assert getattr(reconciler.state, name) is not None
