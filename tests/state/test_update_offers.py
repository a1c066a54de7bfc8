"""The update offer of each service: written, read back, ended by its change request."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from reconciler.errors import StateError
from reconciler.state import StateStore, UpdateOffer
from tests.state.conftest import EPOCH, FakeClock


def offer(**changes: object) -> UpdateOffer:
    fields: dict[str, object] = {
        "service": "orders",
        "template": "svc",
        "targets": {"service/orders/test": "1.1", "pipeline/orders": "1.1"},
        "branch": "goldenpath/update/orders",
        "number": 7,
        "url": "https://github.example/acme/platform/pull/7",
        "state": "open",
        "digest": "d1",
        "offered_at": EPOCH,
        "updated_at": EPOCH,
    }
    fields.update(changes)
    return UpdateOffer(**fields)  # type: ignore[arg-type]


def test_an_offer_reads_back_as_written(store: StateStore) -> None:
    store.save_update_offer(offer())
    assert store.update_offer("orders") == offer()
    assert store.update_offer("web") is None


def test_a_service_keeps_one_offer_the_last(store: StateStore) -> None:
    store.save_update_offer(offer())
    store.save_update_offer(offer(targets={"service/orders/test": "1.2"}, digest="d2"))
    assert [o.targets for o in store.update_offers()] == [{"service/orders/test": "1.2"}]


def test_a_closed_change_request_ends_its_offer_and_keeps_what_it_offered(
    store: StateStore, clock: FakeClock
) -> None:
    store.save_update_offer(offer())
    clock.advance(60)
    ended = store.end_update_offer("goldenpath/update/orders", 7, "closed")
    assert ended is not None and ended.state == "closed"
    again = store.update_offer("orders")
    assert again is not None
    assert again.state == "closed"
    assert dict(again.targets) == {"service/orders/test": "1.1", "pipeline/orders": "1.1"}
    assert again.updated_at > again.offered_at


def test_another_change_request_from_the_branch_ends_nothing(store: StateStore) -> None:
    store.save_update_offer(offer())
    assert store.end_update_offer("goldenpath/update/orders", 8, "merged") is None
    assert store.end_update_offer("feature/x", 7, "merged") is None
    found = store.update_offer("orders")
    assert found is not None and found.state == "open"


def test_an_unknown_state_is_refused() -> None:
    with pytest.raises(ValueError, match="state must be one of open, closed, merged"):
        offer(state="declined")


def test_a_damaged_row_is_a_state_error_naming_it(store: StateStore) -> None:
    store.save_update_offer(offer())
    with store.transaction() as tx:
        tx._connection.execute(sa.text("UPDATE update_offers SET targets = '[1]'"))
    with pytest.raises(StateError, match=r"update_offers.*'orders'.*targets must be a JSON object"):
        store.update_offer("orders")
