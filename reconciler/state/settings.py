"""Tunables of the state store, in one documented place."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class StateSettings:
    """How the state store connects and how much history it keeps."""

    # Deployments kept per unit; older ones are dropped when a new one starts.
    history_per_unit: int = 100
    # Finished (done or failed) operations kept per unit; in-flight ones are never dropped.
    operations_per_unit: int = 100
    # How long a webhook delivery id is remembered, so a redelivery does no work twice.
    delivery_retention: timedelta = timedelta(days=3)
    # A cache entry read is marked used again only when its mark is older than this: a
    # read costs no write, and the marks of a whole run go in one batch.
    cache_use_resolution: timedelta = timedelta(days=1)
    # SQLite: how long a writer waits for another process's write lock before failing.
    sqlite_busy_timeout_s: float = 30.0
    # SQLite: FULL survives power loss as well as a killed process, at one fsync a commit.
    sqlite_synchronous: str = "FULL"
    # PostgreSQL: how long to wait for the server to accept a connection.
    connect_timeout_s: int = 5
    # Pooled connections kept open per process (PostgreSQL; SQLite files need fewer).
    pool_size: int = 5

    def __post_init__(self) -> None:
        if self.history_per_unit < 1:
            raise ValueError(f"history_per_unit must be at least 1, got {self.history_per_unit}")
        if self.operations_per_unit < 1:
            raise ValueError(
                f"operations_per_unit must be at least 1, got {self.operations_per_unit}"
            )
        if self.sqlite_synchronous not in ("NORMAL", "FULL", "EXTRA"):
            raise ValueError(
                f"sqlite_synchronous must be NORMAL, FULL or EXTRA, got {self.sqlite_synchronous!r}"
            )
