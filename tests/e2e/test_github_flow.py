"""End to end, with real parts: `goldenpath serve` in a subprocess, a bare git remote on
disk, the emulator over HTTP, and a fake GitHub that checks every request's shape.

The test acts as the users and as GitHub: it pushes commits and branches, and sends the
deliveries GitHub would send (real payloads, SHAs and refs rewritten, signed).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.e2e.world import World, wait_for
from tests.fakes.deliveries import github_pull_request, github_push
from tests.support.platform_repo import write_service

pytestmark = pytest.mark.slow


def statuses(world: World, sha: str, context: str) -> list[str]:
    return [s.state for s in world.github.statuses_for(sha) if s.context == context]


def final(world: World, sha: str, context: str) -> str | None:
    states = [s for s in statuses(world, sha, context) if s != "pending"]
    return states[-1] if states else None


def description(world: World, sha: str, context: str) -> str:
    found = [
        s for s in world.github.statuses_for(sha) if s.context == context and s.state != "pending"
    ]
    return found[-1].description if found else ""


def open_pull(
    world: World, number: int, branch: str, author: str, sha: str, action: str = "opened"
) -> None:
    world.github.open_pull(number)
    body, headers = github_pull_request(
        world.payloads,
        action,
        world.secret,
        repo=world.repo_name,
        number=number,
        head_sha=sha,
        head_ref=branch,
        base_ref="main",
        author=author,
    )
    assert world.deliver("github", body, headers).status_code == 202


def test_pull_requests_get_checks_and_a_merge_is_applied(world: World) -> None:
    head = world.git("rev-parse", "HEAD")
    wait_for(lambda: final(world, head, "goldenpath/apply") == "success", "first apply")
    assert "up to date" in description(world, head, "goldenpath/apply") or "applied" in description(
        world, head, "goldenpath/apply"
    )

    # A valid service by a developer of the owning team.
    world.git("checkout", "-q", "-b", "add-billing")
    write_service(world.work, "billing", instances="- {name: test, environment: test}\n")
    good = world.commit_and_push("Add billing", "add-billing")
    open_pull(world, 1, "add-billing", "gregg", good)
    wait_for(lambda: final(world, good, "goldenpath/plan") is not None, "checks on PR 1")
    assert final(world, good, "goldenpath/validate") == "success"
    assert final(world, good, "goldenpath/plan") == "success"
    assert "1 to create" in description(world, good, "goldenpath/plan")
    wait_for(lambda: world.github.comments_on(1), "the plan comment on PR 1")
    [comment] = world.github.comments_on(1)
    assert "service/billing/test" in comment.body and "create" in comment.body
    plan_url = [s.target_url for s in world.github.statuses_for(good)][-1]
    assert plan_url and plan_url.startswith(world.url)
    assert world.http.get(plan_url).status_code == 200

    # A new push to the PR updates the same comment in place.
    write_service(
        world.work,
        "billing",
        instances="""
        - {name: test, environment: test, inputs: {size: 3}}
    """,
    )
    newer = world.commit_and_push("billing: size 3", "add-billing")
    open_pull(world, 1, "add-billing", "gregg", newer, action="synchronize")
    wait_for(lambda: final(world, newer, "goldenpath/plan") is not None, "checks on the push")
    wait_for(lambda: newer[:12] in world.github.comments_on(1)[0].body, "the updated comment")
    assert len(world.github.comments_on(1)) == 1

    # The merge: a push to main is applied at once, and the stack exists.
    world.git("checkout", "-q", "main")
    world.git("merge", "-q", "--no-ff", "-m", "Merge PR 1", "add-billing")
    merged = world.commit_and_push(None, "main")
    body, headers = github_push(
        world.payloads,
        world.secret,
        repo=world.repo_name,
        branch="main",
        before=head,
        after=merged,
        pusher="gregg",
    )
    assert world.deliver("github", body, headers).status_code == 202
    wait_for(lambda: final(world, merged, "goldenpath/apply") is not None, "apply of the merge")
    assert final(world, merged, "goldenpath/apply") == "success"
    assert "applied" in description(world, merged, "goldenpath/apply")
    assert world.stack_exists("111111111111", "goldenpath-service-billing-test")

    # GitHub closes the merged PR: its plan data goes.
    body, headers = github_pull_request(
        world.payloads,
        "closed",
        world.secret,
        repo=world.repo_name,
        number=1,
        head_sha=newer,
        head_ref="add-billing",
        base_ref="main",
        author="gregg",
        merged=True,
    )
    assert world.deliver("github", body, headers).status_code == 202
    wait_for(lambda: world.http.get(plan_url).status_code == 404, "the plan page to go")


def test_a_team_that_is_not_entitled_fails_validation(world: World) -> None:
    world.git("checkout", "-q", "-b", "ledger")
    write_service(
        world.work, "ledger", team="payments", instances="- {name: test, environment: test}\n"
    )
    sha = world.commit_and_push("Add ledger", "ledger")
    open_pull(world, 2, "ledger", "priya", sha)
    wait_for(lambda: final(world, sha, "goldenpath/validate") is not None, "validate of PR 2")
    assert final(world, sha, "goldenpath/validate") == "failure"
    text = description(world, sha, "goldenpath/validate")
    assert "payments" in text and "'svc'" in text
    wait_for(lambda: world.github.comments_on(2), "the plan comment on PR 2")
    assert "may not use template 'svc'" in world.github.comments_on(2)[0].body


def test_a_schema_error_names_the_file_and_line(world: World) -> None:
    world.git("checkout", "-q", "-b", "typo")
    world.work.write(
        "services/typo.yaml",
        """
        apiVersion: goldenpath.dev/v1
        kind: Service
        metadata: {name: typo, team: storefront}
        spec:
          template: {name: svc, version: "1"}
          instances:
            - name: test
              envronment: test
        """,
    )
    sha = world.commit_and_push("typo", "typo")
    open_pull(world, 3, "typo", "gregg", sha)
    wait_for(lambda: final(world, sha, "goldenpath/validate") is not None, "validate of PR 3")
    assert final(world, sha, "goldenpath/validate") == "failure"
    assert "services/typo.yaml:8" in description(world, sha, "goldenpath/validate")


def test_a_template_bump_shows_its_blast_radius(world: World) -> None:
    head = world.git("rev-parse", "HEAD")
    wait_for(lambda: final(world, head, "goldenpath/apply") == "success", "first apply")
    world.git("checkout", "-q", "-b", "svc-1-1")
    path = world.work.root / "templates/svc/v1/instance_infrastructure/cloudformation.yaml"
    path.write_text(
        path.read_text().replace(
            "DelaySeconds:", "MessageRetentionPeriod: 1209600\n      DelaySeconds:"
        )
    )
    sha = world.commit_and_push("svc 1.1: keep messages for 14 days", "svc-1-1")
    open_pull(world, 4, "svc-1-1", "anna", sha)
    wait_for(lambda: final(world, sha, "goldenpath/plan") is not None, "checks of PR 4")
    assert final(world, sha, "goldenpath/validate") == "success"
    wait_for(lambda: world.github.comments_on(4), "the plan comment on PR 4")
    body = world.github.comments_on(4)[0].body
    assert "Blast radius" in body
    for unit in ("service/orders/test", "service/orders/production", "service/web/test"):
        assert unit in body
    assert "MessageRetentionPeriod" in body  # the render diff


def test_rate_limits_and_errors_do_not_lose_a_status(world: World) -> None:
    head = world.git("rev-parse", "HEAD")
    wait_for(lambda: final(world, head, "goldenpath/apply") == "success", "first apply")
    world.git("checkout", "-q", "-b", "retry")
    write_service(world.work, "retry", instances="- {name: test, environment: test}\n")
    sha = world.commit_and_push("retry", "retry")
    world.github.rate_limit_next(1, reset_in=1)
    world.github.fail_next(1, 502)
    started = time.monotonic()
    open_pull(world, 5, "retry", "gregg", sha)
    wait_for(lambda: final(world, sha, "goldenpath/plan") is not None, "checks of PR 5")
    assert time.monotonic() - started >= 1  # the client waited for the reset
    for context in ("goldenpath/validate", "goldenpath/plan"):
        finals = [s for s in statuses(world, sha, context) if s != "pending"]
        assert finals == ["success"], (context, finals)


def test_unsigned_deliveries_are_refused(world: World, tmp_path: Path) -> None:
    body, headers = github_push(
        world.payloads,
        "not-the-secret",
        repo=world.repo_name,
        branch="main",
        before="0" * 40,
        after="1" * 40,
        pusher="x",
    )
    assert world.deliver("github", body, headers).status_code == 401
