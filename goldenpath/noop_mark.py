"""The *no-op mark*, after Flux: a plan or apply that found nothing to do leaves a mark
keyed by everything its answer depended on (the commit, every recorded unit, the code);
a later run whose key is marked skips all work and says so again. Nothing in flight,
nothing stalled and no rollout running are conditions of a mark: those need the engine.

Imports are lazy on purpose: a run that hits a mark never imports boto3, cfn-lint,
Jinja or the emulator. On SQLite it does not even import SQLAlchemy: ``fast_noop`` reads
the state file with the standard library (read-only), and the key is then made from the
raw rows of the units table, so that both ways of reading make the same key.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

# Only what a marked run needs is imported here (no dataclasses, no pathlib): a no-op
# run is over in tens of milliseconds, and imports were half of them.
if TYPE_CHECKING:
    from goldenpath.revisions import Revision
    from reconciler.state import StateStore, UnitRecord

# Cache namespace of the marks, and their format (bump when what a key covers changes).
NOOP_RUNS = "noop-runs"
NOOP_FORMAT = "2"
# How long a read waits for a writer's lock on the SQLite state file.
SQLITE_BUSY_S = 5.0
# The state store's schema version table (reconciler.state.migrate.VERSION_TABLE; a test
# keeps the two equal without this module importing SQLAlchemy).
SCHEMA_TABLE = "goldenpath_schema_version"


def noop_key(revision: Revision, store: StateStore, url: str) -> str | None:
    """The key of "nothing to do at the revision with the state as recorded now".

    None when a mark may not be used or made: operations in flight, a unit stalled (its
    last failure is read from the journal), or a rollout running.
    """
    if store.in_flight() or store.active_rollouts():
        return None
    records = store.units()
    if any(_stalled(r) for r in records):
        return None
    path = sqlite_path(url)
    if path is not None:
        with _read_only(path) as connection:
            return _raw_key(connection, revision)
    material = [_header(revision), [_record_material(r) for r in records]]
    return hashlib.sha256(json.dumps(material, default=str).encode()).hexdigest()


def fast_noop(url: str, revision: Revision) -> dict[str, Any] | None:
    """What a marked run said, read from a SQLite state file without SQLAlchemy; or None.

    A mark is only made when nothing was stalled, and the key covers every unit row, so
    here it is enough to check that nothing is in flight and no rollout is running.
    """
    path = sqlite_path(url)
    if path is None or not os.path.exists(path):
        return None
    try:
        with _read_only(path) as connection:
            key = _raw_key(connection, revision)
            if key is None:
                return None
            row = connection.execute(
                "SELECT value FROM cache_entries WHERE namespace = ? AND key = ?", (NOOP_RUNS, key)
            ).fetchone()
    except sqlite3.Error:
        return None  # an older or newer schema, a locked file: the engine will know
    found = json.loads(row[0]) if row else None
    return found if isinstance(found, dict) else None


def sqlite_path(url: str) -> str | None:
    """The file of a ``sqlite:///PATH`` state URL (without options), else None."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or "?" in url or len(url) == len(prefix):
        return None
    return url[len(prefix) :]


@contextmanager
def _read_only(path: str) -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=SQLITE_BUSY_S)
    try:
        yield connection
    finally:
        connection.close()


def _raw_key(connection: sqlite3.Connection, revision: Revision) -> str | None:
    issued = connection.execute("SELECT count(*) FROM operations WHERE state = 'issued'")
    running = connection.execute("SELECT count(*) FROM rollouts WHERE status = 'running'")
    if issued.fetchone()[0] or running.fetchone()[0]:
        return None
    schema = connection.execute(f"SELECT version_num FROM {SCHEMA_TABLE}").fetchall()
    digest = hashlib.sha256(json.dumps([_header(revision), schema]).encode())
    for row in connection.execute("SELECT * FROM units ORDER BY id"):
        digest.update(repr(row).encode())
    return digest.hexdigest()


def _header(revision: Revision) -> list[str]:
    # The day is part of the key: a guardrail exception ends on a day, not at a commit.
    return [
        NOOP_FORMAT,
        _code_identity(),
        revision.git_dir,
        revision.prefix,
        revision.commit,
        _today(),
    ]


def _today() -> str:
    """``goldenpath.workspace.today`` as text, without importing what that module does."""
    import time

    return os.environ.get("GOLDENPATH_TODAY") or time.strftime("%Y-%m-%d", time.gmtime())


def marked(store: StateStore, key: str | None) -> dict[str, Any] | None:
    """What the marked run said (its plan as JSON and as text), or None."""
    if key is None:
        return None
    found = store.cache_get(NOOP_RUNS, key)
    return found if isinstance(found, dict) else None


def mark(store: StateStore, key: str | None, plan: dict[str, Any], text: str) -> None:
    if key is not None:
        store.cache_put(NOOP_RUNS, key, {"plan": plan, "text": text})


class OfflineCloud:
    """Planning from recorded state alone makes no cloud call at all."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"a plan without --refresh must not call the cloud ({name})")


def say_json(document: Any) -> None:
    """``goldenpath.output.emit_json``'s form, for a marked run: that module imports the
    error tree (dataclasses and all), a third of what such a run would import."""
    import sys

    json.dump(document, sys.stdout, indent=2, sort_keys=False, default=str)
    sys.stdout.write("\n")


def _stalled(record: UnitRecord) -> bool:
    stalled = record.condition("Stalled")
    return stalled is not None and stalled.status


def _record_material(r: UnitRecord) -> list[Any]:
    return [
        r.id,
        r.kind,
        r.stack_name,
        r.account,
        r.region,
        r.template,
        r.version,
        r.fingerprint,
        r.stack_id,
        r.updated_at.isoformat(),
        sorted(r.outputs.items()),
        [[c.type, c.status, c.reason] for c in r.conditions],
        r.last_attempted_revision,
        r.last_applied_revision,
    ]


def _code_identity() -> str:
    """The newest change to Goldenpath's own code: a new release or an edit voids marks.

    File times rather than the package version: an editable install keeps its version
    while its code changes. Cheaper than reading package metadata.
    """
    newest = 0
    for package in _PACKAGES:
        for folder, _dirs, names in os.walk(package):
            for name in names:
                if name.endswith(".py"):
                    newest = max(newest, os.stat(os.path.join(folder, name)).st_mtime_ns)
    return str(newest)


_PACKAGES = [
    os.path.dirname(os.path.abspath(__file__)),
    os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "reconciler"),
]


__all__ = [
    "NOOP_RUNS",
    "OfflineCloud",
    "fast_noop",
    "mark",
    "marked",
    "noop_key",
    "say_json",
    "sqlite_path",
]
