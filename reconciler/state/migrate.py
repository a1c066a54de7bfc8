"""Bring a state database to the schema this code expects, or refuse it.

Opening the store runs the Alembic migrations in ``migrations/`` programmatically; no
``alembic.ini`` is needed. A database already at ``SCHEMA_HEAD`` is recognised with one
small query, without importing Alembic at all, so a CLI run that finds nothing to do
starts fast. A database at a revision this code does not know was written by a newer
Goldenpath and is refused rather than guessed at.

Two processes may open an empty database at the same moment: PostgreSQL takes an
advisory lock for the migration, SQLite its write lock (``BEGIN IMMEDIATE``), so one
migrates and the other then finds the schema at head.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
import structlog
from sqlalchemy.engine import Connection

from reconciler.errors import StateError
from reconciler.state.database import WRITE_OPTION

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

log = structlog.get_logger(__name__)

# The newest migration in migrations/versions; a test keeps the two equal.
SCHEMA_HEAD = "0008"
# Our own version table, so a database shared with another Alembic project does not clash.
VERSION_TABLE = "goldenpath_schema_version"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Arbitrary, fixed key for pg_advisory_xact_lock: "gold" in ASCII.
_PG_MIGRATION_LOCK = 0x676F6C64


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at; None for a database never migrated."""
    if not sa.inspect(connection).has_table(VERSION_TABLE):
        return None
    rows = connection.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    if len(rows) > 1:
        raise StateError(f"the state database has several schema heads {rows}; expected one")
    return rows[0] if rows else None


def bring_to_head(connection: Connection) -> None:
    """Migrate the database on ``connection`` (outside any transaction) to ``SCHEMA_HEAD``."""
    with connection.begin():
        if current_revision(connection) == SCHEMA_HEAD:
            return
    connection.execution_options(**{WRITE_OPTION: True})
    with connection.begin():
        if connection.dialect.name == "postgresql":
            connection.execute(sa.select(sa.func.pg_advisory_xact_lock(_PG_MIGRATION_LOCK)))
        found = current_revision(connection)
        if found == SCHEMA_HEAD:
            return
        _upgrade(connection, found)


def _upgrade(connection: Connection, found: str | None) -> None:
    # Imported here: a database already at head never pays for loading Alembic.
    from alembic import command
    from alembic.script import ScriptDirectory
    from alembic.util.exc import CommandError

    config = alembic_config()
    script = ScriptDirectory.from_config(config)
    if found is not None and not _known(script, found):
        raise StateError(
            f"the state database is at schema revision {found!r}, which this Goldenpath "
            f"does not know (it knows up to {SCHEMA_HEAD!r}); it was probably written by a "
            "newer Goldenpath: upgrade Goldenpath, or point --state at another database"
        )
    config.attributes["connection"] = connection
    try:
        command.upgrade(config, "head")
    except CommandError as exc:
        raise StateError(f"migrating the state database from {found!r} failed: {exc}") from exc
    log.info("state.migrated", from_revision=found, to_revision=SCHEMA_HEAD)


def _known(script: ScriptDirectory, revision: str) -> bool:
    from alembic.util.exc import CommandError

    try:
        return script.get_revision(revision) is not None
    except CommandError:
        return False


def alembic_config() -> Config:
    """An Alembic configuration built in code, pointing at this package's migrations."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    config.attributes["version_table"] = VERSION_TABLE
    return config
