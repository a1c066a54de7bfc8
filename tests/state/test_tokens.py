"""API tokens in the store: only their hashes, listed with scopes, revoked once."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from reconciler.state import StateStore, StoredToken, UnitRecord
from reconciler.state.tables import tokens
from tests.state.conftest import EPOCH, FakeClock


def _token(token_id: str = "a1b2c3d4e5f6", team: str | None = "storefront") -> StoredToken:
    return StoredToken(
        id=token_id,
        team=team,
        name="ci-bot",
        digest="d" * 64,
        created_at=EPOCH,
        created_by="anna",
    )


def test_a_token_is_stored_and_read_back_with_its_scope(store: StateStore) -> None:
    store.add_token(_token())
    store.add_token(_token("0f0f0f0f0f0f", team=None))

    found = store.token("a1b2c3d4e5f6")

    assert found == _token()
    assert [t.scope for t in store.tokens()] == ["team:storefront", "admin"]
    assert found is not None and "digest" not in found.to_json()


def test_a_token_id_is_never_reused(store: StateStore) -> None:
    store.add_token(_token())

    with pytest.raises(ValueError, match="exists already"):
        store.add_token(_token())


def test_revoking_keeps_the_token_listed_and_the_first_revocation_time(
    store: StateStore, clock: FakeClock
) -> None:
    store.add_token(_token())
    clock.advance(60)
    first = store.revoke_token("a1b2c3d4e5f6")
    clock.advance(60)
    again = store.revoke_token("a1b2c3d4e5f6")

    assert first is not None and first.revoked
    assert again is not None and again.revoked_at == first.revoked_at
    assert store.revoke_token("ffffffffffff") is None
    assert len(store.tokens()) == 1


def test_the_tokens_table_holds_no_token_column(store: StateStore) -> None:
    assert {c.name for c in tokens.columns} == {
        "id", "team", "name", "digest", "created_at", "created_by", "revoked_at"
    }  # fmt: skip
    assert isinstance(tokens.c.digest.type, sa.String)


def test_a_deployment_records_who_acted_and_how(store: StateStore) -> None:
    started = store.start_deployment("service/web/test", "c1", "1.0")
    with store.transaction() as tx:
        cancelling = tx.cancel_deployment(started.id, "cancel requested", by=("anna", "cancel"))
    with store.transaction() as tx:
        cancelled = tx.finish_deployment(started.id, "CANCELLED", "rolled back")
        opened = tx.start_deployment(
            "service/web/test", "c1", "1.0", by=("john", "retry"), message="retry"
        )

    assert (cancelling.status, cancelling.actor, cancelling.action) == (
        "CANCELLING", "anna", "cancel"
    )  # fmt: skip
    assert cancelling.finished_at is None
    assert (cancelled.status, cancelled.actor, cancelled.action) == ("CANCELLED", "anna", "cancel")
    assert store.deployment(started.id) == cancelled
    assert (opened.actor, opened.action, opened.message) == ("john", "retry", "retry")
    assert [d.to_json()["actor"] for d in store.history("service/web/test")] == ["john", "anna"]


def test_a_refused_cancel_reopens_the_deployment(store: StateStore) -> None:
    started = store.start_deployment("service/web/test", "c1", "1.0")
    with store.transaction() as tx:
        tx.cancel_deployment(started.id, "cancel requested", by=("anna", "cancel"))
        reopened = tx.reopen_deployment(started.id, "")

    assert (reopened.status, reopened.actor, reopened.action) == ("IN_PROGRESS", "", "")


def test_a_unit_keeps_its_team(store: StateStore) -> None:
    record = UnitRecord(
        id="service/web/test",
        kind="service",
        stack_name="goldenpath-service-web-test",
        account="111111111111",
        region="us-west-2",
        template="svc",
        version="1.0",
        updated_at=EPOCH,
        team="storefront",
    )
    store.save_units([record])

    found = store.unit("service/web/test")
    assert found is not None and found.team == "storefront"
    assert found.to_json()["team"] == "storefront"


def test_forgetting_revisions_makes_every_branch_unseen(store: StateStore) -> None:
    store.record_revision("main", "abc")
    store.record_revision("release", "def")

    assert store.forget_revisions() == 2
    assert store.seen_revision("main") is None
