"""What the guardrails said of each unit at the last reconcile, for status and the page.

The reconciler keeps, per unit, the warnings, the denials it was let through by an
exception (with the reason and the day it ends), the denials that hold it back and any
failure to judge it. Only units with something to say have an entry, listed in an
index entry, so the status document reads them in two batched reads and a unit's page
in one. Written only where something changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from reconciler.guardrails import Verdict
from reconciler.state import StateStore

NOTES = "guardrail-notes"  # state store cache namespace: unit id → its verdict as JSON
INDEX = "#units"  # the entry listing the units that have notes (never a unit id)


def save_notes(store: StateStore, verdicts: Mapping[str, Verdict]) -> None:
    """Replace the notes with ``verdicts`` (the last plan's), writing what changed."""
    noted = {uid: v.to_json() for uid, v in verdicts.items() if v.noteworthy}
    listed = store.cache_get(NOTES, INDEX)
    before_ids = [u for u in listed if isinstance(u, str)] if isinstance(listed, list) else []
    before = store.cache_get_many(NOTES, before_ids) if before_ids else {}
    changed = {uid: doc for uid, doc in noted.items() if before.get(uid) != doc}
    for unit_id in before_ids:
        if unit_id not in noted:
            store.cache_delete(NOTES, unit_id)
    if changed:
        store.cache_put_many(NOTES, changed)
    if sorted(noted) != sorted(before_ids):
        store.cache_put(NOTES, INDEX, sorted(noted))


def notes_of(store: StateStore, unit_id: str) -> dict[str, Any] | None:
    found = store.cache_get(NOTES, unit_id)
    return found if isinstance(found, dict) else None


def all_notes(store: StateStore, unit_ids: Iterable[str] | None = None) -> dict[str, Any]:
    """Unit id → its notes, for the units that have some (among ``unit_ids``)."""
    listed = store.cache_get(NOTES, INDEX)
    if not isinstance(listed, list) or not listed:
        return {}
    wanted = listed if unit_ids is None else [u for u in listed if u in set(unit_ids)]
    found = store.cache_get_many(NOTES, wanted)
    return {uid: doc for uid, doc in found.items() if isinstance(doc, dict)}
