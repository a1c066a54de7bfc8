"""Alembic's entry point for the state store's migrations.

Only the online mode is used: ``reconciler.state.migrate`` hands over a connection that is
already inside a transaction (holding the migration lock), and the migrations run in it.
"""

from __future__ import annotations

from alembic import context

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "the state store's migrations run through reconciler.state (StateStore.open), "
        "which passes a connection; they are not run from the alembic command line"
    )

context.configure(
    connection=connection,
    version_table=config.attributes["version_table"],
    # SQLite cannot ALTER most things in place; batch mode rebuilds the table instead.
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
