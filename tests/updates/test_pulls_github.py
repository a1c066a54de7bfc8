"""Update pull requests on GitHub: one per service on manual updates, kept up to date,
never duplicated, and a version the team closed is not offered again until a newer one."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from reconciler.desired.build import build_desired
from reconciler.events import ChangeAction, ChangeRequest
from reconciler.state import StateStore
from tests.updates.world import SETTINGS, update_world

ORDERS = "goldenpath/update/orders"


def test_a_minor_bump_opens_one_pull_request_per_manual_service(
    tmp_path: Path, sqlite_store: StateStore
) -> None:
    with update_world(tmp_path, sqlite_store) as world:
        before = world.remote_tip("main")
        world.bump("VisibilityTimeout: 60")
        main = world.remote_tip("main")
        outcomes = world.offer()
        assert [(o.service, o.action) for o in outcomes] == [
            ("orders", "opened"),
            ("web", "opened"),
        ]
        pulls = {p.head: p for p in world.fake.pull_requests.values()}  # type: ignore[union-attr]
        assert sorted(pulls) == [ORDERS, "goldenpath/update/web"]
        orders = pulls[ORDERS]
        assert orders.title == "Update orders to svc 1.1"
        assert orders.base == "main"
        assert orders.team_reviewers == ["storefront"]
        assert "| `service/orders/test` | moves when this is merged | 1.0 → 1.1 |" in orders.body
        assert "| `pipeline/orders` | moves when this is merged | 1.0 → 1.1 |" in orders.body
        assert "Fields: `spec.template.version` → `1.1`" in orders.body
        assert "#### Blast radius" in orders.body
        assert "+      VisibilityTimeout: 60" in orders.body  # the render diff of the move
        # The branch is the tracked head plus one commit that moves the version only.
        assert world.work.git("--git-dir", str(world.bare), "rev-parse", f"{ORDERS}^") == main
        spec = world.remote_file("main", "services/orders.yaml")
        moved = world.remote_file(ORDERS, "services/orders.yaml")
        assert moved == spec.replace('version: "1"}', 'version: "1.1"}')
        assert world.remote_tip("main") == main != before  # the tracked branch untouched
        offer = world.store.update_offer("orders")
        assert offer is not None and offer.state == "open" and offer.number == orders.number
        assert [o.url for o in world.outcomes] == [o.url for o in outcomes]


def test_a_second_bump_updates_the_pull_request_it_opened(
    tmp_path: Path, sqlite_store: StateStore
) -> None:
    with update_world(tmp_path, sqlite_store) as world:
        world.bump("VisibilityTimeout: 60")
        world.offer()
        first_tip = world.remote_tip(ORDERS)
        world.bump("MessageRetentionPeriod: 600")
        outcomes = world.offer()
        assert [(o.service, o.action) for o in outcomes] == [
            ("orders", "updated"),
            ("web", "updated"),
        ]
        assert len(world.fake.pull_requests) == 2  # type: ignore[union-attr]
        orders = world.fake.open_pulls_from(ORDERS)  # type: ignore[union-attr]
        assert len(orders) == 1
        assert orders[0].title == "Update orders to svc 1.2"
        assert "| `service/orders/test` | moves when this is merged | 1.0 → 1.2 |" in orders[0].body
        assert orders[0].edits == 1
        assert world.remote_tip(ORDERS) != first_tip  # force-pushed onto the new head
        moved = world.remote_file(ORDERS, "services/orders.yaml")
        assert 'version: "1.2"}' in moved


def test_an_unchanged_head_pushes_and_edits_nothing(
    tmp_path: Path, sqlite_store: StateStore
) -> None:
    with update_world(tmp_path, sqlite_store) as world:
        world.bump("VisibilityTimeout: 60")
        world.offer()
        tip = world.remote_tip(ORDERS)
        writes = [c for c in world.fake.calls if c.method != "GET"]
        # An unrelated commit on the tracked branch does not move the update branch.
        world.work.write("README.md", "platform repo\n")
        world.work.commit("readme")
        world.work.git("push", "-q", "origin", "main")
        outcomes = world.offer()
        assert [o.action for o in outcomes] == ["unchanged", "unchanged"]
        assert world.remote_tip(ORDERS) == tip
        assert [c for c in world.fake.calls if c.method != "GET"] == writes
        assert len(world.outcomes) == 2  # only the openings were handed on


def test_a_pull_request_closed_unmerged_is_not_offered_again_until_a_newer_version(
    tmp_path: Path, store: StateStore
) -> None:
    with update_world(tmp_path, store) as world:
        world.bump("VisibilityTimeout: 60")
        world.offer()
        declined = world.fake.open_pulls_from(ORDERS)[0]  # type: ignore[union-attr]
        world.fake.close_pull(declined.number)  # type: ignore[union-attr]
        # No webhook came: the forge is asked before anything is offered again.
        outcomes = {o.service: o.action for o in world.offer()}
        assert outcomes == {"orders": "declined", "web": "unchanged"}
        assert world.fake.open_pulls_from(ORDERS) == []  # type: ignore[union-attr]
        offer = world.store.update_offer("orders")
        assert offer is not None and offer.state == "closed"
        # A newer minor is offered, in a pull request of its own.
        world.bump("MessageRetentionPeriod: 600")
        outcomes = {o.service: o.action for o in world.offer()}
        assert outcomes == {"orders": "opened", "web": "updated"}
        fresh = world.fake.open_pulls_from(ORDERS)  # type: ignore[union-attr]
        assert len(fresh) == 1 and fresh[0].number != declined.number
        assert fresh[0].title == "Update orders to svc 1.2"


def test_a_closing_webhook_ends_the_offer_without_asking_the_forge(
    tmp_path: Path, sqlite_store: StateStore
) -> None:
    with update_world(tmp_path, sqlite_store) as world:
        world.bump("VisibilityTimeout: 60")
        world.offer()
        pull = world.fake.open_pulls_from(ORDERS)[0]  # type: ignore[union-attr]
        world.fake.close_pull(pull.number)  # type: ignore[union-attr]
        event = ChangeRequest(
            "github",
            "pizza-ananas/platform",
            pull.number,
            ChangeAction.CLOSED,
            "0" * 40,
            ORDERS,
            "main",
            "gregg",
            "delivery-1",
            pull.title,
            "https://github.example/pull",
        )
        ended = world.updates.closed(event)
        assert ended is not None and ended.state == "closed"
        calls = len(world.fake.calls)
        outcomes = {o.service: o.action for o in world.offer()}
        assert outcomes["orders"] == "declined"
        asked = [c.path for c in world.fake.calls[calls:]]
        assert not any(p.endswith(f"/pulls/{pull.number}") for p in asked)


def test_a_merged_update_pull_request_is_remembered_as_merged(
    tmp_path: Path, sqlite_store: StateStore
) -> None:
    with update_world(tmp_path, sqlite_store) as world:
        world.bump("VisibilityTimeout: 60")
        world.offer()
        pull = world.fake.open_pulls_from(ORDERS)[0]  # type: ignore[union-attr]
        world.fake.close_pull(pull.number, merged=True)  # type: ignore[union-attr]
        outcomes = {o.service: o.action for o in world.offer()}
        assert outcomes["orders"] == "merged"  # the head has not caught up: nothing opened
        assert world.fake.open_pulls_from(ORDERS) == []  # type: ignore[union-attr]


def test_a_pull_request_open_on_the_forge_is_adopted_not_duplicated(
    tmp_path: Path, sqlite_store: StateStore
) -> None:
    with update_world(tmp_path, sqlite_store) as world:
        world.bump("VisibilityTimeout: 60")
        world.offer()
        number = world.fake.open_pulls_from(ORDERS)[0].number  # type: ignore[union-attr]
        # The state is lost (a new database); the pull request is still open on GitHub.
        with StateStore.open(f"sqlite:///{tmp_path / 'fresh.db'}") as fresh:
            world.updates.store = fresh
            world.bump("MessageRetentionPeriod: 600")
            outcomes = {o.service: o.action for o in world.offer()}
            assert outcomes == {"orders": "updated", "web": "updated"}
            assert len(world.fake.pull_requests) == 2  # type: ignore[union-attr]
            adopted = fresh.update_offer("orders")
            assert adopted is not None and adopted.number == number


@pytest.mark.parametrize("refusal", ["team", "none"])
def test_a_team_github_refuses_is_asked_member_by_member_or_logged(
    tmp_path: Path, sqlite_store: StateStore, refusal: str
) -> None:
    with update_world(tmp_path, sqlite_store) as world:
        world.fake.teams = set()  # type: ignore[union-attr]
        if refusal == "team":
            world.fake.collaborators = {"gregg"}  # type: ignore[union-attr]
        world.bump("VisibilityTimeout: 60")
        outcomes = world.offer()
        assert [o.action for o in outcomes] == ["opened", "opened"]
        pull = world.fake.open_pulls_from(ORDERS)[0]  # type: ignore[union-attr]
        assert pull.reviewers == (["gregg"] if refusal == "team" else [])


def test_proposals_are_made_a_slice_at_a_time_and_handed_over_once_all_are_made(
    tmp_path: Path, sqlite_store: StateStore
) -> None:
    with update_world(
        tmp_path, sqlite_store, settings=replace(SETTINGS, consider_budget_s=0.0)
    ) as world:
        world.bump("VisibilityTimeout: 60")
        world.tracked.fetch()
        snapshot = world.tracked.source.snapshot(world.tracked.head())
        in_use = {u: r.version for u, r in world.recorded.items()}
        build = build_desired(snapshot, in_use=in_use)
        assert world.updates.consider(snapshot, build, world.recorded) is None  # orders only
        assert world.updates.considering and world.updates.take_due() is None
        made = world.updates.advance()  # web: all made, handed to the publishing thread
        assert made is not None and [p.service for p in made] == ["orders", "web"]
        assert not world.updates.considering
        due = world.updates.take_due()
        assert due is not None and [p.service for p in due] == ["orders", "web"]
