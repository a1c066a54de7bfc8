"""The one place the state store meets SQLAlchemy's engine and the database drivers.

It turns a ``--state`` URL into an engine set up for safe sharing between processes, and
it translates every SQLAlchemy or driver error into a ``StateError`` that names the
database (never its password) and what the store was doing.

SQLite needs care to be shared: the file runs in WAL mode with a busy timeout, and every
write transaction starts with ``BEGIN IMMEDIATE``. A deferred transaction that reads and
then writes can fail at once with "database is locked" when another process wrote in
between; taking the write lock up front makes the second writer wait instead.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import structlog
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from reconciler.errors import StateError
from reconciler.state.settings import StateSettings

log = structlog.get_logger(__name__)

DEFAULT_URL = "sqlite:///.goldenpath/state.db"
SUPPORTED = "sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/DATABASE"
# Execution option that marks a connection as one that will write (SQLite: BEGIN IMMEDIATE).
WRITE_OPTION = "goldenpath_write"
# Pause between attempts to switch a new SQLite file to WAL while another process has it.
WAL_SWITCH_RETRY_S = 0.02
# Driver names we accept for each backend; bare "postgresql://" means psycopg 3.
_DRIVERS = {"sqlite": {"pysqlite"}, "postgresql": {"psycopg"}}


def describe(url: URL) -> str:
    """The URL as it may appear in logs and errors: the password is masked."""
    return url.render_as_string(hide_password=True)


def parse_url(text: str) -> URL:
    """Read a ``--state`` URL, refusing any backend the store is not built for."""
    try:
        url = make_url(text)
    except ArgumentError as exc:
        raise StateError(f"state URL {text!r} is not a database URL; expected {SUPPORTED}") from exc
    backend = url.get_backend_name()
    if backend == "postgres":
        url = url.set(drivername="postgresql+psycopg")
        backend = "postgresql"
    if backend == "postgresql" and "+" not in url.drivername:
        url = url.set(drivername="postgresql+psycopg")
    if backend not in _DRIVERS:
        raise StateError(
            f"state URL scheme {url.drivername!r} is not supported; expected {SUPPORTED}"
        )
    driver = url.get_driver_name()
    if driver not in _DRIVERS[backend]:
        raise StateError(
            f"state URL driver {url.drivername!r} is not supported; "
            f"use {backend}+{sorted(_DRIVERS[backend])[0]} ({SUPPORTED})"
        )
    if backend == "sqlite" and url.database in (None, "", ":memory:"):
        raise StateError(
            f"state URL {text!r} names an in-memory SQLite database, which would lose all "
            "state on exit; give a file path such as sqlite:///.goldenpath/state.db"
        )
    return url


def create_engine(url: URL, settings: StateSettings) -> Engine:
    """An engine for ``url``, configured for sharing between processes and threads."""
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, settings)
    return sa.create_engine(
        url,
        pool_size=settings.pool_size,
        pool_pre_ping=True,
        connect_args={"connect_timeout": settings.connect_timeout_s},
    )


def _sqlite_engine(url: URL, settings: StateSettings) -> Engine:
    path = Path(str(url.database))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StateError(
            f"cannot create the folder {str(path.parent)!r} for the state database "
            f"{describe(url)}: {exc.strerror or exc}"
        ) from exc
    engine = sa.create_engine(
        url,
        pool_size=settings.pool_size,
        connect_args={"timeout": settings.sqlite_busy_timeout_s, "check_same_thread": False},
    )
    busy_ms = int(settings.sqlite_busy_timeout_s * 1000)
    synchronous = settings.sqlite_synchronous

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver must not open transactions on its own: we emit BEGIN ourselves.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {busy_ms}")
            _use_wal(cursor, url, settings.sqlite_busy_timeout_s)
            cursor.execute(f"PRAGMA synchronous = {synchronous}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        writes = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")

    return engine


def _use_wal(cursor: Any, url: URL, timeout_s: float) -> None:
    """Switch the file to WAL once; every later connection finds it already switched.

    The switch needs the file to itself, and SQLite answers "database is locked" at once,
    without waiting for the busy timeout, when another process is using it at that moment
    (two processes opening a new file together), so we wait and retry here.
    """
    deadline = time.monotonic() + timeout_s
    while cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        try:
            mode = cursor.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(WAL_SWITCH_RETRY_S)
            continue
        if mode != "wal":
            # Some file systems (network mounts) cannot do WAL: still correct, less concurrent.
            log.warning("state.sqlite_without_wal", url=describe(url), journal_mode=mode)
            return


@contextmanager
def translating_errors(url: URL, doing: str) -> Iterator[None]:
    """Re-raise SQLAlchemy and driver errors as ``StateError``, saying what failed where."""
    try:
        yield
    except StateError:
        raise
    except NoSuchModuleError as exc:
        raise StateError(f"state URL {describe(url)}: no driver installed ({exc})") from exc
    except SQLAlchemyError as exc:
        reason = getattr(exc, "orig", None) or exc
        first_line = str(reason).strip().splitlines()[0] if str(reason).strip() else repr(reason)
        raise StateError(f"state store {describe(url)}: {doing} failed: {first_line}") from exc


def upsert(
    connection: Connection,
    table: sa.Table,
    rows: Sequence[dict[str, Any]],
    keys: Sequence[str],
) -> None:
    """Insert ``rows``, replacing every non-key column of rows whose keys already exist.

    One statement run for all rows: the drivers batch it (executemany), which is what makes
    thousands of cache entries cheap to store.
    """
    if not rows:
        return
    stmt = insert_for(connection, table)
    updates = {c.name: stmt.excluded[c.name] for c in table.columns if c.name not in keys}
    connection.execute(
        stmt.on_conflict_do_update(index_elements=list(keys), set_=updates), list(rows)
    )


def insert_for(connection: Connection, table: sa.Table) -> Any:
    """The dialect's INSERT, which knows ``ON CONFLICT`` (both backends spell it alike)."""
    # Imported on use: loading the PostgreSQL dialect costs a SQLite user ~30 ms at start-up.
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)
    from sqlalchemy.dialects import sqlite

    return sqlite.insert(table)
