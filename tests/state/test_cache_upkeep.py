"""serve's upkeep drops content-addressed cache entries that nobody stored or read for a
long time, and keeps what is in use and the memories that cannot be derived again."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from goldenpath.engine import NOOP_RUNS
from goldenpath.server import PRUNED_CACHES
from reconciler.apply.roles import ROLES
from reconciler.caching import LINT, RECOMMENDED, VERSIONS, StoredLintCache, prune_unused
from reconciler.checks.runner import PLANS
from reconciler.render import LintReport
from reconciler.state import StateStore
from tests.state.conftest import FakeClock

DAY = 24 * 3600.0
KEPT = timedelta(days=30)


def test_upkeep_drops_only_entries_unused_for_the_kept_time(
    open_store: Callable[..., StateStore], clock: FakeClock
) -> None:
    store = open_store()
    store.cache_put_many(LINT, {"in-use": "{}", "forgotten": "{}"})
    store.cache_put(NOOP_RUNS, "old-state", {"plan": {}, "text": ""})
    store.cache_put(ROLES, "111111111111", {"role_arn": None})
    for _day in range(40):  # a replica reads one report every day
        clock.advance(DAY)
        validate = open_store()
        assert StoredLintCache(validate).get("in-use") == LintReport((), ())
        validate.close()
    dropped = prune_unused(store, PRUNED_CACHES, KEPT)
    assert dropped[LINT] == 1
    assert dropped[NOOP_RUNS] == 1
    assert store.cache_get_many(LINT, ["in-use", "forgotten"]) == {"in-use": "{}"}
    assert store.cache_get(ROLES, "111111111111") == {"role_arn": None}  # a memory: kept


def test_a_read_by_the_pruning_process_itself_counts(store: StateStore, clock: FakeClock) -> None:
    store.cache_put(LINT, "k", "{}")
    clock.advance(DAY * 29)
    assert store.cache_get(LINT, "k") == "{}"
    clock.advance(DAY * 2)
    assert prune_unused(store, [LINT], KEPT) == {LINT: 0}
    clock.advance(DAY * 31)
    assert prune_unused(store, [LINT], KEPT) == {LINT: 1}


def test_serve_prunes_the_derived_caches_and_never_the_memories_or_plans() -> None:
    assert {LINT, VERSIONS, NOOP_RUNS, "spec-files", "built-services", "checked-units"} == set(
        PRUNED_CACHES
    )
    assert not {ROLES, RECOMMENDED, PLANS} & set(PRUNED_CACHES)
