"""A burst of pushes costs the reconcile loop one fetch, not one per delivery (issue 12)."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import structlog.testing

from reconciler.apply.executor import ApplyReport
from reconciler.events import EventQueue, LocalChange, Push, SinkFull
from reconciler.loop import LoopSettings, ReconcileLoop
from reconciler.source.snapshot import Snapshot
from reconciler.source.tracked import TrackedRepo
from reconciler.specs.model import Platform
from reconciler.state import StateStore
from tests.support.platform_repo import PlatformRepo

BURST = 500
PATIENCE_S = 30.0


@dataclass
class HeldEngine:
    """Applies nothing; each apply waits until the test lets it finish."""

    release: threading.Event = field(default_factory=threading.Event)
    applying: threading.Event = field(default_factory=threading.Event)
    stop: threading.Event = field(default_factory=threading.Event)
    applied: list[str] = field(default_factory=list)

    def plan(self, snapshot: Snapshot) -> Any:
        return _planned()

    def apply(self, snapshot: Snapshot, heal: Any = None) -> Any:
        self.applied.append(snapshot.revision)
        self.applying.set()
        assert self.release.wait(PATIENCE_S), "the test never let the apply finish"
        return SimpleNamespace(report=ApplyReport(), planned=_planned())


def _planned() -> Any:
    """A plan of an empty platform, as far as the loop reads one."""
    return SimpleNamespace(
        build=SimpleNamespace(errors=[], specs=SimpleNamespace(platform=Platform()))
    )


class CountedFetches(TrackedRepo):
    fetches = 0

    def fetch(self) -> None:
        self.fetches += 1
        super().fetch()


class CountedQueue(EventQueue):
    taken = 0

    def get(self, timeout: float) -> Any:
        event = super().get(timeout)
        if event is not None:
            self.taken += 1
        return event


class CountedLoop(ReconcileLoop):
    handled = 0

    def handle(self, item: Any) -> None:
        try:
            super().handle(item)
        finally:
            self.handled += 1


@dataclass
class Running:
    loop: CountedLoop
    tracked: CountedFetches
    engine: HeldEngine
    queue: CountedQueue
    work: PlatformRepo
    bare: Path

    def push(self, commit: str, n: int) -> Push:
        return Push("github", "acme/platform", "main", "0" * 40, commit, f"delivery-{n}", "anna")

    def advance(self, name: str) -> str:
        """A new commit on the remote's tracked branch."""
        self.work.write(f"notes/{name}.txt", name)
        commit = self.work.commit(name)
        self.work.git("push", "-q", str(self.bare), "main")
        return commit

    def wait_idle(self) -> None:
        deadline = time.monotonic() + PATIENCE_S
        while self.queue.waiting() or self.loop.handled != self.queue.taken:
            assert time.monotonic() < deadline, "the loop did not take its queue"
            time.sleep(0.01)


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Running]:
    """A loop on a remote whose head is applied; the next apply waits for the test."""
    work = PlatformRepo(tmp_path / "work")
    work.write("goldenpath.yaml", "# empty platform\n")
    first = work.commit("first")
    bare = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
    work.git("push", "-q", str(bare), "main")
    opened = TrackedRepo.open(f"file://{bare}", "main", tmp_path / "cache")
    tracked = CountedFetches(opened.source, opened.branch, opened.remote, threading.Lock())
    engine = HeldEngine()
    engine.release.set()
    queue = CountedQueue(100)
    with StateStore.open(f"sqlite:///{tmp_path / 'state.db'}") as store:
        loop = CountedLoop(tracked, store, engine, None, None, queue, LoopSettings(interval=3600))
        stop = threading.Event()
        thread = threading.Thread(target=loop.run, args=(stop,), daemon=True)
        thread.start()
        try:
            deadline = time.monotonic() + PATIENCE_S
            # The first poll applied the head and is over (first_pass is set after it).
            while store.seen_revision("main") != first or not loop.first_pass.is_set():
                assert time.monotonic() < deadline, "the first poll did not apply the head"
                time.sleep(0.01)
            engine.release.clear()
            engine.applying.clear()
            yield Running(loop, tracked, engine, queue, work, bare)
        finally:
            engine.release.set()
            stop.set()
            thread.join(timeout=PATIENCE_S)


def test_pushes_queued_during_a_reconcile_cost_at_most_one_more_fetch(running: Running) -> None:
    first = running.engine.applied[0]
    second = running.advance("second")
    running.queue.put(running.push(second, 0))
    assert running.engine.applying.wait(PATIENCE_S)
    fetched = running.tracked.fetches
    for n in range(1, BURST + 1):
        running.queue.put(running.push(second, n))
    assert running.queue.waiting() == 1
    running.engine.release.set()
    running.wait_idle()
    assert running.tracked.fetches - fetched <= 1
    assert running.engine.applied == [first, second]


