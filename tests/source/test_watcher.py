"""A watched working tree: each look reads what the watcher saw change, and every look
equals a whole one, for edits, additions, removals and moved folders."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.source.fileindex import FileIndex
from reconciler.source.watcher import TreeWatcher
from reconciler.source.worktree import WorkingTree
from tests.support.platform_repo import PlatformRepo, small_platform, write_service


@pytest.fixture
def repo(tmp_path: Path) -> PlatformRepo:
    return small_platform(tmp_path / "platform")


@pytest.fixture
def watched(repo: PlatformRepo) -> Iterator[WorkingTree]:
    tree = WorkingTree(repo.root, watch=True)
    try:
        yield tree
    finally:
        tree.close()


def test_an_edit_is_seen_by_looking_at_that_file_alone(
    repo: PlatformRepo, watched: WorkingTree, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The files were written a moment ago: a clock 10 s ahead trusts their stat at once.
    watched.index.clock = lambda: time.time_ns() + 10_000_000_000
    watched.files()
    write_service(repo, "web", instances="- {name: test, environment: test, inputs: {size: 9}}")
    whole = FileIndex(repo.root).look().files

    def no_walk(_root: str) -> None:
        raise AssertionError("the tree was walked")

    monkeypatch.setattr("reconciler.source.fileindex._walk", no_walk)
    look = watched.index.look(watched.watcher.changed() if watched.watcher else None)
    assert look.changed == {"services/web.yaml"}
    assert look.read == 1
    assert look.files == whole


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda root: (root / "services/web.yaml").unlink(), id="removed"),
        pytest.param(
            lambda root: (root / "services/api.yaml").write_text("kind: Service\n"), id="added"
        ),
        pytest.param(
            lambda root: shutil.move(root / "services", root / "moved-away"), id="folder-moved"
        ),
        pytest.param(lambda root: shutil.rmtree(root / "environments"), id="folder-removed"),
        pytest.param(
            lambda root: (root / "teams.yaml").write_text("kind: Teams\n"), id="teams-edited"
        ),
    ],
)
def test_every_look_equals_a_whole_look(
    repo: PlatformRepo, watched: WorkingTree, change: object
) -> None:
    watched.files()
    change(repo.root)  # type: ignore[operator]
    assert watched.files() == FileIndex(repo.root).look().files
    assert watched.files() == FileIndex(repo.root).look().files  # and again, unchanged


def test_without_its_cookie_the_watcher_asks_for_a_whole_look(
    repo: PlatformRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    watcher = TreeWatcher(repo.root)
    try:
        monkeypatch.setattr(watcher, "saw", lambda _path: None)  # events are lost
        monkeypatch.setattr("reconciler.source.watcher.COOKIE_WAIT_S", 0.05)
        assert watcher.changed() is None
    finally:
        watcher.close()


def test_a_whole_look_is_asked_for_now_and_then(repo: PlatformRepo) -> None:
    watcher = TreeWatcher(repo.root, full_every=0.0)
    try:
        assert watcher.changed() is None
    finally:
        watcher.close()


def test_a_write_under_a_skipped_folder_is_no_change(repo: PlatformRepo) -> None:
    watcher = TreeWatcher(repo.root)
    try:
        (repo.root / ".goldenpath").mkdir(exist_ok=True)
        (repo.root / ".goldenpath" / "state.db").write_bytes(b"state")
        assert watcher.wait(timeout=0.3) is False
        (repo.root / "teams.yaml").write_text("kind: Teams\n")
        assert watcher.wait(timeout=5, quiet=0.05) is True
        assert watcher.changed() == {"teams.yaml"}
    finally:
        watcher.close()


def test_looks_after_looks_do_not_confuse_one_cookie_with_another(repo: PlatformRepo) -> None:
    # A cookie's later events (closed, deleted) come after its look: they must neither
    # answer the next look's wait nor pile up.
    watcher = TreeWatcher(repo.root)
    try:
        for number in range(20):
            (repo.root / "teams.yaml").write_text(f"kind: Teams\n# {number}\n")
            assert watcher.changed() == {"teams.yaml"}
    finally:
        watcher.close()
