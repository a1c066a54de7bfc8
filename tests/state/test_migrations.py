"""The schema: built by the migrations on open, equal to what the code queries, and
refused when a newer Goldenpath has moved it on."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from reconciler.errors import StateError
from reconciler.state import SCHEMA_HEAD, StateStore
from reconciler.state.migrate import VERSION_TABLE, alembic_config, current_revision
from reconciler.state.tables import metadata
from tests.state import workers

TABLES = {
    "units",
    "operations",
    "deployments",
    "leases",
    "cache_entries",
    "rollouts",
    "revisions",
    "deliveries",
    "drift_findings",
    "tokens",
    "provisioning_deployments",
    "template_bodies",
    "update_offers",
    "notifications",
    VERSION_TABLE,
}


def _engine(url: str) -> sa.Engine:
    return sa.create_engine(url, poolclass=sa.pool.NullPool)


def test_schema_head_constant_is_the_newest_migration() -> None:
    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == SCHEMA_HEAD


def test_opening_an_empty_database_builds_every_table_at_head(
    open_store: Callable[..., StateStore], state_url: str
) -> None:
    open_store()
    engine = _engine(state_url)
    with engine.connect() as connection:
        assert set(sa.inspect(connection).get_table_names()) == TABLES
        assert current_revision(connection) == SCHEMA_HEAD
    engine.dispose()


def test_migrated_schema_is_the_schema_the_code_queries(
    open_store: Callable[..., StateStore], state_url: str
) -> None:
    open_store()
    engine = _engine(state_url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    engine.dispose()
    unexpected = [
        d for d in differences if not (d[0] == "remove_table" and d[1].name == VERSION_TABLE)
    ]
    assert unexpected == []


def test_reopening_keeps_what_was_recorded(open_store: Callable[..., StateStore]) -> None:
    open_store().record_revision("main", "abc123")
    assert open_store().seen_revision("main") == "abc123"


def test_database_at_an_unknown_newer_revision_is_refused(
    open_store: Callable[..., StateStore], state_url: str
) -> None:
    open_store().close()
    engine = _engine(state_url)
    with engine.begin() as connection:
        connection.execute(sa.text(f"UPDATE {VERSION_TABLE} SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(StateError, match=r"revision '9999'.*newer Goldenpath"):
        open_store()


def test_processes_opening_an_empty_database_at_once_all_succeed(state_url: str) -> None:
    workers_count = 3
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(workers_count, timeout=120)
    results = context.Queue()
    processes = [
        context.Process(target=workers.open_at_once, args=(state_url, start, results))
        for _ in range(workers_count)
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    assert outcomes == ["ok"] * workers_count


def test_cache_entries_of_schema_0001_are_kept_and_count_as_used_when_stored(
    state_url: str,
) -> None:
    from alembic import command

    database = sa.make_url(state_url).database
    if state_url.startswith("sqlite") and database:
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = _engine(state_url)
    with engine.connect() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        connection.execute(
            sa.text(
                "INSERT INTO cache_entries (namespace, key, value, stored_at) "
                "VALUES ('lint', 'k', '1', :stored)"
            ),
            {"stored": "2026-01-01 00:00:00"},
        )
        connection.commit()
    engine.dispose()

    def used_at() -> str:
        engine = _engine(state_url)
        with engine.connect() as connection:
            used = connection.execute(sa.text("SELECT used_at FROM cache_entries")).scalar_one()
        engine.dispose()
        return str(used)

    StateStore.open(state_url).close()  # migrates
    assert used_at().startswith("2026-01-01")
    with StateStore.open(state_url) as store:
        assert store.cache_get("lint", "k") == 1
    assert not used_at().startswith("2026-01-01")  # the read was recorded on closing
