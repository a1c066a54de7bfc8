"""A watched local branch: a commit to it is one call; reading the repository, editing the
working tree and committing to another branch are none."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from watchdog.events import (
    EventsLostEvent,
    FileClosedNoWriteEvent,
    FileModifiedEvent,
    FileOpenedEvent,
)

from reconciler.source.branch_watcher import BranchWatcher, _Handler
from reconciler.source.tracked import TrackedRepo
from tests.support.platform_repo import PlatformRepo, small_platform, write_service

# The watcher's quiet time in these tests, and how long a test waits for nothing to come.
QUIET_S = 0.05
SILENCE_S = 0.6


class Moves:
    """The calls a watcher made, to wait for."""

    def __init__(self) -> None:
        self.refs: list[str] = []
        self.came = threading.Condition()

    def __call__(self, ref: str) -> None:
        with self.came:
            self.refs.append(ref)
            self.came.notify_all()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[str]:
        with self.came:
            self.came.wait_for(lambda: len(self.refs) >= count, timeout)
            return list(self.refs)

    def after_silence(self) -> list[str]:
        time.sleep(SILENCE_S)
        with self.came:
            return list(self.refs)


@pytest.fixture
def repo(tmp_path: Path) -> PlatformRepo:
    return small_platform(tmp_path / "platform")


@pytest.fixture
def moves() -> Moves:
    return Moves()


@pytest.fixture
def watched(repo: PlatformRepo, moves: Moves) -> Iterator[BranchWatcher]:
    watcher = BranchWatcher(repo.root / ".git", "main", moves, quiet=QUIET_S)
    try:
        yield watcher
    finally:
        watcher.close()


def test_reading_the_repository_is_no_move(
    repo: PlatformRepo, tmp_path: Path, watched: BranchWatcher, moves: Moves
) -> None:
    tracked = TrackedRepo.open(str(repo.root), "main", tmp_path / "cache")
    for _ in range(3):  # what each reconcile of an unchanged head reads
        head = tracked.head()
        assert tracked.source.files(head)
        assert tracked.source.versions(head, None)
        repo.git("log", "--oneline", "-n", "5")
        repo.git("cat-file", "-p", head)
        repo.git("status", "--porcelain")
    assert moves.after_silence() == []


def test_an_uncommitted_edit_is_no_move(
    repo: PlatformRepo, watched: BranchWatcher, moves: Moves
) -> None:
    write_service(repo, "web", instances="- {name: test, environment: test}")
    (repo.root / "notes.txt").write_text("not committed\n")
    repo.git("add", "-A")  # the index is written, the branch is not
    assert moves.after_silence() == []


def test_a_commit_is_one_move(repo: PlatformRepo, watched: BranchWatcher, moves: Moves) -> None:
    repo.commit("one")
    assert moves.wait_for(1) == ["refs/heads/main"]
    assert moves.after_silence() == ["refs/heads/main"]


def test_a_burst_of_commits_is_one_move(repo: PlatformRepo, tmp_path: Path, moves: Moves) -> None:
    # Quiet for longer than a commit takes, even on a busy machine.
    watcher = BranchWatcher(repo.root / ".git", "main", moves, quiet=1.5)
    try:
        for n in range(3):
            repo.git("commit", "-q", "--allow-empty", "-m", f"commit {n}")
        assert moves.wait_for(1) == ["refs/heads/main"]
        assert moves.after_silence() == ["refs/heads/main"]
    finally:
        watcher.close()


def test_a_commit_to_another_branch_is_no_move(
    repo: PlatformRepo, watched: BranchWatcher, moves: Moves
) -> None:
    repo.git("checkout", "-q", "-b", "feature")
    repo.commit("on feature")
    repo.git("branch", "-f", "other", "HEAD")
    assert moves.after_silence() == []


def test_a_branch_in_a_folder_is_watched(repo: PlatformRepo, moves: Moves) -> None:
    repo.git("checkout", "-q", "-b", "release/1")
    watcher = BranchWatcher(repo.root / ".git", "release/1", moves, quiet=QUIET_S)
    try:
        repo.commit("on release/1")
        assert moves.wait_for(1) == ["refs/heads/release/1"]
    finally:
        watcher.close()


def test_packing_the_refs_then_committing_is_seen(
    repo: PlatformRepo, watched: BranchWatcher, moves: Moves
) -> None:
    repo.git("pack-refs", "--all")  # the loose ref goes, packed-refs holds the branch
    assert moves.wait_for(1)[0] in ("packed-refs", "refs/heads/main")
    assert not (repo.root / ".git" / "refs" / "heads" / "main").exists()
    packed = len(moves.after_silence())
    repo.commit("after packing")  # a loose ref again, created where none was
    assert moves.wait_for(packed + 1)[packed:] == ["refs/heads/main"]


def test_a_commit_in_a_linked_worktree_is_seen(
    repo: PlatformRepo, tmp_path: Path, moves: Moves
) -> None:
    repo.git("branch", "deploy")
    linked = tmp_path / "linked"
    repo.git("worktree", "add", "-q", str(linked), "deploy")
    tracked = TrackedRepo.open(str(linked), "deploy", tmp_path / "cache")
    watcher = tracked.watch(moves)
    assert watcher is not None
    try:
        (linked / "notes.txt").write_text("in the linked worktree\n")
        repo.git("-C", str(linked), "commit", "-q", "--allow-empty", "-m", "from there")
        assert moves.wait_for(1) == ["refs/heads/deploy"]
    finally:
        watcher.close()


def test_opens_and_reads_of_the_ref_are_not_writes(
    repo: PlatformRepo, watched: BranchWatcher, moves: Moves
) -> None:
    # What a back end other than inotify may still report although only writes were asked.
    ref = str(repo.root / ".git" / "refs" / "heads" / "main")
    handler = _Handler(watched)
    handler.on_any_event(FileOpenedEvent(ref))
    handler.on_any_event(FileClosedNoWriteEvent(ref))
    assert moves.after_silence() == []
    handler.on_any_event(FileModifiedEvent(ref))
    assert moves.wait_for(1) == ["refs/heads/main"]


def test_events_the_kernel_dropped_count_as_a_move(
    repo: PlatformRepo, watched: BranchWatcher, moves: Moves
) -> None:
    _Handler(watched).on_any_event(EventsLostEvent(str(repo.root / ".git")))
    assert moves.wait_for(1) == ["events lost"]