def test_a_push_of_a_newer_head_during_a_reconcile_is_fetched_and_applied_once(
    running: Running,
) -> None:
    first = running.engine.applied[0]
    second = running.advance("second")
    running.queue.put(running.push(second, 0))
    assert running.engine.applying.wait(PATIENCE_S)
    fetched = running.tracked.fetches
    third = running.advance("third")
    for n in range(1, BURST + 1):
        running.queue.put(running.push(second if n % 2 else third, n))
    running.engine.release.set()
    running.wait_idle()
    assert running.tracked.fetches - fetched == 1
    assert running.engine.applied == [first, second, third]


def test_a_push_of_the_applied_head_needs_no_fetch(running: Running) -> None:
    assert running.loop.first_pass.is_set()
    head = running.engine.applied[0]
    fetched = running.tracked.fetches
    running.queue.put(running.push(head, 1))
    running.wait_idle()
    assert running.tracked.fetches == fetched
    assert running.engine.applied == [head]


def test_pushes_of_other_branches_and_other_events_are_not_folded_together() -> None:
    queue = EventQueue(10)
    main = Push("github", "acme/platform", "main", "0" * 40, "a" * 40, "d1", "anna")
    release = Push("github", "acme/platform", "release", "0" * 40, "b" * 40, "d2", "anna")
    newer = Push("github", "acme/platform", "main", "0" * 40, "c" * 40, "d3", "anna")
    for event in (main, LocalChange("x"), release, newer, LocalChange("y")):
        queue.put(event)
    taken = [queue.get(timeout=0) for _ in range(4)]
    assert taken == [newer, LocalChange("x"), release, LocalChange("y")]
    assert queue.get(timeout=0) is None


def test_a_burst_of_pushes_takes_one_slot_of_a_full_queue() -> None:
    queue = EventQueue(2)
    queue.put(Push("github", "acme/platform", "main", "0" * 40, "a" * 40, "d1", "anna"))
    queue.put(LocalChange("x"))
    for n in range(100):
        queue.put(Push("github", "acme/platform", "main", "0" * 40, "b" * 40, f"e{n}", "anna"))
    with pytest.raises(SinkFull):
        queue.put(LocalChange("y"))
    assert queue.waiting() == 2


def test_a_push_of_the_settled_head_is_answered_without_queueing(running: Running) -> None:
    head = running.engine.applied[0]
    other_branch = Push("github", "acme/platform", "release", "0" * 40, head, "d-r", "anna")
    assert running.loop.note(running.push(head, 1)) is False
    assert running.loop.note(running.push("c" * 40, 2)) is True
    assert running.loop.note(other_branch) is True
    running.loop.retry_pending = True
    assert running.loop.note(running.push(head, 3)) is True


def test_a_burst_of_answered_pushes_is_logged_once_a_second(running: Running) -> None:
    head = running.engine.applied[0]
    with structlog.testing.capture_logs() as logs:
        for n in range(BURST):
            assert running.loop.note(running.push(head, n)) is False
    said = [e for e in logs if e["event"] == "loop.unchanged"]
    assert [(e["fetched"], e["pushes"]) for e in said] == [(False, 1)]


def test_interventions_left_open_are_recovered_at_start_and_at_every_poll(tmp_path: Path) -> None:
    work = PlatformRepo(tmp_path / "work")
    work.write("goldenpath.yaml", "# empty platform\n")
    work.commit("first")
    opened = TrackedRepo.open(str(work.root), "main", tmp_path / "cache")
    engine = HeldEngine()
    engine.release.set()
    recoveries: list[float] = []
    with StateStore.open(f"sqlite:///{tmp_path / 'state.db'}") as store:
        loop = CountedLoop(
            opened, store, engine, None, None, CountedQueue(10), LoopSettings(interval=0.05)
        )
        loop.recover_interventions = lambda: recoveries.append(time.monotonic())
        stop = threading.Event()
        thread = threading.Thread(target=loop.run, args=(stop,), daemon=True)
        thread.start()
        deadline = time.monotonic() + PATIENCE_S
        while len(recoveries) < 3:  # at start, then after each poll
            assert time.monotonic() < deadline, f"recovered {len(recoveries)} times"
            time.sleep(0.01)
        stop.set()
        thread.join(timeout=PATIENCE_S)
