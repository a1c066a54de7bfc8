"""Content-keyed caches: JSON values by namespace and key, written in batches."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from reconciler.state import StateStore
from tests.state.conftest import FakeClock

# The template-version cache of a large platform repo holds about this many entries.
LARGE_BATCH = 5_000
DAYS = 24 * 3600.0


def test_a_json_value_reads_back_equal(store: StateStore) -> None:
    value = {"versions": [{"major": 1, "minor": 2, "commit": "abc"}], "ok": True, "n": 1.5}
    store.cache_put("template-versions", "abc", value)
    assert store.cache_get("template-versions", "abc") == value


def test_a_missing_entry_reads_as_none(store: StateStore) -> None:
    assert store.cache_get("lint", "sha256:nope") is None


def test_namespaces_keep_equal_keys_apart(store: StateStore) -> None:
    store.cache_put("lint", "k", ["E3012"])
    store.cache_put("template-versions", "k", {"v": 1})
    assert store.cache_get("lint", "k") == ["E3012"]
    assert store.cache_get("template-versions", "k") == {"v": 1}


def test_putting_a_key_again_replaces_its_value(store: StateStore) -> None:
    store.cache_put("lint", "k", ["E3012"])
    store.cache_put("lint", "k", [])
    assert store.cache_get("lint", "k") == []


def test_a_large_batch_is_stored_and_read_back_whole(store: StateStore) -> None:
    entries = {f"sha256:{n:064x}": {"problems": [], "n": n} for n in range(LARGE_BATCH)}
    assert store.cache_put_many("lint", entries) == LARGE_BATCH
    wanted = [*entries, "sha256:missing"]
    assert store.cache_get_many("lint", wanted) == entries


def test_an_empty_batch_is_a_no_op(store: StateStore) -> None:
    assert store.cache_put_many("lint", {}) == 0
    assert store.cache_get_many("lint", []) == {}


def test_prune_drops_entries_not_stored_since_a_time(store: StateStore, clock: FakeClock) -> None:
    store.cache_put("lint", "old", 1)
    clock.advance(3600)
    cutoff: datetime = clock.now()
    store.cache_put("lint", "new", 2)
    store.cache_put("other", "old", 3)
    assert store.cache_prune("lint", cutoff) == 1
    assert store.cache_get_many("lint", ["old", "new"]) == {"new": 2}
    assert store.cache_get("other", "old") == 3


def test_prune_keeps_entries_read_since_though_stored_long_before(
    store: StateStore, clock: FakeClock
) -> None:
    store.cache_put_many("lint", {"read": 1, "unread": 2})
    clock.advance(DAYS * 40)
    assert store.cache_get("lint", "read") == 1
    cutoff = clock.now() - timedelta(days=30)
    assert store.cache_prune("lint", cutoff) == 1
    assert store.cache_get_many("lint", ["read", "unread"]) == {"read": 1}


def test_a_read_costs_no_write_until_its_mark_is_a_day_old(
    store: StateStore, clock: FakeClock
) -> None:
    store.cache_put_many("lint", {"a": 1, "b": 2})
    clock.advance(DAYS / 2)
    assert store.cache_get_many("lint", ["a", "b", "missing"]) == {"a": 1, "b": 2}
    assert store.record_cache_uses() == 0  # marked when stored, half a day ago
    clock.advance(DAYS)
    store.cache_get_many("lint", ["a", "b"])
    store.cache_get("lint", "a")
    assert store.record_cache_uses() == 2  # one batch, each entry once
    assert store.record_cache_uses() == 0
    store.cache_get_many("lint", ["a", "b"])
    assert store.record_cache_uses() == 0  # marked just now


def test_uses_noted_by_a_process_are_recorded_when_it_closes(
    open_store: Callable[..., StateStore], clock: FakeClock
) -> None:
    first = open_store()
    first.cache_put_many("lint", {"read": 1, "unread": 2})
    clock.advance(DAYS * 40)
    reader = open_store()
    assert reader.cache_get("lint", "read") == 1
    reader.close()
    assert first.cache_prune("lint", clock.now() - timedelta(days=30)) == 1
    assert first.cache_get_many("lint", ["read", "unread"]) == {"read": 1}


def test_entries_stored_before_use_was_recorded_count_from_when_they_were_stored(
    store: StateStore, state_url: str, clock: FakeClock
) -> None:
    store.cache_put_many("lint", {"old": 1, "new": 2})
    engine = sa.create_engine(state_url, poolclass=sa.pool.NullPool)
    with engine.begin() as connection:  # as a Goldenpath of schema 0001 wrote them
        connection.execute(sa.text("UPDATE cache_entries SET used_at = NULL"))
    engine.dispose()
    clock.advance(DAYS)
    store.cache_put("lint", "new", 2)
    assert store.cache_prune("lint", clock.now() - timedelta(hours=1)) == 1
    assert store.cache_get_many("lint", ["old", "new"]) == {"new": 2}


def test_a_value_that_is_not_json_is_refused_naming_the_key(store: StateStore) -> None:
    with pytest.raises(TypeError, match=r"cache lint/k2: the value must be JSON.*set"):
        store.cache_put_many("lint", {"k1": 1, "k2": {1, 2}})
    assert store.cache_get("lint", "k1") is None


def test_none_cannot_be_cached_because_it_means_missing(store: StateStore) -> None:
    with pytest.raises(ValueError, match="None cannot be stored"):
        store.cache_put("lint", "k", None)


@pytest.mark.parametrize(("namespace", "key"), [("", "k"), ("lint", "")])
def test_namespace_and_key_must_be_named(store: StateStore, namespace: str, key: str) -> None:
    with pytest.raises(ValueError, match="must be a non-empty string"):
        store.cache_put(namespace, key, 1)
