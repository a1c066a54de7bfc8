"""Every row of every table of a state store, to show a refused request changed nothing."""

from __future__ import annotations

import sqlalchemy as sa

from reconciler.state import StateStore


def dump(store: StateStore) -> dict[str, list[tuple[object, ...]]]:
    """Each table's rows, in primary-key order, as plain tuples."""
    engine = store._engine  # the test reads the database as it is, through no record type
    found: dict[str, list[tuple[object, ...]]] = {}
    with engine.connect() as connection:
        for name in sorted(sa.inspect(connection).get_table_names()):
            table = sa.Table(name, sa.MetaData(), autoload_with=connection)
            order = list(table.primary_key.columns) or list(table.columns)
            rows = connection.execute(sa.select(table).order_by(*order))
            found[name] = [tuple(row) for row in rows]
    return found
