"""Update pull request tests: a SQLite store by default; ``store`` runs a test on SQLite
and on PostgreSQL, where what the store remembers is what is being tested."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.state import StateStore
from tests.state.conftest import (  # noqa: F401  (fixtures shared with the state tests)
    clock,
    open_store,
    postgres_database,
    state_url,
    store,
)


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[StateStore]:
    with StateStore.open(f"sqlite:///{tmp_path / 'state.db'}") as opened:
        yield opened
