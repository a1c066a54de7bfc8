"""Content-keyed caches that outlive a process: JSON values under ``(namespace, key)``.

The engine keeps work it can derive again but would rather not: template versions keyed
by commit sha, cfn-lint results keyed by the rendered body's hash. Keys name content, so
an entry is never stale, only unused; ``prune`` drops entries not used since a time.
Puts are batched into one statement, so thousands of entries cost one round of I/O.

An entry's ``used_at`` is when it was last stored or read. A read does not write it:
reads are on hot paths (a no-op plan, a validate of thousands of bodies). Instead the
store notes the entries it read whose ``used_at`` is older than a resolution (a day), in
``Uses``, and marks them used later in one batched statement (``mark_used``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from reconciler.errors import StateError
from reconciler.state import tables
from reconciler.state.database import upsert
from reconciler.state.rows import dump_json

# Keys per SELECT … IN (…) when reading many: well under every backend's parameter limit.
READ_CHUNK = 500


def _require_name(value: str, what: str) -> None:
    if not isinstance(value, str) or not value:
        raise ValueError(f"a cache {what} must be a non-empty string; got {value!r}")


def _encode(namespace: str, key: str, value: Any) -> str:
    _require_name(namespace, "namespace")
    _require_name(key, "key")
    if value is None:
        raise ValueError(
            f"cache {namespace}/{key}: None cannot be stored, a missing entry already reads as None"
        )
    try:
        return dump_json(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"cache {namespace}/{key}: the value must be JSON: {exc}") from exc


def _decode(namespace: str, key: str, text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise StateError(f"cache entry {namespace}/{key} is not valid JSON: {exc}") from exc


def put_many(
    connection: Connection, namespace: str, entries: Mapping[str, Any], now: datetime
) -> int:
    rows = [
        {
            "namespace": namespace,
            "key": k,
            "value": _encode(namespace, k, v),
            "stored_at": now,
            "used_at": now,
        }
        for k, v in entries.items()
    ]
    upsert(connection, tables.cache_entries, rows, keys=("namespace", "key"))
    return len(rows)


def delete(connection: Connection, namespace: str, key: str) -> bool:
    t = tables.cache_entries
    done = connection.execute(sa.delete(t).where(t.c.namespace == namespace, t.c.key == key))
    return bool(done.rowcount)


def get_many(
    connection: Connection, namespace: str, keys: Iterable[str], used_before: datetime
) -> tuple[dict[str, Any], list[str]]:
    """The entries found among ``keys`` (missing keys are absent), and the keys of those
    last marked used before ``used_before``."""
    t = tables.cache_entries
    wanted = list(dict.fromkeys(keys))
    found: dict[str, Any] = {}
    unmarked: list[str] = []
    for start in range(0, len(wanted), READ_CHUNK):
        chunk = wanted[start : start + READ_CHUNK]
        rows = connection.execute(
            sa.select(t.c.key, t.c.value, _last_used(t)).where(
                t.c.namespace == namespace, t.c.key.in_(chunk)
            )
        )
        for key, text, used_at in rows:
            found[key] = _decode(namespace, key, text)
            if used_at < used_before:
                unmarked.append(key)
    return found, unmarked


def mark_used(connection: Connection, namespace: str, keys: Iterable[str], now: datetime) -> int:
    """Record that ``keys`` of ``namespace`` were used at ``now``; returns how many rows."""
    t = tables.cache_entries
    wanted = sorted(set(keys))
    marked = 0
    for start in range(0, len(wanted), READ_CHUNK):
        chunk = wanted[start : start + READ_CHUNK]
        done = connection.execute(
            sa.update(t).where(t.c.namespace == namespace, t.c.key.in_(chunk)).values(used_at=now)
        )
        marked += done.rowcount
    return marked


def prune(connection: Connection, namespace: str, unused_since: datetime) -> int:
    """Drop the entries of ``namespace`` neither stored nor read since ``unused_since``."""
    t = tables.cache_entries
    result = connection.execute(
        sa.delete(t).where(t.c.namespace == namespace, _last_used(t) < unused_since)
    )
    return result.rowcount


def _last_used(t: sa.Table) -> sa.ColumnElement[datetime]:
    # An entry written by a Goldenpath before used_at existed counts from when it was stored.
    return sa.func.coalesce(t.c.used_at, t.c.stored_at, type_=t.c.stored_at.type)


class Uses:
    """Entries read whose use is not recorded yet, by namespace; safe between threads."""

    def __init__(self) -> None:
        self._keys: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    def note(self, namespace: str, keys: Iterable[str]) -> None:
        keys = set(keys)
        if keys:
            with self._lock:
                self._keys.setdefault(namespace, set()).update(keys)

    def take(self) -> dict[str, set[str]]:
        """Everything noted since the last take."""
        with self._lock:
            taken, self._keys = self._keys, {}
        return taken
