"""``retry``: try a unit again now, instead of waiting for a new commit or the next run.

A unit that failed is *stalled* until its fingerprint changes (``docs/engine.md``,
Failures): the plan blocks it while the last journalled operation failed with the
fingerprint it would deploy again. A unit that met throttling, network or credential
trouble is *retrying*: the next reconcile tries it, whenever that comes. ``retry``:

1. refuses what retrying cannot help: a Ready unit (nothing to retry), an operation in
   flight (wait, or cancel it), a unit waiting for its dependencies (retry those), and a
   stall that only a commit can lift (render, lint, policy, a renamed stack);
2. clears the stall of the current fingerprint: the unit becomes Reconciling with reason
   ``RetryRequested`` ("retry requested by …"), which the planner does not block on, so
   the next plan updates (or re-creates) it;
3. remembers who asked (``RETRY_REQUESTS``), so that the deployment the reconcile starts
   carries them and ``action: retry`` in the unit's history;
4. forgets which head each branch last dealt with, so a running ``serve`` reconciles at
   its next poll even if nothing was pushed. Through the API, ``serve`` reconciles at once.

It makes no cloud call: the reconcile does, as for any other change.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from reconciler.actions.access import Actor
from reconciler.actions.units import find_unit
from reconciler.apply.conditions import Outcome, summarize
from reconciler.apply.interventions import RETRY_REASON, RETRY_REQUESTS, retry_request
from reconciler.errors import ActionConflict
from reconciler.state import StateStore

log = structlog.get_logger(__name__)

# Stalls that the same commit would meet again: only a new commit lifts them.
NEEDS_A_COMMIT = frozenset(
    {"RenderFailed", "LintFailed", "PolicyDenied", "NeverCreated", "StackNameChanged"}
)
# Reconciling reasons that mean "waiting for something else", not "failed".
WAITING_FOR_OTHERS = frozenset({"DependencyNotReady", "NotReached", "OutputsUnknown"})


@dataclass(frozen=True)
class RetryRequested:
    """The unit's stall was cleared; ``was`` is the reason it had."""

    unit_id: str
    was: str
    message: str


def request_retry(store: StateStore, unit_id: str, actor: Actor) -> RetryRequested:
    """Clear the unit's stall and ask for a reconcile (see the module docstring)."""
    record = find_unit(store, unit_id)
    busy = [op for op in store.in_flight() if op.intent.unit_id == unit_id]
    if busy:
        op = busy[-1]
        raise ActionConflict(
            f"{unit_id} has an operation in flight ({op.intent.action} of "
            f"{op.intent.stack_name} since {op.created_at.isoformat()}): wait for it, "
            f"or `goldenpath cancel {unit_id}`"
        )
    ready = record.condition("Ready")
    stalled = record.condition("Stalled")
    reconciling = record.condition("Reconciling")
    if ready is not None and ready.status:
        raise ActionConflict(f"{unit_id} is Ready: there is nothing to retry")
    if stalled is not None and stalled.status and stalled.reason in NEEDS_A_COMMIT:
        raise ActionConflict(
            f"{unit_id} is stalled by {stalled.reason} ({stalled.message}); the same commit "
            "would fail the same way: commit a fix instead"
        )
    if reconciling is not None and reconciling.status and reconciling.reason in WAITING_FOR_OTHERS:
        raise ActionConflict(
            f"{unit_id} waits for others ({reconciling.message}); retry those instead"
        )
    was = next((c.reason for c in (stalled, reconciling) if c is not None and c.status), "NotReady")
    now = store.now()
    message = f"retry requested by {actor.label} (was {was})"
    with store.transaction(f"recording the retry of {unit_id}") as tx:
        tx.save_units([summarize(record, Outcome("retrying", RETRY_REASON, message), now)])
        tx.cache_put_many(RETRY_REQUESTS, {unit_id: retry_request(actor.label, now)})
        tx.forget_revisions()
    log.info("actions.retry_requested", unit=unit_id, actor=actor.label, was=was)
    return RetryRequested(unit_id, was, message)
