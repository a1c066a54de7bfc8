"""The state store's connection and transactions, which every part of ``StateStore`` uses."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import datetime
from typing import Any

from sqlalchemy.engine import URL, Connection, Engine

from reconciler.errors import StateError
from reconciler.state import cache
from reconciler.state.clock import Clock
from reconciler.state.database import WRITE_OPTION, describe, translating_errors
from reconciler.state.settings import StateSettings
from reconciler.state.transaction import StateTransaction
from reconciler.state.units import UnitRecord


class StoreBase:
    """One database: its engine, clock and settings, and how a read or a write is made."""

    def __init__(self, engine: Engine, url: URL, settings: StateSettings, clock: Clock) -> None:
        """Use ``StateStore.open``: it also migrates the schema."""
        self._engine = engine
        self._url = url
        self._settings = settings
        self._clock = clock
        self._closed = False
        # SQLite has one writer at a time. Threads of this process queue here, in order,
        # instead of in SQLite's busy handler, which sleeps in growing steps (up to 100 ms)
        # and made a 16-thread apply spend a third of its time waiting. Other processes
        # still wait in the busy handler; PostgreSQL needs no gate.
        # Records by raw row, from the last read of every unit (see units.all_units).
        self._unit_rows: dict[tuple[Any, ...], UnitRecord] = {}
        self._uses = cache.Uses()  # cache entries read, their use not yet recorded
        self._units_lock = threading.Lock()
        self._write_gate: AbstractContextManager[Any] = (
            threading.RLock() if engine.dialect.name == "sqlite" else nullcontext()
        )

    @property
    def url(self) -> str:
        """The database URL with its password masked."""
        return describe(self._url)

    @property
    def backend(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self._url.get_backend_name()

    @property
    def settings(self) -> StateSettings:
        return self._settings

    def now(self) -> datetime:
        """The store's clock: the time it stamps on what it writes."""
        return self._clock.now()

    @contextmanager
    def _reading(self, doing: str) -> Iterator[Connection]:
        self._require_open()
        with (
            translating_errors(self._url, doing),
            self._engine.connect() as connection,
            connection.begin(),
        ):
            yield connection

    @contextmanager
    def transaction(self, doing: str = "writing") -> Iterator[StateTransaction]:
        """Group writes: they are committed together when the block ends, or not at all."""
        self._require_open()
        with (
            self._write_gate,
            translating_errors(self._url, doing),
            self._engine.connect() as connection,
        ):
            connection.execution_options(**{WRITE_OPTION: True})
            with connection.begin():
                tx = StateTransaction(connection, self._settings, self._clock)
                yield tx
        for callback in tx.committed:
            callback()

    def reading(self, doing: str) -> AbstractContextManager[Connection]:
        """A read-only transaction, for the store's satellite tables (the outbox)."""
        return self._reading(doing)

    def _require_open(self) -> None:
        if self._closed:
            raise StateError(f"the state store {self.url} is closed")
