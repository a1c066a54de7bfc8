"""The state store: what Goldenpath remembers between runs (SQLite or PostgreSQL).

    store = StateStore.open("sqlite:///.goldenpath/state.db")
    op = store.begin_operation(OperationIntent(unit_id=..., action="create", ...))
    ...  # CreateStack(..., ClientRequestToken=op.client_token)
    with store.transaction() as tx:
        tx.finish_operation(op.id, "done", {"stack_id": ...})
        tx.save_units([unit.with_applied(...)])

Everything the engine needs is re-exported here; the modules behind it are internal.
"""

from reconciler.state.clock import SYSTEM_CLOCK, Clock, SystemClock
from reconciler.state.database import DEFAULT_URL
from reconciler.state.drift import (
    DRIFT_REASONS,
    DriftAction,
    DriftFinding,
    DriftReason,
    DriftReport,
)
from reconciler.state.history import DEPLOYMENT_STATUSES, Deployment, DeploymentStatus
from reconciler.state.journal import Operation, OperationAction, OperationIntent, OperationState
from reconciler.state.leases import Lease
from reconciler.state.migrate import SCHEMA_HEAD
from reconciler.state.offers import OFFER_STATES, OfferState, UpdateOffer
from reconciler.state.provisioning import (
    PROVISIONING_STATES,
    ProvisioningDeployment,
    ProvisioningState,
)
from reconciler.state.rollouts import Rollout, RolloutStatus, Wave, WaveStatus
from reconciler.state.settings import StateSettings
from reconciler.state.store import StateStore
from reconciler.state.tokens import StoredToken
from reconciler.state.transaction import StateTransaction
from reconciler.state.units import Condition, ConditionType, UnitKind, UnitRecord

__all__ = [
    "DEFAULT_URL",
    "DEPLOYMENT_STATUSES",
    "DRIFT_REASONS",
    "OFFER_STATES",
    "PROVISIONING_STATES",
    "SCHEMA_HEAD",
    "SYSTEM_CLOCK",
    "Clock",
    "Condition",
    "ConditionType",
    "Deployment",
    "DeploymentStatus",
    "DriftAction",
    "DriftFinding",
    "DriftReason",
    "DriftReport",
    "Lease",
    "OfferState",
    "Operation",
    "OperationAction",
    "OperationIntent",
    "OperationState",
    "ProvisioningDeployment",
    "ProvisioningState",
    "Rollout",
    "RolloutStatus",
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
