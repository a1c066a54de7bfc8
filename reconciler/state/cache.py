"""Content-keyed caches that outlive a process: JSON values under ``(namespace, key)``.

The engine keeps work it can derive again but would rather not: template versions keyed
by commit sha, cfn-lint results keyed by the rendered body's hash. Keys name content, so
an entry is never stale, only unused; ``prune`` drops entries not stored since a time.
Puts are batched into one statement, so thousands of entries cost one round of I/O.
"""

from __future__ import annotations

import json
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
        {"namespace": namespace, "key": k, "value": _encode(namespace, k, v), "stored_at": now}
        for k, v in entries.items()
    ]
    upsert(connection, tables.cache_entries, rows, keys=("namespace", "key"))
    return len(rows)


def delete(connection: Connection, namespace: str, key: str) -> bool:
    t = tables.cache_entries
    done = connection.execute(sa.delete(t).where(t.c.namespace == namespace, t.c.key == key))
    return bool(done.rowcount)


def get(connection: Connection, namespace: str, key: str) -> Any | None:
    t = tables.cache_entries
    text = connection.execute(
        sa.select(t.c.value).where(t.c.namespace == namespace, t.c.key == key)
    ).scalar_one_or_none()
    return None if text is None else _decode(namespace, key, text)


def get_many(connection: Connection, namespace: str, keys: Iterable[str]) -> dict[str, Any]:
    """The entries found among ``keys``; missing keys are simply absent from the result."""
    t = tables.cache_entries
    wanted = list(dict.fromkeys(keys))
    found: dict[str, Any] = {}
    for start in range(0, len(wanted), READ_CHUNK):
        chunk = wanted[start : start + READ_CHUNK]
        rows = connection.execute(
            sa.select(t.c.key, t.c.value).where(t.c.namespace == namespace, t.c.key.in_(chunk))
        )
        for key, text in rows:
            found[key] = _decode(namespace, key, text)
    return found


def prune(connection: Connection, namespace: str, stored_before: datetime) -> int:
    t = tables.cache_entries
    result = connection.execute(
        sa.delete(t).where(t.c.namespace == namespace, t.c.stored_at < stored_before)
    )
    return result.rowcount
