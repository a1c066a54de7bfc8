"""Deployment history: Proton's statuses, newest first, a bounded number per unit."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from reconciler.state import StateSettings, StateStore
from tests.state.conftest import FakeClock


def test_a_started_deployment_is_in_progress_until_finished(
    store: StateStore, clock: FakeClock
) -> None:
    started = store.start_deployment("service/web/test", "c1", "1.2")
    assert (started.status, started.finished_at) == ("IN_PROGRESS", None)
    assert started.started_at == clock.now()
    clock.advance(90)
    finished = store.finish_deployment(started.id, "FAILED", "CREATE_FAILED: Bucket exists")
    assert store.history("service/web/test") == [finished]
    assert finished.status == "FAILED"
    assert finished.finished_at == clock.now()
    assert finished.message == "CREATE_FAILED: Bucket exists"
    assert finished.finished


def test_a_deletion_starts_as_delete_in_progress(store: StateStore) -> None:
    started = store.start_deployment("service/web/test", "c1", "1.2", deleting=True)
    done = store.finish_deployment(started.id, "DELETE_COMPLETE")
    assert (started.status, done.status) == ("DELETE_IN_PROGRESS", "DELETE_COMPLETE")


def test_history_is_newest_first_and_per_unit(store: StateStore, clock: FakeClock) -> None:
    for revision in ("c1", "c2", "c3"):
        clock.advance(1)
        store.start_deployment("service/web/test", revision, "1.0")
        store.start_deployment("service/web/prod", revision, "1.0")
    assert [d.revision for d in store.history("service/web/test")] == ["c3", "c2", "c1"]
    assert [d.revision for d in store.history("service/web/test", limit=2)] == ["c3", "c2"]
    assert all(d.unit_id == "service/web/prod" for d in store.history("service/web/prod"))


def test_history_keeps_only_the_newest_entries_of_each_unit(
    open_store: Callable[..., StateStore],
) -> None:
    store = open_store(StateSettings(history_per_unit=3))
    for n in range(7):
        store.start_deployment("service/web/test", f"c{n}", "1.0")
    store.start_deployment("service/web/prod", "p0", "1.0")
    assert [d.revision for d in store.history("service/web/test")] == ["c6", "c5", "c4"]
    assert [d.revision for d in store.history("service/web/prod")] == ["p0"]


def test_cancelling_is_not_final_and_cancelled_is(store: StateStore) -> None:
    started = store.start_deployment("environment/test", "c1", "1.0")
    cancelling = store.cancel_deployment(started.id, "superseded by c2")
    cancelled = store.finish_deployment(started.id, "CANCELLED", "superseded by c2")
    assert (cancelling.status, cancelling.finished_at, cancelling.finished) == (
        "CANCELLING",
        None,
        False,
    )
    assert cancelled.finished_at is not None


def test_finishing_with_a_status_that_is_not_final_is_refused(store: StateStore) -> None:
    started = store.start_deployment("environment/test", "c1", "1.0")
    with pytest.raises(ValueError, match="needs a final status"):
        store.finish_deployment(started.id, "IN_PROGRESS")


def test_finishing_an_unknown_deployment_is_refused(store: StateStore) -> None:
    with pytest.raises(ValueError, match="no deployment 404"):
        store.finish_deployment(404, "SUCCEEDED")


def test_history_entries_have_the_json_shape_of_the_history_command(store: StateStore) -> None:
    started = store.start_deployment("environment/test", "c1", "1.0")
    finished = store.finish_deployment(started.id, "SUCCEEDED", "ok")
    assert set(finished.to_json()) == {
        "id",
        "revision",
        "version",
        "status",
        "started_at",
        "finished_at",
        "message",
        "actor",
        "action",
    }
    assert finished.finished_at is not None
    assert finished.to_json()["finished_at"] == finished.finished_at.isoformat()
