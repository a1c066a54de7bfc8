"""Template bodies kept per deployment (content-addressed) and units' dependencies, on
SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import sqlalchemy as sa

from reconciler.state import StateSettings, StateStore, UnitRecord
from reconciler.state.history import body_digest

UNIT = "service/web/test"
NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def _start(store: StateStore, revision: str, body: str | None, unit: str = UNIT) -> int:
    with store.transaction("test") as tx:
        return tx.start_deployment(unit, revision, "1.0", body=body).id


def _stored_bodies(state_url: str) -> int:
    engine = sa.create_engine(state_url, poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        found = connection.execute(sa.text("SELECT count(*) FROM template_bodies")).scalar_one()
    engine.dispose()
    return int(found)


def test_a_body_is_kept_once_however_many_deployments_send_it(
    store: StateStore, state_url: str
) -> None:
    _start(store, "c1", "Resources: {A: 1}\n")
    _start(store, "c2", "Resources: {A: 1}\n")
    _start(store, "c3", "Resources: {A: 2}\n", unit="service/web/prod")
    deletion = store.start_deployment(UNIT, "c4", "1.0", deleting=True)

    digests = [d.body_digest for d in store.history(UNIT)]

    assert digests == [None, body_digest("Resources: {A: 1}\n"), body_digest("Resources: {A: 1}\n")]
    assert deletion.body_digest is None
    assert store.template_body(body_digest("Resources: {A: 1}\n")) == "Resources: {A: 1}\n"
    assert store.template_body("sha256:" + "0" * 64) is None
    assert _stored_bodies(state_url) == 2


def test_a_body_goes_with_the_last_deployment_that_named_it(
    open_store: Callable[..., StateStore], state_url: str
) -> None:
    store = open_store(StateSettings(history_per_unit=2))
    _start(store, "c1", "old")
    _start(store, "c2", "shared")
    _start(store, "c3", "shared", unit="service/web/prod")
    _start(store, "c4", "new")  # drops c1: "old" goes
    _start(store, "c5", "newer")  # drops c2: "shared" stays, the other unit names it

    assert store.template_body(body_digest("old")) is None
    assert store.template_body(body_digest("shared")) == "shared"
    assert _stored_bodies(state_url) == 3


def test_dependants_are_the_units_whose_dependencies_name_it(store: StateStore) -> None:
    def unit(unit_id: str, *depends_on: str) -> UnitRecord:
        kind = unit_id.split("/")[0]
        return UnitRecord(
            unit_id,
            kind,  # type: ignore[arg-type]
            unit_id.replace("/", "-"),
            "1" * 12,
            "us-west-2",
            "svc",
            "1.0",
            NOW,
            depends_on=depends_on,
        )

    store.save_units(
        [
            unit("environment/test"),
            unit("service/orders/test", "environment/test"),
            unit("service/web/test", "environment/test", "service/orders/test"),
            unit("pipeline/orders", "service/orders/test"),
            # A LIKE on the JSON alone would take this one: "_" matches any character.
            unit("service/web-x/test", "service/orders-test/test"),
        ]
    )

    assert store.dependants("service/orders/test") == ["pipeline/orders", "service/web/test"]
    assert store.dependants("environment/test") == ["service/orders/test", "service/web/test"]
    assert store.dependants("service/web/test") == []
    assert store.unit("service/web/test").depends_on == (  # type: ignore[union-attr]
        "environment/test",
        "service/orders/test",
    )
