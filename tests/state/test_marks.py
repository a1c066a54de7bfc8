"""Marks that let the reconciler skip work: seen head revisions and webhook deliveries."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from reconciler.state import StateSettings, StateStore
from tests.state.conftest import FakeClock


def test_an_unseen_branch_has_no_revision(store: StateStore) -> None:
    assert store.seen_revision("main") is None


def test_the_latest_recorded_head_is_the_seen_revision(store: StateStore) -> None:
    store.record_revision("main", "c1")
    store.record_revision("main", "c2")
    store.record_revision("release", "r1")
    assert (store.seen_revision("main"), store.seen_revision("release")) == ("c2", "r1")


def test_a_revision_needs_a_branch_and_a_commit(store: StateStore) -> None:
    with pytest.raises(ValueError, match="needs a branch and a commit"):
        store.record_revision("main", "")


def test_a_delivery_is_claimed_once(store: StateStore) -> None:
    assert store.claim_delivery("72d3162e-cc78-11e3-81ab-4c9367dc0958") is True
    assert store.claim_delivery("72d3162e-cc78-11e3-81ab-4c9367dc0958") is False
    assert store.claim_delivery("another-delivery") is True


def test_a_delivery_is_forgotten_after_the_retention_period(
    open_store: Callable[..., StateStore], clock: FakeClock
) -> None:
    store: StateStore = open_store(StateSettings(delivery_retention=timedelta(hours=1)))
    store.claim_delivery("d1")
    clock.advance(3599)
    assert store.claim_delivery("d1") is False
    clock.advance(2)
    assert store.claim_delivery("d1") is True


def test_a_delivery_needs_an_id(store: StateStore) -> None:
    with pytest.raises(ValueError, match="delivery id"):
        store.claim_delivery("")


def test_deliveries_claimed_together_return_only_the_new_ones(store: StateStore) -> None:
    store.claim_delivery("old")
    assert store.claim_deliveries(["old", "new-1", "new-2", "new-1"]) == {"new-1", "new-2"}
    assert store.claim_deliveries(["new-1", "new-2"]) == set()


def test_deliveries_forgotten_together_can_be_claimed_again(store: StateStore) -> None:
    store.claim_deliveries(["a", "b", "c"])
    assert store.forget_deliveries(["a", "b", "unknown"]) == 2
    assert store.claim_deliveries(["a", "b", "c"]) == {"a", "b"}


def test_deliveries_claimed_together_need_ids(store: StateStore) -> None:
    with pytest.raises(ValueError, match="delivery id"):
        store.claim_deliveries(["a", ""])
    assert store.claim_deliveries([]) == set()
