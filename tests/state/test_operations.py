"""The operation log: recorded before the cloud call, finished once, bounded per unit."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest

from reconciler.state import OperationIntent, StateSettings, StateStore
from tests.state.conftest import FakeClock
from tests.state.workers import intent

# CloudFormation's pattern for ClientRequestToken.
CLIENT_TOKEN = re.compile(r"[a-zA-Z0-9][-a-zA-Z0-9]{0,127}")


def test_begun_operation_is_in_flight_with_its_intent(store: StateStore, clock: FakeClock) -> None:
    wanted = OperationIntent(
        unit_id="service/web/test",
        action="update",
        stack_name="web-test",
        account="222222222222",
        region="eu-west-1",
        revision="c0ffee",
        fingerprint="fp",
        change_set="goldenpath-c0ffee",
    )
    operation = store.begin_operation(wanted)
    assert store.in_flight() == [operation]
    assert operation.intent == wanted
    assert operation.state == "issued"
    assert operation.created_at == clock.now()
    assert store.operation(operation.id) == operation


def test_each_operation_gets_its_own_cloudformation_client_token(store: StateStore) -> None:
    tokens = {store.begin_operation(intent("service/web/test")).client_token for _ in range(5)}
    assert len(tokens) == 5
    assert all(CLIENT_TOKEN.fullmatch(token) for token in tokens)


def test_in_flight_lists_oldest_first(store: StateStore, clock: FakeClock) -> None:
    first = store.begin_operation(intent("service/a/test"))
    clock.advance(1)
    second = store.begin_operation(intent("service/b/test"))
    assert [op.id for op in store.in_flight()] == [first.id, second.id]


def test_finished_operation_leaves_flight_with_its_result(
    store: StateStore, clock: FakeClock
) -> None:
    operation = store.begin_operation(intent("environment/test"))
    clock.advance(42)
    done = store.finish_operation(
        operation.id, "done", {"stack_id": "arn:1", "outputs": {"A": "b"}}
    )
    assert store.in_flight() == []
    assert done.state == "done"
    assert done.finished_at == clock.now()
    assert store.operation(operation.id) == done
    assert done.result == {"stack_id": "arn:1", "outputs": {"A": "b"}}


def test_a_failed_operation_keeps_why(store: StateStore) -> None:
    operation = store.begin_operation(intent("environment/test"))
    store.finish_operation(operation.id, "failed", {"reason": "CREATE_FAILED: bucket exists"})
    stored = store.operation(operation.id)
    assert stored is not None and stored.state == "failed"
    assert stored.result == {"reason": "CREATE_FAILED: bucket exists"}


def test_an_operation_cannot_be_finished_twice(store: StateStore) -> None:
    operation = store.begin_operation(intent("environment/test"))
    store.finish_operation(operation.id, "done", {})
    with pytest.raises(ValueError, match="already done, not in flight"):
        store.finish_operation(operation.id, "failed", {})


def test_finishing_an_unknown_operation_is_refused(store: StateStore) -> None:
    with pytest.raises(ValueError, match="no operation 'nope' is recorded"):
        store.finish_operation("nope", "done", {})


def test_an_operation_finishes_only_as_done_or_failed(store: StateStore) -> None:
    operation = store.begin_operation(intent("environment/test"))
    with pytest.raises(ValueError, match="done or failed"):
        store.finish_operation(operation.id, "issued", {})
    assert [op.id for op in store.in_flight()] == [operation.id]


def test_an_unknown_action_is_refused() -> None:
    with pytest.raises(ValueError, match="action must be one of create, update, delete"):
        OperationIntent("environment/x", "import", "s", "1", "r", "c")  # type: ignore[arg-type]


def test_finished_operations_are_bounded_per_unit_but_in_flight_ones_stay(
    open_store: Callable[..., StateStore], clock: FakeClock
) -> None:
    store = open_store(StateSettings(operations_per_unit=3))
    pending = store.begin_operation(intent("service/web/test", "r0"))
    finished = []
    for n in range(5):
        clock.advance(1)
        operation = store.begin_operation(intent("service/web/test", f"r{n + 1}"))
        finished.append(store.finish_operation(operation.id, "done", {}).id)
    other = store.begin_operation(intent("service/api/test"))
    store.finish_operation(other.id, "done", {})
    kept = {op.id for op in store.operations("service/web/test")}
    assert kept == {pending.id, *finished[-3:]}
    assert store.operation(other.id) is not None


def test_an_operation_turns_into_plain_json(store: StateStore) -> None:
    operation = store.begin_operation(intent("service/web/test"))
    done = store.finish_operation(operation.id, "done", {"outputs": {"A": "b"}})
    shape = json.loads(json.dumps(done.to_json()))
    assert shape["result"] == {"outputs": {"A": "b"}}
    assert (shape["unit_id"], shape["action"], shape["state"]) == (
        "service/web/test",
        "create",
        "done",
    )
