"""cfn-lint results kept in the state store: a put is what the next get answers, a miss
is asked again, and what a process keeps at hand is bounded."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.caching import LINT, StoredLintCache
from reconciler.errors import Problem
from reconciler.render import LintReport
from reconciler.state import StateStore

REPORT = LintReport(
    errors=(Problem("templates/env/v1/cf.yaml", 3, "Resources.VPC", "E3012: wrong type"),),
    warnings=(),
)


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'state.db'}"


@pytest.fixture
def store(url: str) -> Iterator[StateStore]:
    with StateStore.open(url) as opened:
        yield opened


@pytest.mark.parametrize("write_through", [True, False])
def test_a_report_put_is_what_get_answers_before_and_after_a_flush(
    store: StateStore, write_through: bool
) -> None:
    cache = StoredLintCache(store, write_through=write_through)
    assert cache.get("k") is None
    cache.put("k", REPORT)
    assert cache.get("k") == REPORT
    assert cache.known(["k", "other"]) == {"k"}
    cache.flush()
    assert cache.get("k") == REPORT
    assert cache.known(["k"]) == {"k"}
    assert StoredLintCache(store).get("k") == REPORT  # and it is in the store


def test_a_report_another_replica_stores_after_a_miss_is_found(url: str) -> None:
    with StateStore.open(url) as one, StateStore.open(url) as other:
        cache = StoredLintCache(one, write_through=True)
        assert cache.get("k") is None
        assert cache.known(["k"]) == set()
        StoredLintCache(other, write_through=True).put("k", REPORT)
        assert cache.get("k") == REPORT
        assert cache.known(["k"]) == {"k"}


def test_a_miss_seen_by_known_is_asked_again(url: str) -> None:
    with StateStore.open(url) as one, StateStore.open(url) as other:
        cache = StoredLintCache(one)
        assert cache.known(["k"]) == set()
        other.cache_put(LINT, "k", REPORT.to_json())
        assert cache.known(["k"]) == {"k"}


def test_only_the_most_recently_used_reports_are_held(store: StateStore) -> None:
    cache = StoredLintCache(store, write_through=True, kept=2)
    for key in ("a", "b", "c"):
        cache.put(key, REPORT)
    assert len(cache) == 2
    cache.get("b")
    cache.put("d", REPORT)  # "c" was used least recently
    assert len(cache) == 2
    store.cache_delete(LINT, "c")
    store.cache_delete(LINT, "b")
    assert cache.get("b") == REPORT  # held
    assert cache.get("c") is None  # no longer held: the store is asked


def test_a_flush_that_fails_keeps_the_reports_for_the_next(
    store: StateStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = StoredLintCache(store)
    cache.put("k", REPORT)

    def failing(namespace: str, entries: object) -> int:
        raise RuntimeError("the database is gone")

    monkeypatch.setattr(store, "cache_put_many", failing)
    with pytest.raises(RuntimeError):
        cache.flush()
    monkeypatch.undo()
    cache.flush()
    assert StoredLintCache(store).get("k") == REPORT
