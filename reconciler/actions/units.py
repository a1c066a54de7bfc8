"""Finding the unit a write action names, and its live stack, without changing anything."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from reconciler.apply.roles import ROLES
from reconciler.cloud import Cloud, StackRef, StackState, Target
from reconciler.errors import ActionConflict, UnitNotFound
from reconciler.state import StateStore, UnitRecord

# What to do about a stack in a status an action does not fit.
_ADVICE = {
    "UPDATE_ROLLBACK_FAILED": "`goldenpath continue-update-rollback` it first",
    "UPDATE_IN_PROGRESS": "wait for the update, or `goldenpath cancel` it",
    "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS": "the update has succeeded and is cleaning up; wait",
}


@dataclass(frozen=True)
class LiveStack:
    """A unit's record and its stack as CloudFormation describes it now."""

    record: UnitRecord
    ref: StackRef
    state: StackState

    @property
    def status(self) -> str:
        return self.state.status


def find_unit(store: StateStore, unit_id: str) -> UnitRecord:
    record = store.unit(unit_id)
    if record is None:
        raise UnitNotFound(
            f"no unit {unit_id!r} is recorded in the state store ({store.url}); "
            "`goldenpath status` lists the units"
        )
    return record


def live_stack(store: StateStore, cloud: Cloud, record: UnitRecord) -> LiveStack:
    """The unit's stack now; ``ActionConflict`` when it has none or none can be reached."""
    target = unit_target(store, record)
    if target is None:
        raise ActionConflict(
            f"{record.id}: no role is known for account {record.account}; "
            "apply the platform repo once so that Goldenpath learns it"
        )
    state = cloud.describe(target, [record.stack_name]).get(record.stack_name)
    if state is None:
        never = "was never created" if record.stack_id is None else "does not exist any more"
        raise ActionConflict(f"{record.id} has no stack: {record.stack_name} {never} in {target}")
    return LiveStack(record, StackRef(target, record.stack_name), state)


def unit_target(store: StateStore, record: UnitRecord) -> Target | None:
    """Where the unit's stack lives, with the role Goldenpath reaches it through; None
    while no role is known for its account (the platform repo was never applied)."""
    role = _remembered_role(store, record.account)
    if role is None:
        return None
    return Target(record.account, record.region, role.get("role_arn") or None)


def _remembered_role(store: StateStore, account: str) -> Mapping[str, str | None] | None:
    entry = store.cache_get(ROLES, account)
    return entry if isinstance(entry, dict) else None


def wrong_status(stack: LiveStack, action: str, wanted: str) -> ActionConflict:
    """The refusal of ``action`` on a stack that is not in ``wanted``, with what to do."""
    advice = _ADVICE.get(stack.status)
    then = f" ({advice})" if advice else ""
    return ActionConflict(
        f"cannot {action} {stack.record.id}: its stack {stack.ref.name} is {stack.status}{then}; "
        f"{action} applies only to a stack in {wanted}"
    )
