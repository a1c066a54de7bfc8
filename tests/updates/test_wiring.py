"""How serve wires update pull requests: off on request, no thread without a forge or a
remote, and a local repository pushes to its ``origin`` when it has one."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

from goldenpath.update_prs import _tell, start_update_prs
from reconciler.forges import ForgeSettings
from reconciler.notifications.outbox import Outbox
from reconciler.render import Renderer
from reconciler.source.tracked import TrackedRepo
from reconciler.specs.model import NotificationTarget, Origin, Platform
from reconciler.state import StateStore
from reconciler.updates.outcome import UpdateOutcome
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


def test_an_opened_update_pull_request_is_told_once_per_set_of_versions(
    sqlite_store: StateStore,
) -> None:
    wanted = NotificationTarget(
        "ops", "slack", "OPS_URL", ("update_pr.opened",), origin=Origin("goldenpath.yaml", 5, "")
    )
    platform = Platform(name="pizza-ananas", notifications=(wanted,))
    moves = {"service/orders/test": ("1.0", "1.1"), "pipeline/orders": ("1.0", "1.1")}
    opened = UpdateOutcome("orders", "opened", "svc", moves, 12, "https://x/pull/12", "storefront")

    def tell(outcome: UpdateOutcome) -> None:
        _tell(sqlite_store, GITHUB, lambda: platform, outcome)

    tell(opened)
    tell(replace(opened, action="updated"))  # the same versions pushed again: the same event
    tell(replace(opened, action="unchanged"))
    tell(replace(opened, action="declined"))
    queued = Outbox(sqlite_store).listing()
    assert len(queued) == 1
    (notice,) = queued
    assert (notice.kind, notice.target) == ("update_pr.opened", "ops")
    data = notice.payload["data"]
    assert data["service"] == "orders" and data["team"] == "storefront"
    assert (data["number"], data["to_version"]) == (12, "1.1")
    assert data["instances"] == ["pipeline/orders", "service/orders/test"]
    assert data["repository"] == "pizza-ananas/platform" and data["forge"] == "github"

    newer = {unit: ("1.0", "1.2") for unit in moves}
    tell(replace(opened, action="updated", moves=newer))  # moved on to 1.2: news again
    told = [n.payload["data"]["to_version"] for n in Outbox(sqlite_store).listing()]
    assert told == ["1.1", "1.2"]
    _tell(sqlite_store, GITHUB, lambda: None, opened)  # no head planned yet: nothing to tell
    assert len(Outbox(sqlite_store).listing()) == 2
