"""Update merge requests on GitLab: reviewers by user id, kept up to date, declined ones
not offered again until a newer version."""

from __future__ import annotations

from pathlib import Path

from reconciler.events import ChangeAction, ChangeRequest
from reconciler.state import StateStore
from tests.fakes.gitlab import FakeGitLab
from tests.updates.world import update_world

ORDERS = "goldenpath/update/orders"


def test_a_minor_bump_opens_a_merge_request_the_team_reviews(
    tmp_path: Path, sqlite_store: StateStore
) -> None:
    with update_world(tmp_path, sqlite_store, forge="gitlab") as world:
        gitlab = world.fake
        assert isinstance(gitlab, FakeGitLab)
        world.bump("VisibilityTimeout: 60")
        outcomes = world.offer()
        assert [(o.service, o.action) for o in outcomes] == [
            ("orders", "opened"),
            ("web", "opened"),
        ]
        mr = gitlab.open_merge_requests_from(ORDERS)[0]
        assert mr.title == "Update orders to svc 1.1"
        assert mr.target_branch == "main"
        assert mr.reviewer_ids == [7]  # gregg, storefront's member, looked up by name
        assert "#### Blast radius" in mr.description
        assert outcomes[0].url.endswith(f"/merge_requests/{mr.iid}")
        moved = world.remote_file(ORDERS, "services/orders.yaml")
        assert 'version: "1.1"}' in moved


def test_a_second_bump_updates_the_merge_request(tmp_path: Path, sqlite_store: StateStore) -> None:
    with update_world(tmp_path, sqlite_store, forge="gitlab") as world:
        gitlab = world.fake
        assert isinstance(gitlab, FakeGitLab)
        world.bump("VisibilityTimeout: 60")
        world.offer()
        world.bump("MessageRetentionPeriod: 600")
        assert [o.action for o in world.offer()] == ["updated", "updated"]
        assert len(gitlab.created) == 2
        mr = gitlab.open_merge_requests_from(ORDERS)[0]
        assert mr.title == "Update orders to svc 1.2"
        assert mr.edits == 2  # the reviewers when opened, then the new title and description


def test_a_merge_request_closed_unmerged_is_not_offered_again_until_a_newer_version(
    tmp_path: Path, store: StateStore
) -> None:
    with update_world(tmp_path, store, forge="gitlab") as world:
        gitlab = world.fake
        assert isinstance(gitlab, FakeGitLab)
        world.bump("VisibilityTimeout: 60")
        world.offer()
        declined = gitlab.open_merge_requests_from(ORDERS)[0]
        gitlab.close_merge_request(declined.iid)
        assert {o.service: o.action for o in world.offer()}["orders"] == "declined"
        assert gitlab.open_merge_requests_from(ORDERS) == []
        world.bump("MessageRetentionPeriod: 600")
        assert {o.service: o.action for o in world.offer()}["orders"] == "opened"
        fresh = gitlab.open_merge_requests_from(ORDERS)
        assert len(fresh) == 1 and fresh[0].iid != declined.iid


def test_a_merge_request_hook_ends_the_offer(tmp_path: Path, sqlite_store: StateStore) -> None:
    with update_world(tmp_path, sqlite_store, forge="gitlab") as world:
        gitlab = world.fake
        assert isinstance(gitlab, FakeGitLab)
        world.bump("VisibilityTimeout: 60")
        world.offer()
        mr = gitlab.open_merge_requests_from(ORDERS)[0]
        gitlab.close_merge_request(mr.iid, merged=True)
        event = ChangeRequest(
            "gitlab",
            "pizza-ananas/platform",
            mr.iid,
            ChangeAction.MERGED,
            "0" * 40,
            ORDERS,
            "main",
            "gregg",
            "uuid-1",
            mr.title,
            "https://gitlab.example/mr",
        )
        ended = world.updates.closed(event)
        assert ended is not None and ended.state == "merged"
        # A change request from another branch with the same number ends nothing.
        other = ChangeRequest(
            "gitlab",
            "pizza-ananas/platform",
            mr.iid,
            ChangeAction.CLOSED,
            "0" * 40,
            "feature/x",
            "main",
            "gregg",
            "uuid-2",
            "x",
            "https://gitlab.example/mr",
        )
        assert world.updates.closed(other) is None
