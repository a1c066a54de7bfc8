"""The status document: every unit with its conditions, versions and outputs, rollouts,
and the open drift findings.

One function builds it, for ``goldenpath status``, the JSON API and the web page alike.
"Outdated" compares the version a unit runs with the recommended version of its
template, which every plan records.
"""

from __future__ import annotations

from typing import Any

from reconciler.caching import RECOMMENDED
from reconciler.report.guardrails import all_notes
from reconciler.state import StateStore, UnitRecord


def status_document(store: StateStore) -> dict[str, Any]:
    records = sorted(store.units(), key=lambda r: r.id)
    recommended = store.cache_get_many(RECOMMENDED, {r.template for r in records})
    notes = all_notes(store)
    units = [_unit(record, recommended, notes.get(record.id)) for record in records]
    rollouts = [r.to_json() for r in store.rollouts()]
    drift = [f.to_json() for f in store.drifts()]
    return {"units": units, "rollouts": rollouts, "drift": drift}


def history_document(store: StateStore, unit_id: str, limit: int = 50) -> dict[str, Any]:
    return {"unit": unit_id, "deployments": [d.to_json() for d in store.history(unit_id, limit)]}


def _unit(
    record: UnitRecord, recommended: dict[str, Any], notes: dict[str, Any] | None
) -> dict[str, Any]:
    document = record.to_json()
    best = recommended.get(record.template)
    document["recommended_version"] = best
    document["outdated"] = bool(best and _key(best) > _key(record.version))
    # What the guardrails said at the last reconcile (warnings, exceptions), or None.
    document["guardrails"] = notes
    return document


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split(".") if p.isdigit())
