"""The same end-to-end flow against a fake GitLab: merge request checks, a note, a merge."""

from __future__ import annotations

import pytest

from tests.e2e.world import World, wait_for
from tests.fakes.deliveries import gitlab_merge_request, gitlab_push
from tests.support.platform_repo import write_service

pytestmark = pytest.mark.slow


def final(world: World, sha: str, name: str) -> str | None:
    assert world.gitlab is not None
    states = [
        s.state
        for s in world.gitlab.statuses_for(sha)
        if s.name == name and s.state not in ("pending", "running")
    ]
    return states[-1] if states else None


def test_merge_request_checks_note_and_merge(gitlab_world: World) -> None:
    world = gitlab_world
    gitlab = world.gitlab
    assert gitlab is not None
    head = world.git("rev-parse", "HEAD")
    wait_for(lambda: final(world, head, "goldenpath/apply") == "success", "first apply")

    world.git("checkout", "-q", "-b", "add-menu")
    write_service(world.work, "menu", instances="- {name: test, environment: test}\n")
    sha = world.commit_and_push("Add menu", "add-menu")
    gitlab.open_merge_request(7)
    body, headers = gitlab_merge_request(
        world.payloads,
        "open",
        world.secret,
        project=world.repo_name,
        iid=7,
        head_sha=sha,
        source_branch="add-menu",
        target_branch="main",
        author="gregg",
    )
    assert world.deliver("gitlab", body, headers).status_code == 202
    wait_for(lambda: final(world, sha, "goldenpath/plan") is not None, "checks on MR 7")
    assert final(world, sha, "goldenpath/validate") == "success"
    assert final(world, sha, "goldenpath/plan") == "success"
    wait_for(lambda: gitlab.notes_on(7), "the plan note on MR 7")
    assert "service/menu/test" in gitlab.notes_on(7)[0].body

    # A delivery GitLab sends again (same idempotency key) does no work twice.
    assert world.deliver("gitlab", body, headers).status_code == 200

    world.git("checkout", "-q", "main")
    world.git("merge", "-q", "--no-ff", "-m", "Merge MR 7", "add-menu")
    merged = world.commit_and_push(None, "main")
    body, headers = gitlab_push(
        world.payloads,
        world.secret,
        project=world.repo_name,
        branch="main",
        before=head,
        after=merged,
        pusher="gregg",
    )
    assert world.deliver("gitlab", body, headers).status_code == 202
    wait_for(lambda: final(world, merged, "goldenpath/apply") is not None, "apply of the merge")
    assert final(world, merged, "goldenpath/apply") == "success"
    assert world.stack_exists("111111111111", "goldenpath-service-menu-test")
