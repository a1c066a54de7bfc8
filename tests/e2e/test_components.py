"""A developer's component, end to end on the example platform: `goldenpath serve` in a
subprocess, a bare git remote, the emulator over HTTP and a fake GitHub.

A pull request adds a queue of menu-api's own to its test instance. Its checks pass for
the storefront team and fail for a member of another team; once merged the queue deploys
first, with the environment's component role, its URL reaches menu-api's environment
variables, and status, the API and the page show it. Taking it out deletes it again.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.test_github_flow import description, final, open_pull
from tests.e2e.world import World, running_world, wait_for
from tests.fakes.deliveries import github_push
from tests.support.platform_repo import MANIFEST, example_platform

pytestmark = pytest.mark.slow

TEST_ACCOUNT = "111111111111"
COMPONENT = "component/menu-api/test/jobs"
INSTANCE = "service/menu-api/test"
COMPONENT_STACK = "goldenpath-component-menu-api-test-jobs"
INSTANCE_STACK = "goldenpath-service-menu-api-test"
JOBS = """
AWSTemplateFormatVersion: '2010-09-09'
Description: Jobs queue of {{ service.name }} in {{ environment.name }}
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      MessageRetentionPeriod: 345600
  # menu-api's task role gets this policy: the template attaches every AccessPolicyArn.
  AccessPolicy:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Action:
              - sqs:SendMessage
              - sqs:ReceiveMessage
              - sqs:DeleteMessage
              - sqs:GetQueueAttributes
            Resource: !GetAtt Queue.Arn
Outputs:
  QueueUrl:
    Value: !Ref Queue
  AccessPolicyArn:
    Value: !Ref AccessPolicy
"""


@pytest.fixture
def example_world(tmp_path: Path, payloads: Path, fresh_cloud: str) -> Iterator[World]:
    with running_world(tmp_path, payloads, fresh_cloud, platform=example_platform) as found:
        yield found


def with_jobs(world: World, attached: bool) -> None:
    """menu-api's test instance with (or without) the jobs queue, its folder likewise."""
    path = world.work.root / "services/menu-api.yaml"
    text = path.read_text()
    line = "      environment: test\n"
    attachment = "      components: [jobs]\n"
    if attached:
        world.work.write("services/menu-api/components/jobs/manifest.yaml", MANIFEST)
        world.work.write("services/menu-api/components/jobs/cloudformation.yaml", JOBS)
        text = text.replace(line, line + attachment, 1)
    else:
        world.work.remove("services/menu-api/components")
        text = text.replace(attachment, "")
    path.write_text(text)


def merge(world: World, branch: str, before: str) -> str:
    world.git("checkout", "-q", "main")
    world.git("merge", "-q", "--no-ff", "-m", f"Merge {branch}", branch)
    merged = world.commit_and_push(None, "main")
    body, headers = github_push(
        world.payloads,
        world.secret,
        repo=world.repo_name,
        branch="main",
        before=before,
        after=merged,
        pusher="gregg",
    )
    assert world.deliver("github", body, headers).status_code == 202
    wait_for(lambda: final(world, merged, "goldenpath/apply") is not None, f"apply of {branch}")
    assert final(world, merged, "goldenpath/apply") == "success", description(
        world, merged, "goldenpath/apply"
    )
    return merged


def api(world: World, path: str) -> dict[str, object]:
    answer = world.http.get(f"{world.url}/api/v1/{path}")
    assert answer.status_code == 200, answer.text
    found: dict[str, object] = answer.json()
    return found


def variable(body: str, name: str) -> str | None:
    """The value of the container's environment variable ``name`` in a rendered body."""
    lines = body.splitlines()
    for at, line in enumerate(lines):
        if line.strip() == f"- Name: '{name}'":
            return lines[at + 1].split("Value:", 1)[1].strip().strip("\"'")
    return None


