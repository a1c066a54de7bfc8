"""End to end: `goldenpath serve` opens one update pull request per service on manual
updates when a minor bump is merged, updates it on the next bump, and remembers a closed
one (a real serve, a bare remote on disk, the emulator, the fake GitHub)."""

from __future__ import annotations

import json
from functools import partial

import pytest

from tests.e2e.world import World, wait_for
from tests.fakes.deliveries import github_pull_request, github_push, gitlab_push

pytestmark = pytest.mark.slow
SVC_BODY = "templates/svc/v1/instance_infrastructure/cloudformation.yaml"


def applied(world: World, sha: str) -> bool:
    return any(
        s.context == "goldenpath/apply" and s.state == "success"
        for s in world.github.statuses_for(sha)
    )


def push_main(world: World, message: str, change: str | None) -> str:
    """Commit (a change to the service template, when given), push, deliver, wait."""
    before = world.git("rev-parse", "HEAD")
    if change is not None:
        path = world.work.root / SVC_BODY
        path.write_text(path.read_text().replace("DelaySeconds:", f"{change}\n      DelaySeconds:"))
    head = world.commit_and_push(message, "main")
    body, headers = github_push(
        world.payloads,
        world.secret,
        repo=world.repo_name,
        branch="main",
        before=before,
        after=head,
        pusher="anna",
    )
    assert world.deliver("github", body, headers).status_code == 202
    wait_for(lambda: applied(world, head), f"apply of {message}")
    return head


def logged(world: World, event: str, **fields: str) -> bool:
    for line in world.log.read_text().splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("event") == event and all(entry.get(k) == v for k, v in fields.items()):
            return True
    return False


def test_a_merged_minor_bump_opens_update_pull_requests_and_a_second_bump_updates_them(
    world: World,
) -> None:
    world.github.teams = {"storefront"}
    wait_for(lambda: applied(world, world.git("rev-parse", "HEAD")), "first apply")
    push_main(world, "svc 1.1", "VisibilityTimeout: 60")
    wait_for(lambda: len(world.github.pull_requests) == 2, "an update PR per service")
    pulls = {p.head: p for p in world.github.pull_requests.values()}
    assert sorted(pulls) == ["goldenpath/update/orders", "goldenpath/update/web"]
    assert pulls["goldenpath/update/orders"].title == "Update orders to svc 1.1"
    assert pulls["goldenpath/update/orders"].team_reviewers == ["storefront"]
    assert "#### Blast radius" in pulls["goldenpath/update/orders"].body

    push_main(world, "svc 1.2", "MessageRetentionPeriod: 600")
    orders, web = pulls["goldenpath/update/orders"], pulls["goldenpath/update/web"]
    wait_for(lambda: orders.title == "Update orders to svc 1.2", "the update PR updated")
    # Web's is updated next; closing it before would decline 1.1 only, and 1.2 is newer.
    wait_for(lambda: web.title == "Update web to svc 1.2", "web's update PR updated")
    assert len(world.github.pull_requests) == 2

    # The team closes web's pull request: GitHub says so, and 1.2 is not offered again.
    world.github.close_pull(web.number)
    body, headers = github_pull_request(
        world.payloads,
        "closed",
        world.secret,
        repo=world.repo_name,
        number=web.number,
        head_sha="0" * 40,
        head_ref=web.head,
        base_ref="main",
        author="goldenpath",
        title=web.title,
    )
    assert world.deliver("github", body, headers).status_code == 202
    wait_for(lambda: logged(world, "update_pr.closed", service="web"), "the offer ended")
    world.work.write("README.md", "the platform\n")
    push_main(world, "readme", None)
    wait_for(lambda: logged(world, "update_pr.declined", service="web"), "1.2 declined")
    assert len(world.github.pull_requests) == 2
    push_main(world, "svc 1.3", "ReceiveMessageWaitTimeSeconds: 5")
    wait_for(lambda: len(world.github.pull_requests) == 3, "1.3 offered to web anew")
    assert [p.title for p in world.github.open_pulls_from("goldenpath/update/web")] == [
        "Update web to svc 1.3"
    ]


def gitlab_applied(world: World, sha: str) -> bool:
    assert world.gitlab is not None
    return any(
        s.name == "goldenpath/apply" and s.state == "success"
        for s in world.gitlab.statuses_for(sha)
    )


def test_gitlab_gets_update_merge_requests_reviewed_by_the_team(gitlab_world: World) -> None:
    world, gitlab = gitlab_world, gitlab_world.gitlab
    assert gitlab is not None
    gitlab.users = {"gregg": 7}
    head = world.git("rev-parse", "HEAD")
    wait_for(lambda: gitlab_applied(world, head), "first apply")
    for change in ("VisibilityTimeout: 60", "MessageRetentionPeriod: 600"):
        before = world.git("rev-parse", "HEAD")
        path = world.work.root / SVC_BODY
        path.write_text(path.read_text().replace("DelaySeconds:", f"{change}\n      DelaySeconds:"))
        after = world.commit_and_push(change, "main")
        body, headers = gitlab_push(
            world.payloads,
            world.secret,
            project=world.repo_name,
            branch="main",
            before=before,
            after=after,
            pusher="anna",
        )
        assert world.deliver("gitlab", body, headers).status_code == 202
        wait_for(partial(gitlab_applied, world, after), f"apply of {change}")
    wait_for(
        lambda: (
            [m.title for m in gitlab.open_merge_requests_from("goldenpath/update/orders")]
            == ["Update orders to svc 1.2"]
        ),
        "the update MR at 1.2",
    )
    assert len(gitlab.created) == 2  # one per service, updated in place
    orders = gitlab.open_merge_requests_from("goldenpath/update/orders")[0]
    assert orders.reviewer_ids == [7]
    assert "#### Blast radius" in orders.description
