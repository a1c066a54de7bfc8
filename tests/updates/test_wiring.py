"""How serve wires update pull requests: off on request, no thread without a forge or a
remote, and a local repository pushes to its ``origin`` when it has one."""

from __future__ import annotations

import threading
from pathlib import Path

from goldenpath.update_prs import start_update_prs
from reconciler.forges import ForgeSettings
from reconciler.render import Renderer
from reconciler.source.tracked import TrackedRepo
from reconciler.state import StateStore
from tests.support.platform_repo import small_platform

GITHUB = ForgeSettings(forge="github", repo="pizza-ananas/platform", token="t0ken")


def publishing() -> int:
    return sum(1 for t in threading.enumerate() if t.name == "update-prs")


def test_turned_off_there_are_none(tmp_path: Path, sqlite_store: StateStore) -> None:
    tracked = TrackedRepo.open(str(small_platform(tmp_path / "repo").root), "main", tmp_path)
    stop = threading.Event()
    environ = {"GOLDENPATH_UPDATE_PRS": "off"}
    assert start_update_prs(tracked, sqlite_store, GITHUB, environ, Renderer(), stop) is None


def test_a_local_repository_without_origin_only_says_what_it_would_offer(
    tmp_path: Path, sqlite_store: StateStore
) -> None:
    tracked = TrackedRepo.open(str(small_platform(tmp_path / "repo").root), "main", tmp_path)
    before = publishing()
    updates = start_update_prs(tracked, sqlite_store, GITHUB, {}, Renderer(), threading.Event())
    assert updates is not None and updates.forge is not None and updates.branch is None
    assert publishing() == before


def test_a_local_repository_with_origin_publishes_on_a_thread(
    tmp_path: Path, sqlite_store: StateStore
) -> None:
    repo = small_platform(tmp_path / "repo")
    repo.git("remote", "add", "origin", str(tmp_path / "origin.git"))
    tracked = TrackedRepo.open(str(repo.root), "main", tmp_path)
    stop, before = threading.Event(), publishing()
    try:
        updates = start_update_prs(tracked, sqlite_store, GITHUB, {}, Renderer(), stop)
        assert updates is not None and updates.branch is not None
        assert publishing() == before + 1
    finally:
        stop.set()


def test_with_the_forge_off_there_is_no_thread(tmp_path: Path, sqlite_store: StateStore) -> None:
    tracked = TrackedRepo.open(str(small_platform(tmp_path / "repo").root), "main", tmp_path)
    updates = start_update_prs(
        tracked, sqlite_store, ForgeSettings(), {}, Renderer(), threading.Event()
    )
    assert updates is not None and updates.forge is None