def test_a_component_goes_from_pull_request_to_deployed_and_away(example_world: World) -> None:
    world = example_world
    head = world.git("rev-parse", "HEAD")
    wait_for(lambda: final(world, head, "goldenpath/apply") is not None, "the first apply")
    assert final(world, head, "goldenpath/apply") == "success"

    # Priya, of payments, may not change storefront's service, components included.
    world.git("checkout", "-q", "-b", "priya-jobs")
    with_jobs(world, attached=True)
    foreign = world.commit_and_push("menu-api: a jobs queue", "priya-jobs")
    open_pull(world, 1, "priya-jobs", "priya", foreign)
    wait_for(lambda: final(world, foreign, "goldenpath/validate") is not None, "checks of PR 1")
    assert final(world, foreign, "goldenpath/validate") == "failure"
    wait_for(lambda: world.github.comments_on(1), "the comment on PR 1")
    comment = world.github.comments_on(1)[0].body
    assert "services/menu-api/components/jobs/cloudformation.yaml" in comment
    assert "not a member of team 'storefront'" in comment

    # Gregg, of storefront, may: the checks pass and the plan shows the new stack.
    world.git("checkout", "-q", "main")
    world.git("checkout", "-q", "-b", "add-jobs")
    with_jobs(world, attached=True)
    own = world.commit_and_push("menu-api: a jobs queue for the test instance", "add-jobs")
    open_pull(world, 2, "add-jobs", "gregg", own)
    wait_for(lambda: final(world, own, "goldenpath/plan") is not None, "checks of PR 2")
    assert final(world, own, "goldenpath/validate") == "success"
    assert final(world, own, "goldenpath/plan") == "success"
    wait_for(lambda: world.github.comments_on(2), "the comment on PR 2")
    comment = world.github.comments_on(2)[0].body
    assert f"`{COMPONENT}` | + create" in comment
    assert f"`{INSTANCE}` | ~ update" in comment

    # Merged: the queue deploys first, with the component role, and menu-api reads it.
    merged = merge(world, "add-jobs", head)
    assert world.stack(TEST_ACCOUNT, COMPONENT_STACK)["RoleARN"] == (
        f"arn:aws:iam::{TEST_ACCOUNT}:role/goldenpath-components"
    )
    assert "RoleARN" not in world.stack(TEST_ACCOUNT, INSTANCE_STACK)
    queue = api(world, f"units/{COMPONENT}")
    queue_url = queue["outputs"]["QueueUrl"]  # type: ignore[index]
    body = world.template(TEST_ACCOUNT, INSTANCE_STACK)
    assert variable(body, "JOBS_QUEUE_URL") == queue_url
    assert variable(body, "JOBS_ACCESS_POLICY_ARN") is not None
    [created] = api(world, f"units/{COMPONENT}/history")["deployments"]  # type: ignore[misc]
    updated = api(world, f"units/{INSTANCE}/history")["deployments"][0]  # type: ignore[index]
    assert created["revision"] == updated["revision"] == merged
    assert created["finished_at"] <= updated["started_at"]
    status = {u["id"]: u for u in api(world, "status")["units"]}  # type: ignore[attr-defined]
    assert status[COMPONENT]["kind"] == "component"
    assert status[COMPONENT]["conditions"][0]["status"] in ("True", True)
    page = world.http.get(f"{world.url}/").text
    assert f'href="/units/{COMPONENT}"' in page
    assert queue_url in world.http.get(f"{world.url}/units/{COMPONENT}").text

    # Taken out again: menu-api moves on first, then the queue's stack is deleted.
    world.git("checkout", "-q", "-b", "drop-jobs")
    with_jobs(world, attached=False)
    world.commit_and_push("menu-api: no jobs queue after all", "drop-jobs")
    merge(world, "drop-jobs", merged)
    assert not world.stack_exists(TEST_ACCOUNT, COMPONENT_STACK)
    assert variable(world.template(TEST_ACCOUNT, INSTANCE_STACK), "JOBS_QUEUE_URL") is None
    assert world.http.get(f"{world.url}/api/v1/units/{COMPONENT}").status_code == 404
