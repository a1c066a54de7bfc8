"""Opening a store: supported URLs, clear errors for the rest, SQLite set up for sharing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from reconciler.errors import StateError
from reconciler.state import StateSettings, StateStore
from tests.conftest import POSTGRES_URL
from tests.state.conftest import FakeClock


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mysql://root@127.0.0.1/state", "scheme 'mysql' is not supported"),
        ("redis://127.0.0.1:6379/0", "scheme 'redis' is not supported"),
        ("postgresql+psycopg2://postgres@127.0.0.1/test", "driver 'postgresql+psycopg2'"),
        ("not a url at all", "is not a database URL"),
    ],
)
def test_unsupported_urls_are_refused_saying_what_is_expected(url: str, expected: str) -> None:
    with pytest.raises(StateError, match=re.escape(expected)) as caught:
        StateStore.open(url)
    assert "sqlite:///PATH or postgresql+psycopg://" in str(caught.value)


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_in_memory_sqlite_is_refused_because_it_would_lose_state(url: str) -> None:
    with pytest.raises(StateError, match="in-memory SQLite"):
        StateStore.open(url)


def test_unreachable_postgresql_is_a_state_error_naming_the_server() -> None:
    # Port 1 on loopback: nothing listens there, so the connection is refused at once.
    with pytest.raises(StateError, match=r"127\.0\.0\.1:1/state: opening failed"):
        StateStore.open("postgresql+psycopg://postgres@127.0.0.1:1/state")


def test_errors_never_show_the_database_password() -> None:
    with pytest.raises(StateError) as caught:
        StateStore.open("postgresql+psycopg://postgres:s3cret-pw@127.0.0.1:1/state")
    assert "s3cret-pw" not in str(caught.value)
    assert "***" in str(caught.value)


def test_sqlite_file_under_a_regular_file_is_a_state_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    with pytest.raises(StateError, match="cannot create the folder"):
        StateStore.open(f"sqlite:///{blocker / 'state.db'}")


def test_sqlite_creates_the_parent_folder(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "state.db"
    with StateStore.open(f"sqlite:///{path}") as store:
        assert store.units() == []
    assert path.is_file()


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    settings = StateSettings(sqlite_busy_timeout_s=12.5)
    StateStore.open(f"sqlite:///{path}", settings).close()
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
    engine.dispose()
    assert mode == "wal"
    with StateStore.open(f"sqlite:///{path}", settings) as store, store.transaction() as tx:
        timeout = tx._connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
    assert timeout == 12_500


@pytest.mark.postgres
def test_bare_postgresql_scheme_means_psycopg(postgres_database: str, clock: FakeClock) -> None:
    bare = make_url(POSTGRES_URL).set(drivername="postgresql", database=postgres_database)
    with StateStore.open(bare.render_as_string(hide_password=False), clock=clock) as store:
        assert store.backend == "postgresql"
        assert store.units() == []


def test_a_closed_store_refuses_to_be_used(store: StateStore) -> None:
    store.close()
    with pytest.raises(StateError, match="is closed"):
        store.units()


def test_a_store_says_which_backend_it_uses(store: StateStore, state_url: str) -> None:
    assert state_url.startswith(store.backend)
