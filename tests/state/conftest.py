"""Every state test runs twice: on a fresh SQLite file and on the real PostgreSQL.

PostgreSQL isolation: the session creates its own database with a random name (so test
runs of other engineers never collide), each test gets a fresh schema in it through the
URL's ``search_path``, and the database is dropped when the session ends.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from reconciler.state import StateSettings, StateStore
from tests.conftest import POSTGRES_URL

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]
# Where the fake clock starts: any fixed instant will do.
EPOCH = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@dataclass
class FakeClock:
    """A clock that moves only when a test moves it."""

    current: datetime = EPOCH

    def now(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


def _admin_conninfo(database: str) -> str:
    url = make_url(POSTGRES_URL).set(drivername="postgresql", database=database)
    return url.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A database of this session's own, dropped at the end."""
    name = f"goldenpath_state_{uuid.uuid4().hex[:12]}"
    base = make_url(POSTGRES_URL).database or "postgres"
    with psycopg.connect(_admin_conninfo(base), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield name
    with psycopg.connect(_admin_conninfo(base), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=BACKENDS)
def state_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database on the backend under test, as a ``--state`` URL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state' / 'state.db'}"
    database: str = request.getfixturevalue("postgres_database")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_admin_conninfo(database), autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
    url = make_url(POSTGRES_URL).set(
        database=database, query={"options": f"-csearch_path={schema}"}
    )
    return url.render_as_string(hide_password=False)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def open_store(state_url: str, clock: FakeClock) -> Iterator[Callable[..., StateStore]]:
    """Open the test's database (as often as a test likes); every store is closed after."""
    opened: list[StateStore] = []

    def _open(settings: StateSettings | None = None) -> StateStore:
        store = StateStore.open(state_url, settings or StateSettings(), clock)
        opened.append(store)
        return store

    yield _open
    for store in opened:
        store.close()


@pytest.fixture
def store(open_store: Callable[..., StateStore]) -> StateStore:
    return open_store()
