"""serve's upkeep drops content-addressed cache entries that nobody stored or read for a
long time, and keeps what is in use and the memories that cannot be derived again."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
import sqlalchemy as sa

from goldenpath.noop_mark import NOOP_RUNS
from goldenpath.server import PRUNED_CACHES
from reconciler.apply.roles import ROLES
from reconciler.caching import LINT, RECOMMENDED, VERSIONS, StoredLintCache, prune_unused
from reconciler.checks.runner import PLANS
from reconciler.errors import SourceError
from reconciler.events import ChangeAction, ChangeRequest, EventQueue
from reconciler.loop import LoopSettings, ReconcileLoop
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
    derived = {LINT, VERSIONS, NOOP_RUNS, "spec-files", "built-services", "checked-units"}
    assert derived | {"guardrails", "terraform-files"} == set(PRUNED_CACHES)
    assert not {ROLES, RECOMMENDED, PLANS} & set(PRUNED_CACHES)


class UnreachableRepo:
    """A tracked repo whose remote is down: every fetch fails."""

    branch = "main"
    source = None

    def __init__(self) -> None:
        self.fetches = 0

    def fetch(self) -> None:
        self.fetches += 1
        raise SourceError("the remote is down")

    def head(self) -> str:
        raise SourceError("the remote is down")


def entries(state_url: str) -> int:
    engine = sa.create_engine(state_url, poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        found = connection.execute(sa.text("SELECT count(*) FROM cache_entries")).scalar_one()
    engine.dispose()
    return int(found)


def test_the_reconcile_loop_prunes_while_idle_and_a_failed_poll_waits_its_turn(
    store: StateStore, clock: FakeClock, state_url: str
) -> None:
    store.cache_put(LINT, "forgotten", "{}")
    clock.advance(DAY * 40)
    repo = UnreachableRepo()
    loop = ReconcileLoop(
        repo,  # type: ignore[arg-type]
        store,
        engine=None,  # type: ignore[arg-type]
        checks=None,  # type: ignore[arg-type]
        forge=None,
        events=EventQueue(10),
        settings=LoopSettings(interval=3600.0, upkeep_every=0.0),
        pruned_caches=(LINT,),
    )
    stop = threading.Event()
    worker = threading.Thread(target=loop.run, args=(stop,), daemon=True)
    worker.start()
    deadline = time.monotonic() + 30
    while entries(state_url) and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    worker.join(timeout=30)
    assert entries(state_url) == 0
    assert repo.fetches == 1  # not a poll per turn of the loop while the remote is down


def test_the_newest_heads_of_change_requests_are_bounded(
    store: StateStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    import reconciler.loop as loop_module

    monkeypatch.setattr(loop_module, "HEADS_REMEMBERED", 2)
    loop = ReconcileLoop(
        UnreachableRepo(),  # type: ignore[arg-type]
        store,
        engine=None,  # type: ignore[arg-type]
        checks=None,  # type: ignore[arg-type]
        forge=None,
        events=EventQueue(10),
    )

    def pushed(number: int, head: str) -> ChangeRequest:
        return ChangeRequest(
            "github", "o/r", number, ChangeAction.UPDATED, head, "f", "main", "a", "d", "t", "u"
        )

    for number, head in [(1, "a1"), (2, "b1"), (1, "a2"), (3, "c1")]:  # 1 is pushed again
        loop.note(pushed(number, head))
    assert loop.latest_heads == {("github", "o/r", 1): "a2", ("github", "o/r", 3): "c1"}
